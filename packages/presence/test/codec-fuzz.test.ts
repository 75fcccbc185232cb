/**
 * Mutation fuzzing of every presence decoder with the shared seeded loop of
 * `@saorsa-gossip/types/testing`: bit flips, interesting bytes, truncations, insertions, deletions,
 * splices between encodings, and random bytes. Only DecodeError may come out. FUZZ_RUNS sets the
 * number of inputs per decoder (default 20,000: 100,000 over the five decoders, plus random bytes).
 */
import { describe, expect, it } from 'vitest'
import { fuzzDecoder, fuzzRandomBytes, fuzzRuns } from '@saorsa-gossip/types/testing'
import * as codec from '../src/codec.ts'
import { ALICE, ANSWER, BODY, NONCE, QUERY, REPLY } from './fixtures.ts'

const RUNS = fuzzRuns(20_000)

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

describe('presence decoder fuzzing', () => {
  it.each(DECODERS.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${RUNS} mutations of a %s`, async (_name, index) => {
    const [, decode, seed] = DECODERS[index]!
    const { rejected } = await fuzzDecoder({ decode, seeds: [seed], corpus, runs: RUNS, seed: `presence-fuzz-${index}`, turnEvery: 1_000 })
    expect(rejected).toBeGreaterThan(RUNS / 2)
  })

  const randomRuns = Math.ceil(RUNS / 4)
  it(`throws only DecodeError for ${randomRuns} random byte strings per decoder`, async () => {
    const results = await fuzzRandomBytes({
      decoders: DECODERS.map(([, decode]) => decode), runs: randomRuns, seed: 'presence-fuzz-random', maxLength: 400, turnEvery: 1_000,
    })
    for (const { rejected } of results) expect(rejected).toBeGreaterThan(randomRuns * 0.99)
  })
})
