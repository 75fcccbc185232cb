/**
 * The shared codec fuzz loop (`@saorsa-gossip/types/testing`): deterministic per seed, never changes
 * its inputs, counts DecodeError refusals and surfaces any other error with the input that caused it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { decodeCbor, DecodeError, encodeCbor, schema as s, SeededRng } from '../src/index.ts'
import { fuzzDecoder, fuzzRandomBytes, fuzzRuns, mutate, rejectsWithDecodeError } from '../src/testing/index.ts'

const pointSchema = s.object({ x: s.uint({ max: 1_000 }), tag: s.text({ max: 8 }) })
const decodePoint = (b: Uint8Array) => decodeCbor(b, pointSchema, { maxBytes: 64 })
const seeds = [encodeCbor({ x: 7, tag: 'a' }), encodeCbor({ x: 1_000, tag: 'abcdefgh' })]

describe('the shared codec fuzz loop', () => {
  const saved = process.env['FUZZ_RUNS']
  afterEach(() => {
    if (saved === undefined) delete process.env['FUZZ_RUNS']
    else process.env['FUZZ_RUNS'] = saved
  })

  it('mutates deterministically per seed and never changes the seed bytes', () => {
    const seed = Uint8Array.from(seeds[0]!)
    const run = (label: string) => Array.from({ length: 200 }, (_, i, rng = new SeededRng(`${label}-${i}`)) => mutate(rng, seed, seeds))
    expect(run('a')).toEqual(run('a'))
    expect(run('a')).not.toEqual(run('b'))
    expect(seed).toEqual(seeds[0])
    expect(run('a').some((m) => m.length !== seed.length)).toBe(true)
  })

  it('counts refusals of a decoder that throws only DecodeError', async () => {
    const result = await fuzzDecoder({ decode: decodePoint, seeds, runs: 5_000, seed: 'point' })
    expect(result.rejected + result.decoded).toBe(5_000)
    expect(result.rejected).toBeGreaterThan(2_500)
    expect(await fuzzDecoder({ decode: decodePoint, seeds, runs: 5_000, seed: 'point' })).toEqual(result)
    const [random] = await fuzzRandomBytes({ decoders: [decodePoint], runs: 2_000, seed: 'point-random' })
    expect(random!.rejected + random!.decoded).toBe(2_000)
    expect(random!.rejected).toBeGreaterThan(1_900)
  })

  it('hands every mutated input and its outcome to `check`, and fails when the check throws', async () => {
    const seen: Array<[Uint8Array, boolean]> = []
    const result = await fuzzDecoder({ decode: decodePoint, seeds, runs: 1_000, seed: 'point', check: (input, decoded) => { seen.push([input, decoded]) } })
    expect(seen).toHaveLength(1_000)
    expect(seen.filter(([, decoded]) => decoded)).toHaveLength(result.decoded)
    expect(seen.every(([input, decoded]) => decoded === !rejectsWithDecodeError(decodePoint, input))).toBe(true)
    const strict = () => { throw new Error('refused by check') }
    await expect(fuzzDecoder({ decode: decodePoint, seeds, runs: 10, seed: 'point', check: strict })).rejects.toThrow(/refused by check/)
  })

  it('fails with the input when a decoder throws anything but DecodeError, or a seed does not decode', async () => {
    const fragile = (b: Uint8Array) => {
      if (b.length > 0 && b[0] === 0xff) throw new TypeError('boom')
      return decodePoint(b)
    }
    expect(() => rejectsWithDecodeError(fragile, Uint8Array.of(0xff, 0x01))).toThrow(/TypeError \(not DecodeError\) for input ff01/)
    expect(rejectsWithDecodeError(fragile, Uint8Array.of(0x01))).toBe(true)
    await expect(fuzzDecoder({ decode: fragile, seeds, runs: 50_000, seed: 'fragile' })).rejects.toThrow(/not DecodeError/)
    await expect(fuzzDecoder({ decode: decodePoint, seeds: [Uint8Array.of(0xff)], runs: 1, seed: 1 })).rejects.toThrow(/seed 0 does not decode/)
    expect(() => decodePoint(Uint8Array.of(0xff))).toThrow(DecodeError)
  })

  it('reads FUZZ_RUNS, refusing a value that is not a positive integer', () => {
    delete process.env['FUZZ_RUNS']
    expect(fuzzRuns(100_000)).toBe(100_000)
    process.env['FUZZ_RUNS'] = '2500000'
    expect(fuzzRuns(100_000)).toBe(2_500_000)
    process.env['FUZZ_RUNS'] = 'lots'
    expect(() => fuzzRuns(1)).toThrow(RangeError)
  })
})
