import { describe, expect, it } from 'vitest'
import { applyHealthDelta, failedProbePenalty, scaleByHealth } from '../src/proto/awareness.ts'
import { remainingSuspicionMs, retransmitLimit, suspicionMinTimeoutMs, suspicionTimeoutMs } from '../src/proto/suspicion.ts'

describe('suspicion timeout arithmetic', () => {
  it.each([
    // [alpha, members, probe interval, expected minimum]
    [4, 1, 1000, 4000],
    [4, 5, 1000, 4000], // below 10 members the log scale is clamped to 1
    [4, 16, 1000, 4816], // log10(16) = 1.204
    [4, 100, 1000, 8000],
    [4, 1000, 1000, 12000],
    [6, 16, 5000, 36120], // WAN preset
  ])('the minimum for alpha %d, %d members and a %d ms period is %d ms', (alpha, n, interval, expected) => {
    expect(suspicionMinTimeoutMs(alpha, n, interval)).toBe(expected)
  })

  it.each([
    // [confirmations, expected confirmations, elapsed, min, max, remaining] (memberlist's table)
    [0, 3, 0, 2000, 30000, 30000],
    [1, 3, 2000, 2000, 30000, 14000],
    [2, 3, 3000, 2000, 30000, 4810],
    [3, 3, 4000, 2000, 30000, -2000],
    [4, 3, 5000, 2000, 30000, -3000],
    [5, 3, 10000, 2000, 30000, -8000],
  ])('after %d of %d confirmations and %d ms elapsed (min %d, max %d) %d ms remain', (n, k, elapsed, min, max, expected) => {
    expect(remainingSuspicionMs(n, k, min, max, elapsed)).toBe(expected)
  })

  it('waits only the minimum when no confirmations are expected', () => {
    expect(suspicionTimeoutMs(0, 0, 4816, 28896)).toBe(4816)
  })

  it('never goes below the minimum however many confirmations arrive', () => {
    for (let c = 0; c < 20; c++) expect(suspicionTimeoutMs(c, 2, 4816, 28896)).toBeGreaterThanOrEqual(4816)
  })

  it('shrinks monotonically with each confirmation', () => {
    const values = [0, 1, 2].map((c) => suspicionTimeoutMs(c, 2, 4816, 28896))
    expect(values).toEqual([28896, 13703, 4816])
  })

  it.each([
    [4, 1, 4],
    [4, 9, 4],
    [4, 16, 8],
    [4, 100, 12],
    [2, 1000, 8],
  ])('retransmits an update %d * ceil(log10(%d + 1)) = %d times', (mult, n, expected) => {
    expect(retransmitLimit(mult, n)).toBe(expected)
  })
})

describe('local health awareness arithmetic', () => {
  it.each([
    [0, 1, 8, 1],
    [0, -1, 8, 0],
    [7, 3, 8, 8],
    [8, 1, 8, 8],
    [3, -1, 8, 2],
  ])('health %d plus %d, capped at %d, is %d', (lhm, delta, max, expected) => {
    expect(applyHealthDelta(lhm, delta, max)).toBe(expected)
  })

  it.each([
    [1000, 0, 1000],
    [1000, 1, 2000],
    [500, 8, 4500],
  ])('scales %d ms at health %d to %d ms', (base, lhm, expected) => {
    expect(scaleByHealth(base, lhm)).toBe(expected)
  })

  it.each([
    [0, 0, 0, 1],
    [3, 0, 0, 0],
    [3, 3, 0, 1],
    [3, 2, 0, 1],
    [3, 3, 1, 0],
    [3, 3, 3, 0],
  ])('a failed probe with %d helpers asked, %d nacks expected and %d received costs %d', (asked, expected, received, penalty) => {
    expect(failedProbePenalty(asked, expected, received)).toBe(penalty)
  })
})
