/**
 * SWIM + Lifeguard on the simulator (reliability-anchors section 3.2, items 5-8), fixed seeds.
 * The scenarios live in swim-scenarios.mjs so the membership benchmark prints the same figures.
 */
import { describe, expect, it } from 'vitest'
import { crashDetection, refutation, stallEpisodes, sustainedLoss } from './swim-scenarios.mjs'

const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1)

describe('SWIM crash detection', () => {
  it.each([16, 100])('suspects a crashed member within about 1.6 periods plus the ack timeout and every live member marks it dead in time (N=%d)', (n) => {
    const r = crashDetection({ n, seeds: n === 16 ? SEEDS : SEEDS.slice(0, 6) })
    // SWIM's expected first detection is e/(e-1) = 1.58 periods after the crash; the suspicion is
    // raised when the failed probe's period ends, so p50 <= 1.6 * 1000 ms + 500 ms.
    expect(r.firstSuspicionMs.p50).toBeLessThanOrEqual(2100)
    expect(r.allDeadMs.max).toBeLessThanOrEqual(r.suspicionMaxMs + 3000)
    expect(r.falseDeaths).toBe(0)
  })
})

describe('SWIM under 10% symmetric loss', () => {
  it.each([16, 100])('declares no live member dead in 10 virtual minutes (N=%d)', (n) => {
    const r = sustainedLoss({ n, seed: 42, lossRate: 0.1, durationMs: 600_000 })
    expect(r.suspicionsRaised).toBeGreaterThan(0)
    expect(r.falseDeaths).toBe(0)
  })
})

describe('SWIM with a member whose event loop stalls for 2-5 s', () => {
  it('with Lifeguard the stalled member raises at least 10x fewer false suspicions and nobody is declared dead', () => {
    const on = stallEpisodes({ n: 16, seed: 7, episodes: 30, lifeguard: true, gapMs: [5000, 15000] })
    const off = stallEpisodes({ n: 16, seed: 7, episodes: 30, lifeguard: false, gapMs: [5000, 15000] })
    expect(off.byStalled).toBeGreaterThanOrEqual(3)
    expect(on.byStalled * 10).toBeLessThanOrEqual(off.byStalled)
    // Suspicions against a member that truly did not answer for seconds are SWIM working as designed
    // (both modes raise them at a similar rate); Lifeguard's job is that none turns into a death.
    expect(on.againstStalled).toBeGreaterThan(0)
    expect(on.falseDeaths).toBe(0)
  })
})

describe('SWIM refutation', () => {
  it.each([16, 100])('a falsely suspected live member is seen alive by all within a few gossip rounds (N=%d)', (n) => {
    const r = refutation({ n, seeds: SEEDS.slice(0, 5) })
    // Rounds here are probe periods (1 s), each five 200 ms gossip pushes.
    expect(r.roundsToAllAlive.max).toBeLessThanOrEqual(3)
    expect(r.falseDeaths).toBe(0)
  })
})
