/**
 * Mutation fuzzing of every presence decoder with a seeded loop: bit flips, interesting bytes,
 * truncations, insertions, deletions, splices between encodings, and random bytes. Only
 * DecodeError may come out. FUZZ_RUNS sets the number of inputs per decoder (default 20,000:
 * 100,000 over the five decoders, plus random byte strings).
 */
import { describe, expect, it } from 'vitest'
import { DecodeError, SeededRng } from '@saorsa-gossip/types'
import * as codec from '../src/codec.ts'
import { ALICE, ANSWER, BODY, NONCE, QUERY, REPLY } from './fixtures.ts'

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 20_000)
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x59, 0x5f, 0x60, 0x78, 0x7f, 0x80,
  0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

const envelope = codec.encodeBeaconEnvelope({ tag: ALICE.bytes, nonce: NONCE, ct: new Uint8Array(180).fill(7) })
const fullBody = codec.encodeBeaconBody({ ...BODY, status: 'away', addrs: Array.from({ length: 8 }, (_, i) => `tcp://[2001:db8::${i}]:4001`) })
const DECODERS: ReadonlyArray<readonly [string, (b: Uint8Array) => unknown, Uint8Array]> = [
  ['beacon envelope', codec.decodeBeaconEnvelope, envelope],
  ['beacon body', codec.decodeBeaconBody, codec.encodeBeaconBody(BODY)],
  ['find-user query', codec.decodeFindUserQuery, codec.encodeFindUserQuery(QUERY)],
  ['find-user reply', codec.decodeFindUserReply, codec.encodeFindUserReply(REPLY)],
  ['find-user answer', codec.decodeFindUserAnswer, codec.encodeFindUserAnswer(ANSWER)],
]
const corpus = [...DECODERS.map(([, , seed]) => seed), fullBody]

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

function tryDecode(decode: (b: Uint8Array) => unknown, input: Uint8Array): 'ok' | 'rejected' {
  try {
    decode(input)
    return 'ok'
  } catch (err) {
    if (err instanceof DecodeError) return 'rejected'
    throw new Error(`non-DecodeError for input ${Buffer.from(input).toString('hex')}`, { cause: err })
  }
}

/** Hands the event loop back now and then, so vitest's worker RPC is never starved. */
const yieldLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('presence decoder fuzzing', () => {
  it.each(DECODERS.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${RUNS} mutations of a %s`, async (_name, index) => {
    const [, decode, seed] = DECODERS[index]!
    const rng = new SeededRng(`presence-fuzz-${index}`)
    let rejected = 0
    for (let i = 0; i < RUNS; i++) {
      if (i % 1_000 === 0) await yieldLoop()
      if (tryDecode(decode, mutate(rng, i % 4 === 0 ? corpus[rng.nextInt(corpus.length)]! : seed)) === 'rejected') rejected++
    }
    expect(rejected).toBeGreaterThan(RUNS / 2)
  })

  it(`throws only DecodeError for ${RUNS} random byte strings per decoder`, async () => {
    const rng = new SeededRng('presence-fuzz-random')
    for (const [, decode] of DECODERS) {
      let rejected = 0
      await yieldLoop()
      for (let i = 0; i < RUNS / 4; i++) if (tryDecode(decode, rng.fill(new Uint8Array(rng.nextInt(400)))) === 'rejected') rejected++
      expect(rejected).toBeGreaterThan(RUNS / 4 * 0.99)
    }
  })
})
