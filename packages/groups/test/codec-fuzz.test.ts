/**
 * Mutation fuzzing of both groups decoders with the shared seeded loop of
 * `@saorsa-gossip/types/testing`: bit flips, interesting bytes, truncations, insertions, deletions,
 * splices between encodings, random bytes. Only DecodeError may come out. FUZZ_RUNS sets the number
 * of inputs per example (default 10,000: 100k in total).
 */
import { describe, expect, it } from 'vitest'
import { fuzzDecoder, fuzzRuns } from '@saorsa-gossip/types/testing'
import { decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc, encodeGroupTopicPayload } from '../src/codec.ts'
import { RPC_GOLDEN, TOPIC_GOLDEN } from './codec-fixtures.ts'

const RUNS_PER_EXAMPLE = fuzzRuns(10_000)

const corpus: Uint8Array[] = [
  ...TOPIC_GOLDEN.map(([, m]) => encodeGroupTopicPayload(m)),
  ...RPC_GOLDEN.map(([, m]) => encodeGroupsRpc(m)),
]

describe('groups decoder fuzzing', () => {
  const cases = [
    ...TOPIC_GOLDEN.map(([name, m]) => [`topic ${name}`, encodeGroupTopicPayload(m), decodeGroupTopicPayload] as const),
    ...RPC_GOLDEN.map(([name, m]) => [`rpc ${name}`, encodeGroupsRpc(m), (b: Uint8Array) => decodeGroupsRpc(b)] as const),
  ]
  it.each(cases)(`throws only DecodeError for ${RUNS_PER_EXAMPLE} mutations of the %s example`, async (name, seed, decode) => {
    const { rejected } = await fuzzDecoder({ decode, seeds: [seed], corpus, runs: RUNS_PER_EXAMPLE, seed: `groups-fuzz-${name}` })
    // Most mutations break the input; some land on another valid message. Both are fine, crashes are not.
    expect(rejected).toBeGreaterThan(RUNS_PER_EXAMPLE / 4)
  })
})
