/**
 * Mutation fuzzing of every crdt-sync decoder (frames on each channel, store records, CRDT payloads)
 * with the shared seeded loop of `@saorsa-gossip/types/testing`: bit flips, interesting bytes,
 * truncations, insertions, deletions, splices and random bytes. Only DecodeError may come out.
 * FUZZ_RUNS (default 100,000) is the total number of inputs, shared among the seven decoders so no
 * test holds its worker for more than a few seconds.
 */
import { describe, expect, it } from 'vitest'
import { fuzzDecoder, fuzzRandomBytes, fuzzRuns, rejectsWithDecodeError } from '@saorsa-gossip/types/testing'
import { decodeStoreRecord, decodeWireFrame, encodeSealedFrame, encodeStoreRecord, encodeSyncFrame } from '../src/codec.ts'
import { decodeLwwMap, decodeOrSet, decodePnCounter } from '../src/docs/payload-codec.ts'
import { GOLDEN, PAYLOADS, RECORDS, SEALED } from './codec-fixtures.ts'

const TOTAL_RUNS = fuzzRuns(100_000)

const corpus: Uint8Array[] = [
  ...GOLDEN.map(([, , f]) => encodeSyncFrame(f)),
  encodeSealedFrame(SEALED[1]),
  ...RECORDS.map(([, r]) => encodeStoreRecord(r)),
  ...Object.values(PAYLOADS),
]

const DECODERS: ReadonlyArray<readonly [string, (b: Uint8Array) => unknown]> = [
  ['topic frame', (b) => decodeWireFrame(b, 'topic')],
  ['request frame', (b) => decodeWireFrame(b, 'request')],
  ['bulk frame', (b) => decodeWireFrame(b, 'bulk')],
  ['store record', decodeStoreRecord],
  ['OR-Set payload', decodeOrSet],
  ['LWW map payload', decodeLwwMap],
  ['PN-counter payload', decodePnCounter],
]
// Nine in ten inputs per decoder are mutations of valid encodings, one in ten random bytes.
const RUNS = Math.ceil(TOTAL_RUNS / DECODERS.length)
const MUTATED_RUNS = Math.ceil(RUNS * 0.9)
const RANDOM_RUNS = RUNS - MUTATED_RUNS

/** The corpus entries `decode` accepts: the valid encodings its mutations start from. */
function seedsOf(decode: (b: Uint8Array) => unknown): Uint8Array[] {
  return corpus.filter((bytes) => !rejectsWithDecodeError(decode, bytes))
}

describe('crdt-sync decoder fuzzing', () => {
  it.each(DECODERS.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${MUTATED_RUNS} mutated inputs to the %s decoder`, async (name, index) => {
    const decode = DECODERS[index]![1]
    const { rejected } = await fuzzDecoder({ decode, seeds: seedsOf(decode), corpus, runs: MUTATED_RUNS, seed: `crdt-fuzz-${name}` })
    expect(rejected).toBeGreaterThan(MUTATED_RUNS / 2)
  })

  it(`throws only DecodeError for ${RANDOM_RUNS} random byte strings to every decoder`, async () => {
    const results = await fuzzRandomBytes({ decoders: DECODERS.map(([, decode]) => decode), runs: RANDOM_RUNS, seed: 'crdt-fuzz-random', maxLength: 200 })
    for (const { rejected } of results) expect(rejected).toBeGreaterThan(RANDOM_RUNS / 2)
  })
})
