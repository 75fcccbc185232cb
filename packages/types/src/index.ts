/**
 * @packageDocumentation
 * Shared types of the Saorsa Gossip overlay: identifiers, the bounded CBOR codec, signed envelopes,
 * the message header, clock and RNG interfaces, error classes, the limits table and the IBLT used
 * for set reconciliation. The driver runtime that runs every sans-IO core is the
 * `@saorsa-gossip/types/runtime` subpath.
 *
 * @example
 * ```ts
 * import { TopicId, decodeMessageHeader, DecodeError } from '@saorsa-gossip/types'
 *
 * const topic = TopicId.fromName('chat/lobby')
 * console.log(topic.toShortString())          // first 8 hex characters
 * try {
 *   decodeMessageHeader(bytesFromNetwork)
 * } catch (err) {
 *   if (err instanceof DecodeError) console.log('dropped:', err.message)
 * }
 * ```
 */
export { AbortError, DecodeError, InvalidParametersError, NotStartedError, SaorsaError, TimeoutError, raceAbort, throwIfAborted, type AbortOptions } from './errors.ts'
export { assertBytes, bytesEqual, compareBytes, concatBytes, copyBytes, fromHex, toHex, u64be, utf8 } from './bytes.ts'
export { ID_LENGTH, MessageId, PeerId, TopicId, payloadHash } from './ids.ts'
export { activeBlake3Backend, blake3, loadBlake3Backend, type Blake3Backend } from './blake3.ts'
export { decodeCbor, encodeCbor, type DecodeOptions } from './codec.ts'
export { MAX_CBOR_DEPTH } from './cbor-subset.ts'
export * as schema from './schema.ts'
export type { Schema, Infer } from './schema.ts'
export { decodeSignedEnvelope, encodeSignedEnvelope, type EnvelopeLimits, type SignedEnvelope } from './envelope.ts'
export { DOMAIN, type Domain } from './domains.ts'
export { HEADER_VERSION, MAX_HEADER_BYTES, decodeMessageHeader, encodeMessageHeader, messageIdOf, type MessageHeader } from './header.ts'
export { ManualClock, systemClock, type Clock } from './clock.ts'
export { SeededRng, cryptoRng, pick, sample, shuffled, type Rng } from './rng.ts'
export { LIMITS, type Limits } from './limits.ts'
export { liftOutputs, type CoreInput, type CoreOutput, type Lift, type Outbox, type ProtocolCore } from './sansio.ts'
export { Iblt, IBLT_CELL_BYTES, IBLT_HASHES, IBLT_KEY_BYTES, type IbltDifference } from './iblt.ts'
