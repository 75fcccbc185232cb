/**
 * Mutation fuzzing of every rendezvous decoder (summary envelope, protocol messages, store file) with
 * the shared seeded loop of `@saorsa-gossip/types/testing`: bit flips, interesting bytes, truncations,
 * insertions, deletions, splices between encodings of different kinds, and random bytes. Only
 * DecodeError may ever come out. FUZZ_RUNS sets the number of inputs in all (default 100,000).
 */
import { describe, expect, it } from 'vitest'
import { SeededRng } from '@saorsa-gossip/types'
import { fuzzDecoder, fuzzRandomBytes, fuzzRuns } from '@saorsa-gossip/types/testing'
import { decodeRendezvousMessage, decodeSignedSummary, encodeRendezvousMessage, encodeSignedSummary, encodeSummaryBody, SUMMARY_DOMAIN } from '../src/codec.ts'
import { decodeStoreFile, encodeStoreFile } from '../src/persist.ts'
import { targetFromName } from '../src/target.ts'
import { identity } from './helpers.ts'

const RUNS = fuzzRuns(100_000)

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

describe('rendezvous decoder fuzzing', () => {
  it.each(decoders)(`throws only DecodeError for mutations of valid %s encodings (${RUNS} inputs over all decoders)`, async (name, decode, seeds) => {
    const runs = Math.ceil((RUNS * 0.9) / decoders.length)
    const { rejected } = await fuzzDecoder({ decode, seeds, corpus, runs, seed: `rendezvous-fuzz-${name}` })
    expect(rejected).toBeGreaterThan(runs / 2)
  })

  it(`throws only DecodeError for random byte strings (${Math.floor(RUNS * 0.1)} inputs)`, async () => {
    await fuzzRandomBytes({ decoders: decoders.map(([, decode]) => decode), runs: Math.floor(RUNS * 0.1), seed: 'rendezvous-fuzz-random' })
  })
})
