/**
 * SWIM + Lifeguard on the simulator (reliability-anchors section 3.2, items 5-8), fixed seeds.
 * The scenarios live in swim-scenarios.mjs so the membership benchmark prints the same figures.
 */
import { describe, expect, it } from 'vitest'
import { crashDetection, refutation, stallStudy, sustainedLoss } from './swim-scenarios.mjs'

const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1)

describe('SWIM crash detection', () => {
  it.each([16, 100])('suspects a crashed member within about 1.6 periods plus the ack timeout and every live member marks it dead in time (N=%d)', async (n) => {
    const r = await crashDetection({ n, seeds: n === 16 ? SEEDS : SEEDS.slice(0, 6) })
    // SWIM's expected first detection is e/(e-1) = 1.58 periods after the crash; the suspicion is
    // raised when the failed probe's period ends, so p50 <= 1.6 * 1000 ms + 500 ms.
    expect(r.firstSuspicionMs.p50).toBeLessThanOrEqual(2100)
    expect(r.allDeadMs.max).toBeLessThanOrEqual(r.suspicionMaxMs + 3000)
    expect(r.falseDeaths).toBe(0)
  })
})

describe('SWIM under 10% symmetric loss', () => {
  it.each([16, 100])('declares no live member dead in 10 virtual minutes (N=%d)', async (n) => {
    const r = await sustainedLoss({ n, seed: 42, lossRate: 0.1, durationMs: 600_000 })
    expect(r.suspicionsRaised).toBeGreaterThan(0)
    expect(r.falseDeaths).toBe(0)
  })
})

/**
 * Lifeguard side by side with plain SWIM (reliability-anchors 3.2 item 7): four members take turns
 * stalling for 2-5 s, 5-15 s apart, over several seeds. A false suspicion is one the stalled member
 * raises (during or right after its stall) about a member that was alive and answering: it missed
 * the acks only because its overdue probe timers ran before the replies queued behind them. A stall
 * catches a probe in flight only about once in ten, so hundreds of episodes are needed for plain
 * SWIM to raise some 30 or more of them. Suspicions raised against the stalled member are true
 * detections (it did not answer for seconds); they are reported in the benchmark, not judged here.
 */
describe('SWIM with members whose event loops stall for 2-5 s', () => {
  const stallSeeds = { 16: SEEDS.slice(0, 6), 100: SEEDS.slice(0, 3) }
  const stallEpisodesPerSeed = { 16: 120, 100: 60 }
  it.each([16, 100] as const)('with Lifeguard the stalled members raise at least 10x fewer false suspicions than without, and Lifeguard declares nobody dead (N=%d)', async (n) => {
    const plan = { n, seeds: stallSeeds[n], episodes: stallEpisodesPerSeed[n], stalledMembers: 4 }
    const on = await stallStudy({ ...plan, lifeguard: true })
    const off = await stallStudy({ ...plan, lifeguard: false })
    expect(off.byStalled).toBeGreaterThanOrEqual(n === 16 ? 30 : 10)
    expect(on.byStalled * 10).toBeLessThanOrEqual(off.byStalled)
    // Members running normally never suspect each other here (no loss, no crash).
    expect(on.otherSuspicions).toBe(0)
    expect(off.otherSuspicions).toBe(0)
    expect(on.againstStalled).toBeGreaterThan(0)
    expect(on.falseDeaths).toBe(0)
    // Plain SWIM's fixed 4.8 s suspicion can outlast a 5 s stall; it may declare the stalled member dead, never a running one.
    expect(off.falseDeaths).toBe(off.deathsOfStalled)
  })
})

describe('SWIM refutation', () => {
  it.each([16, 100])('a falsely suspected live member is seen alive by all within a few gossip rounds (N=%d)', async (n) => {
    const r = await refutation({ n, seeds: SEEDS.slice(0, 5) })
    // Rounds here are probe periods (1 s), each five 200 ms gossip pushes.
    expect(r.roundsToAllAlive.max).toBeLessThanOrEqual(3)
    expect(r.falseDeaths).toBe(0)
  })
})
