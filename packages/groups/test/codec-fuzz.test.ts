/**
 * Mutation fuzzing of both groups decoders with a seeded loop: bit flips, interesting bytes,
 * truncations, insertions, deletions, splices between encodings, random bytes. Only DecodeError
 * may come out. FUZZ_RUNS sets the number of inputs per example (default: 100k in total).
 */
import { describe, expect, it } from 'vitest'
import { DecodeError, SeededRng } from '@saorsa-gossip/types'
import { decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc, encodeGroupTopicPayload } from '../src/codec.ts'
import { RPC_GOLDEN, TOPIC_GOLDEN } from './codec-fixtures.ts'

const RUNS_PER_EXAMPLE = Number(process.env['FUZZ_RUNS'] ?? 10_000)
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x5f, 0x60, 0x78, 0x7f, 0x80,
  0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

const corpus: Uint8Array[] = [
  ...TOPIC_GOLDEN.map(([, m]) => encodeGroupTopicPayload(m)),
  ...RPC_GOLDEN.map(([, m]) => encodeGroupsRpc(m)),
]

function mutate(rng: SeededRng, seed: Uint8Array): Uint8Array {
  let b = seed.slice()
  const steps = 1 + rng.nextInt(4)
  for (let step = 0; step < steps; step++) {
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

function outcome(decode: (b: Uint8Array) => unknown, input: Uint8Array): 'ok' | 'rejected' {
  try {
    decode(input)
    return 'ok'
  } catch (err) {
    if (err instanceof DecodeError) return 'rejected'
    throw new Error(`non-DecodeError for input ${Buffer.from(input).toString('hex')}`, { cause: err })
  }
}

describe('groups decoder fuzzing', () => {
  const cases = [
    ...TOPIC_GOLDEN.map(([name, m]) => [`topic ${name}`, encodeGroupTopicPayload(m), decodeGroupTopicPayload] as const),
    ...RPC_GOLDEN.map(([name, m]) => [`rpc ${name}`, encodeGroupsRpc(m), (b: Uint8Array) => decodeGroupsRpc(b)] as const),
  ]
  it.each(cases)(`throws only DecodeError for ${RUNS_PER_EXAMPLE} mutations of the %s example`, (name, seed, decode) => {
    const rng = new SeededRng(`groups-fuzz-${name}`)
    let rejected = 0
    for (let i = 0; i < RUNS_PER_EXAMPLE; i++) if (outcome(decode, mutate(rng, seed)) === 'rejected') rejected++
    // Most mutations break the input; some land on another valid message. Both are fine, crashes are not.
    expect(rejected).toBeGreaterThan(RUNS_PER_EXAMPLE / 4)
  })
})
