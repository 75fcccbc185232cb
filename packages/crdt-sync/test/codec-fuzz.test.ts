/**
 * Mutation fuzzing of every crdt-sync decoder (frames on each channel, store records, CRDT payloads)
 * with a seeded loop: bit flips, interesting bytes, truncations, insertions, deletions, splices and
 * random bytes. Only DecodeError may come out. FUZZ_RUNS (default 100,000) is the total number of
 * inputs, shared among the seven decoders so no test holds its worker for more than a few seconds.
 */
import { describe, expect, it } from 'vitest'
import { DecodeError, SeededRng } from '@saorsa-gossip/types'
import { decodeStoreRecord, decodeWireFrame, encodeSealedFrame, encodeStoreRecord, encodeSyncFrame } from '../src/codec.ts'
import { decodeLwwMap, decodeOrSet, decodePnCounter } from '../src/docs/payload-codec.ts'
import { GOLDEN, PAYLOADS, RECORDS, SEALED } from './codec-fixtures.ts'

const TOTAL_RUNS = Number(process.env['FUZZ_RUNS'] ?? 100_000)
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x5f, 0x60, 0x78, 0x7f, 0x80,
  0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

const corpus: Uint8Array[] = [
  ...GOLDEN.map(([, , f]) => encodeSyncFrame(f)),
  encodeSealedFrame(SEALED[1]),
  ...RECORDS.map(([, r]) => encodeStoreRecord(r)),
  ...Object.values(PAYLOADS),
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

const DECODERS: ReadonlyArray<readonly [string, (b: Uint8Array) => unknown]> = [
  ['topic frame', (b) => decodeWireFrame(b, 'topic')],
  ['request frame', (b) => decodeWireFrame(b, 'request')],
  ['bulk frame', (b) => decodeWireFrame(b, 'bulk')],
  ['store record', decodeStoreRecord],
  ['OR-Set payload', decodeOrSet],
  ['LWW map payload', decodeLwwMap],
  ['PN-counter payload', decodePnCounter],
]
const RUNS = Math.ceil(TOTAL_RUNS / DECODERS.length)

describe('crdt-sync decoder fuzzing', () => {
  it.each(DECODERS.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${RUNS} mutated inputs to the %s decoder`, (name, index) => {
    const decode = DECODERS[index]![1]
    const rng = new SeededRng(`crdt-fuzz-${name}`)
    let rejected = 0
    for (let i = 0; i < RUNS; i++) {
      const input = i % 10 === 9 ? rng.fill(new Uint8Array(rng.nextInt(200))) : mutate(rng, corpus[rng.nextInt(corpus.length)]!)
      try {
        decode(input)
      } catch (err) {
        if (!(err instanceof DecodeError)) throw new Error(`${name}: non-DecodeError for ${Buffer.from(input).toString('hex')}`, { cause: err })
        rejected++
      }
    }
    expect(rejected).toBeGreaterThan(RUNS / 2)
  })
})
