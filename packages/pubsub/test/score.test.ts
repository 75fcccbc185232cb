import { describe, expect, it } from 'vitest'
import { DEFAULT_SCORE_PARAMS, PeerScore, checkScoreParams, decayFactor, levelOf } from '../src/proto/score.ts'
import { TokenBucket } from '../src/proto/token-bucket.ts'

describe('peer score math', () => {
  it.each([
    [0, 'ok'], [-9.99, 'ok'], [-10.01, 'pruned'], [-50.01, 'graylisted'], [-100.01, 'disconnect'], [25, 'ok'],
  ] as const)('maps score %d to level %s with the default thresholds', (score, level) => {
    expect(levelOf(score, DEFAULT_SCORE_PARAMS)).toBe(level)
  })

  it.each([
    [0, 1], [1_000, 0.9], [2_000, 0.81], [500, Math.sqrt(0.9)],
  ])('decays by 0.9 per second: after %d ms the factor is %d', (elapsed, factor) => {
    expect(decayFactor(elapsed, DEFAULT_SCORE_PARAMS)).toBeCloseTo(factor, 10)
  })

  it.each([
    // counter, count, score right after, level
    ['rejected', 1, -10, 'ok'],
    ['rejected', 2, -20, 'pruned'],
    ['rejected', 5, -50, 'pruned'],
    ['rejected', 6, -60, 'graylisted'],
    ['invalid', 1, -20, 'pruned'],
    ['stray', 4, -2, 'ok'],
  ] as const)('records %s x%d as score %d, level %s', (counter, count, score, level) => {
    const s = new PeerScore(DEFAULT_SCORE_PARAMS, 0)
    for (let i = 0; i < count; i++) s.record(counter, 0)
    expect(s.score(0)).toBeCloseTo(score)
    expect(s.level(0)).toBe(level)
  })

  it('lets first-delivery credit absorb one validator reject but not two', () => {
    const s = new PeerScore(DEFAULT_SCORE_PARAMS, 0)
    s.record('firstDelivery', 0, 5)
    s.record('rejected', 0)
    expect(s.level(0)).toBe('ok')
    s.record('rejected', 0)
    expect(s.score(0)).toBeCloseTo(-15)
    expect(s.level(0)).toBe('pruned')
  })

  it('weights counters and decays them together', () => {
    const s = new PeerScore(DEFAULT_SCORE_PARAMS, 0)
    s.record('invalid', 0)
    s.record('firstDelivery', 0, 5)
    expect(s.score(0)).toBeCloseTo(-15)
    expect(s.score(1_000)).toBeCloseTo(-13.5)
  })

  it('caps first-delivery credit so good history cannot hide abuse', () => {
    const s = new PeerScore(DEFAULT_SCORE_PARAMS, 0)
    s.record('firstDelivery', 0, 1_000)
    expect(s.score(0)).toBe(20)
    for (let i = 0; i < 4; i++) s.record('invalid', 0)
    expect(s.level(0)).toBe('graylisted')
  })

  it('returns an idle peer to exactly zero', () => {
    const s = new PeerScore(DEFAULT_SCORE_PARAMS, 0)
    s.record('brokenPromise', 0)
    expect(s.score(120_000)).toBe(0)
  })

  it('rejects thresholds out of order and decay outside (0, 1)', () => {
    expect(() => checkScoreParams({ ...DEFAULT_SCORE_PARAMS, thresholds: { prune: -50, graylist: -10, disconnect: -100 } })).toThrow(RangeError)
    expect(() => checkScoreParams({ ...DEFAULT_SCORE_PARAMS, decay: 1 })).toThrow(RangeError)
  })
})

describe('token bucket', () => {
  it('admits a burst, then the refill rate', () => {
    const b = new TokenBucket(10, 5, 0)
    const admitted = Array.from({ length: 8 }, () => b.take(0)).filter(Boolean).length
    expect(admitted).toBe(5)
    expect(b.take(99)).toBe(false)
    expect(b.take(100)).toBe(true)
    expect(b.take(100)).toBe(false)
  })
})
