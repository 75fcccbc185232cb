/**
 * @packageDocumentation
 * Test helpers shared by the packages' test suites (`@saorsa-gossip/types/testing`): the codec fuzz
 * loop. Not part of the runtime API: nothing under `src/` of any package imports this subpath.
 */
export {
  fuzzDecoder, fuzzRandomBytes, fuzzRuns, INTERESTING_BYTES, mutate, rejectsWithDecodeError,
  type FuzzDecoderOptions, type FuzzResult,
} from './fuzz.ts'
