/**
 * Mutation fuzzing of the membership decoder with the shared seeded loop of
 * `@saorsa-gossip/types/testing`: bit flips, interesting bytes, truncations, insertions, deletions,
 * splices between encodings of different kinds, and random bytes. Only DecodeError may ever come
 * out. FUZZ_RUNS sets the number of inputs per message kind (default 10,000).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { fuzzDecoder, fuzzRandomBytes, fuzzRuns } from '@saorsa-gossip/types/testing'
import { decodeMembershipMessage, encodeMembershipMessage } from '../src/codec.ts'
import { GOLDEN, membershipMessageArb } from './codec-fixtures.ts'

const RUNS_PER_KIND = fuzzRuns(10_000)

// Corpus: every golden example plus larger random valid messages (full update lists, many peers).
const corpus: Uint8Array[] = [
  ...GOLDEN.map(([, m]) => encodeMembershipMessage(m)),
  ...fc.sample(membershipMessageArb, { numRuns: 20, seed: 5 }).map(encodeMembershipMessage),
]

describe('membership decoder fuzzing', () => {
  it.each(GOLDEN.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${RUNS_PER_KIND} mutations of the %s example`, async (_name, index) => {
    const { rejected } = await fuzzDecoder({
      decode: decodeMembershipMessage, seeds: [corpus[index]!], corpus, runs: RUNS_PER_KIND, seed: `mship-fuzz-${index}`,
    })
    expect(rejected).toBeGreaterThan(RUNS_PER_KIND / 2)
  })

  it(`throws only DecodeError for ${RUNS_PER_KIND} random byte strings`, async () => {
    const [random] = await fuzzRandomBytes({ decoders: [decodeMembershipMessage], runs: RUNS_PER_KIND, seed: 'mship-fuzz-random' })
    expect(random!.rejected).toBeGreaterThan(RUNS_PER_KIND * 0.99)
  })
})
