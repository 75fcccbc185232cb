import { describe, expect, it } from 'vitest'
import { toHex } from '../src/bytes.ts'
import { ManualClock, systemClock } from '../src/clock.ts'
import { SeededRng, cryptoRng, pick, sample, shuffled } from '../src/rng.ts'

describe('SeededRng', () => {
  it('produces the fixed regression vector for seed 42', () => {
    const rng = new SeededRng(42)
    expect(Array.from({ length: 6 }, () => rng.nextU32())).toEqual([1623836259, 2610381481, 1669620202, 2203136906, 1905254462, 2513005784])
    const other = new SeededRng(42)
    expect(other.nextFloat()).toBe(0.3780788452012598)
    expect(other.nextInt(1000)).toBe(202)
    expect(toHex(other.fill(new Uint8Array(7)))).toBe('8a3351833ee08f')
    expect(new SeededRng('sim').nextU32()).toBe(3196603878)
    expect(new SeededRng(42).fork('a').nextU32()).toBe(2898963059)
  })

  it('is deterministic per seed and differs between seeds and seed kinds', () => {
    const draw = (seed: number | bigint | string): number[] => {
      const rng = new SeededRng(seed)
      return Array.from({ length: 8 }, () => rng.nextU32())
    }
    expect(draw(7)).toEqual(draw(7))
    expect(draw(7)).not.toEqual(draw(8))
    expect(draw(7)).toEqual(draw(7n))
    expect(draw(7)).not.toEqual(draw('7'))
  })

  it('forks independent streams per label, reproducibly', () => {
    const a = new SeededRng(1).fork('node-1').nextU32()
    const b = new SeededRng(1).fork('node-2').nextU32()
    expect(a).not.toBe(b)
    expect(new SeededRng(1).fork('node-1').nextU32()).toBe(a)
  })

  it('nextInt is uniform on a fixed seed (chi-square, 9 degrees of freedom)', () => {
    const rng = new SeededRng(42)
    const buckets = new Array<number>(10).fill(0)
    const n = 100_000
    for (let i = 0; i < n; i++) buckets[rng.nextInt(10)]!++
    const expected = n / 10
    const chi2 = buckets.reduce((acc, count) => acc + (count - expected) ** 2 / expected, 0)
    // 27.88 is the 0.999 quantile of chi-square with 9 degrees of freedom.
    expect(chi2).toBeLessThan(27.88)
  })

  it('nextInt covers a non-power-of-two range exactly, and large ranges', () => {
    const rng = new SeededRng(3)
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i++) {
      const v = rng.nextInt(7)
      expect(Number.isInteger(v) && v >= 0 && v < 7).toBe(true)
      seen.add(v)
    }
    expect(seen.size).toBe(7)
    for (let i = 0; i < 100; i++) {
      const v = rng.nextInt(2 ** 40)
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 40).toBe(true)
    }
    expect(rng.nextInt(1)).toBe(0)
  })

  it('nextInt rejects a non-positive or non-integer bound', () => {
    const rng = new SeededRng(1)
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) expect(() => rng.nextInt(bad)).toThrow(RangeError)
  })

  it('nextFloat stays in [0, 1)', () => {
    const rng = new SeededRng(5)
    for (let i = 0; i < 10_000; i++) {
      const f = rng.nextFloat()
      expect(f >= 0 && f < 1).toBe(true)
    }
  })
})

describe('shuffled, pick and sample', () => {
  it('shuffled returns a permutation of a copy', () => {
    const items = [1, 2, 3, 4, 5, 6, 7, 8]
    const out = shuffled(new SeededRng(9), items)
    expect(out).not.toBe(items)
    expect([...out].sort((a, b) => a - b)).toEqual(items)
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(shuffled(new SeededRng(9), items)).toEqual(out)
  })

  it('pick returns an element or undefined for an empty list', () => {
    expect(pick(new SeededRng(1), [])).toBeUndefined()
    expect(['a', 'b', 'c']).toContain(pick(new SeededRng(1), ['a', 'b', 'c']))
  })

  it('sample returns distinct elements, at most the list length, never a negative count', () => {
    const out = sample(new SeededRng(2), [1, 2, 3, 4, 5], 3)
    expect(out).toHaveLength(3)
    expect(new Set(out).size).toBe(3)
    expect(sample(new SeededRng(2), [1, 2], 5)).toHaveLength(2)
    expect(sample(new SeededRng(2), [1, 2], -1)).toEqual([])
  })
})

describe('cryptoRng', () => {
  it('fills large buffers beyond the 64 KiB getRandomValues limit and draws in range', () => {
    const rng = cryptoRng()
    const out = rng.fill(new Uint8Array(200_000))
    expect(out.subarray(150_000).some((b) => b !== 0)).toBe(true)
    for (let i = 0; i < 600; i++) expect(rng.nextU32()).toBeLessThan(2 ** 32)
    expect(rng.nextInt(3)).toBeLessThan(3)
  })
})

describe('clocks', () => {
  it('ManualClock moves only when told, and keeps wall time at a fixed offset', () => {
    const clock = new ManualClock(100, 1_000_000)
    expect(clock.now()).toBe(100)
    expect(clock.wallNow()).toBe(1_000_100)
    clock.advance(50)
    expect(clock.now()).toBe(150)
    clock.set(150)
    clock.set(1000)
    expect(clock.wallNow()).toBe(1_001_000)
    expect(new ManualClock().wallNow()).toBe(1_700_000_000_000)
  })

  it('ManualClock refuses to go backwards or advance by NaN', () => {
    const clock = new ManualClock(10)
    expect(() => clock.advance(-1)).toThrow(RangeError)
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError)
    expect(() => clock.set(9)).toThrow(/cannot go back from 10 to 9/)
    expect(clock.now()).toBe(10)
  })

  it('systemClock reports monotonic and Unix milliseconds', () => {
    const a = systemClock.now()
    expect(systemClock.now()).toBeGreaterThanOrEqual(a)
    expect(Math.abs(systemClock.wallNow() - Date.now())).toBeLessThan(60_000)
  })
})
