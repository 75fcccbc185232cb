/**
 * Mutation fuzzing of the membership decoder with a seeded loop: bit flips, interesting bytes,
 * truncations, insertions, deletions, splices between encodings of different kinds, and random
 * bytes. Only DecodeError may ever come out. FUZZ_RUNS sets the number of inputs per message kind.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DecodeError, SeededRng } from '@saorsa-gossip/types'
import { decodeMembershipMessage, encodeMembershipMessage } from '../src/codec.ts'
import { GOLDEN, membershipMessageArb } from './codec-fixtures.ts'

const RUNS_PER_KIND = Number(process.env['FUZZ_RUNS'] ?? 10_000)
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x5f, 0x60, 0x78, 0x7f, 0x80,
  0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

// Corpus: every golden example plus larger random valid messages (full update lists, many peers).
const corpus: Uint8Array[] = [
  ...GOLDEN.map(([, m]) => encodeMembershipMessage(m)),
  ...fc.sample(membershipMessageArb, { numRuns: 20, seed: 5 }).map(encodeMembershipMessage),
]

function mutate(rng: SeededRng, seed: Uint8Array): Uint8Array {
  let b = seed.slice()
  const steps = 1 + rng.nextInt(4)
  for (let s = 0; s < steps; s++) {
    const at = b.length === 0 ? 0 : rng.nextInt(b.length)
    switch (rng.nextInt(7)) {
      case 0: if (b.length > 0) b[at] = b[at]! ^ (1 << rng.nextInt(8)); break
      case 1: if (b.length > 0) b[at] = INTERESTING[rng.nextInt(INTERESTING.length)]!; break
      case 2: b = b.subarray(0, rng.nextInt(b.length + 1)); break
      case 3: {
        const ins = rng.fill(new Uint8Array(1 + rng.nextInt(8)))
        const out = new Uint8Array(b.length + ins.length)
        out.set(b.subarray(0, at)); out.set(ins, at); out.set(b.subarray(at), at + ins.length)
        b = out
        break
      }
      case 4: {
        const len = rng.nextInt(Math.min(16, b.length - at) + 1)
        const out = new Uint8Array(b.length - len)
        out.set(b.subarray(0, at)); out.set(b.subarray(at + len), at)
        b = out
        break
      }
      case 5: {
        const other = corpus[rng.nextInt(corpus.length)]!
        const cut = rng.nextInt(other.length + 1)
        const out = new Uint8Array(at + other.length - cut)
        out.set(b.subarray(0, at)); out.set(other.subarray(cut), at)
        b = out
        break
      }
      default: if (b.length > 0) b[at] = rng.nextU32() & 0xff
    }
  }
  return b
}

function tryDecode(input: Uint8Array): 'ok' | 'rejected' {
  try {
    decodeMembershipMessage(input)
    return 'ok'
  } catch (err) {
    if (err instanceof DecodeError) return 'rejected'
    throw new Error(`non-DecodeError for input ${Buffer.from(input).toString('hex')}`, { cause: err })
  }
}

describe('membership decoder fuzzing', () => {
  it.each(GOLDEN.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${RUNS_PER_KIND} mutations of the %s example`, (_name, index) => {
    const rng = new SeededRng(`mship-fuzz-${index}`)
    const seed = corpus[index]!
    let rejected = 0
    for (let i = 0; i < RUNS_PER_KIND; i++) {
      const input = mutate(rng, i % 4 === 0 ? corpus[rng.nextInt(corpus.length)]! : seed)
      if (tryDecode(input) === 'rejected') rejected++
    }
    expect(rejected).toBeGreaterThan(RUNS_PER_KIND / 2)
  })

  it(`throws only DecodeError for ${RUNS_PER_KIND} random byte strings`, () => {
    const rng = new SeededRng('mship-fuzz-random')
    let rejected = 0
    for (let i = 0; i < RUNS_PER_KIND; i++) {
      if (tryDecode(rng.fill(new Uint8Array(rng.nextInt(300)))) === 'rejected') rejected++
    }
    expect(rejected).toBeGreaterThan(RUNS_PER_KIND * 0.99)
  })
})
