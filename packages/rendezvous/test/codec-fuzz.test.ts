/**
 * Mutation fuzzing of every rendezvous decoder (summary envelope, protocol messages, store file) with
 * a seeded loop: bit flips, interesting bytes, truncations, insertions, deletions, splices between
 * encodings of different kinds, and random bytes. Only DecodeError may ever come out. FUZZ_RUNS sets
 * the number of inputs in all (default 100,000).
 */
import { describe, expect, it } from 'vitest'
import { DecodeError, SeededRng } from '@saorsa-gossip/types'
import { decodeRendezvousMessage, decodeSignedSummary, encodeRendezvousMessage, encodeSignedSummary, encodeSummaryBody, SUMMARY_DOMAIN } from '../src/codec.ts'
import { decodeStoreFile, encodeStoreFile } from '../src/persist.ts'
import { targetFromName } from '../src/target.ts'
import { identity } from './helpers.ts'

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100_000)
/** Inputs between two turns of the event loop (docs/architecture.md section 9). */
const TURN_EVERY = 2_000
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x59, 0x5f, 0x60, 0x78, 0x7f, 0x80,
  0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

const id = identity(9)
const rng0 = new SeededRng('rendezvous-fuzz-corpus')
const body = (hints: string[], extra: boolean) => encodeSummaryBody({
  version: 1, target: targetFromName('fuzz'), provider: id.peerId, publicKey: id.publicKey, capabilities: ['SITE', 'KEYPACKAGE'],
  ...(extra ? { contentRoot: rng0.fill(new Uint8Array(32)), manifestVersion: 2 ** 40, bloom: rng0.fill(new Uint8Array(1024)) } : {}),
  addressHints: hints, issuedAtMs: 1_767_225_600_000, expiresAtMs: 1_767_229_200_000, seq: 5,
})
const summaries = [
  encodeSignedSummary(body([], false), id.sign(SUMMARY_DOMAIN, body([], false))),
  encodeSignedSummary(body(Array.from({ length: 8 }, (_, i) => `tcp://10.0.0.${i}:9000`), true), rng0.fill(new Uint8Array(3309))),
]
const messages = [
  encodeRendezvousMessage({ type: 'register', summary: summaries[0]! }),
  encodeRendezvousMessage({ type: 'query', queryId: 1, target: new Uint8Array(32), capability: 'DOC', cursor: 12, limit: 8 }),
  encodeRendezvousMessage({ type: 'query', queryId: 0xffff_ffff, target: new Uint8Array(32).fill(7), limit: 1 }),
  encodeRendezvousMessage({ type: 'reply', queryId: 3, summaries: [summaries[1]!, rng0.fill(new Uint8Array(40))], cursor: 2 ** 41, more: true }),
  encodeRendezvousMessage({ type: 'refused', queryId: 0xffff_ffff, why: 'busy', retryAfterMs: 3_600_000 }),
]
const files = [encodeStoreFile(summaries), encodeStoreFile([])]
const corpus = [...summaries, ...messages, ...files]

const decoders: Array<[string, (b: Uint8Array) => unknown, Uint8Array[]]> = [
  ['summary envelope', decodeSignedSummary, summaries],
  ['protocol message', decodeRendezvousMessage, messages],
  ['store file', (b) => decodeStoreFile(b, 16), files],
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

function rejected(decode: (b: Uint8Array) => unknown, input: Uint8Array): boolean {
  try {
    decode(input)
    return false
  } catch (err) {
    if (err instanceof DecodeError) return true
    throw new Error(`non-DecodeError for input ${Buffer.from(input).toString('hex').slice(0, 200)}`, { cause: err })
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('rendezvous decoder fuzzing', () => {
  it.each(decoders)(`throws only DecodeError for mutations of valid %s encodings (${RUNS} inputs over all decoders)`, async (name, decode, seeds) => {
    const rng = new SeededRng(`rendezvous-fuzz-${name}`)
    const runs = Math.ceil((RUNS * 0.9) / decoders.length)
    for (const seed of seeds) expect(rejected(decode, seed), `${name} seed decodes`).toBe(false)
    let refused = 0
    for (let i = 0; i < runs; i++) {
      if (i % TURN_EVERY === 0) await turn()
      const base = i % 4 === 0 ? corpus[rng.nextInt(corpus.length)]! : seeds[rng.nextInt(seeds.length)]!
      if (rejected(decode, mutate(rng, base))) refused++
    }
    expect(refused).toBeGreaterThan(runs / 2)
  })

  it(`throws only DecodeError for random byte strings (${Math.floor(RUNS * 0.1)} inputs)`, async () => {
    const rng = new SeededRng('rendezvous-fuzz-random')
    for (let i = 0; i < Math.floor(RUNS * 0.1); i++) {
      if (i % TURN_EVERY === 0) await turn()
      const input = rng.fill(new Uint8Array(rng.nextInt(300)))
      for (const [, decode] of decoders) rejected(decode, input)
    }
  })
})
