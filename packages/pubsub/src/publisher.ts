/**
 * Builds and signs published messages (SPEC.md section 7 "Published message"): assigns the
 * per-origin sequence number, stamps the wall clock, hashes the payload into the header, encodes the
 * header once and signs exactly those bytes. Lives outside `proto/` because it encodes CBOR and signs.
 */
import {
  HEADER_VERSION, InvalidParametersError, LIMITS, encodeMessageHeader, payloadHash,
  type MessageHeader, type PeerId, type TopicId,
} from '@saorsa-gossip/types'
import type { PublishMessage } from './proto/messages.ts'

/**
 * Signs `signingInput(DOMAIN.pubsubMessage, headerBytes)` with the origin's ML-DSA-65 key, or under
 * `DOMAIN.pubsubNeighbor` for a neighbour broadcast.
 */
export type SignHeader = (headerBytes: Uint8Array, neighborsOnly: boolean) => Uint8Array

export class Publisher {
  readonly origin: PeerId
  readonly #sign: SignHeader
  #nextSeq: number

  /**
   * `firstSeq` should grow across restarts so ids and replay windows stay fresh; the driver uses
   * wall-clock milliseconds x 1024, which stays below 2^53 until the year 2248.
   */
  constructor(origin: PeerId, sign: SignHeader, firstSeq = 0) {
    if (!Number.isSafeInteger(firstSeq) || firstSeq < 0) throw new InvalidParametersError('firstSeq must be a non-negative safe integer')
    this.origin = origin
    this.#sign = sign
    this.#nextSeq = firstSeq
  }

  /** The sequence number the next message will carry. */
  get nextSeq(): number {
    return this.#nextSeq
  }

  /** Moves the counter forward to `seq` (never back): a restored high-water mark. */
  advanceTo(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new InvalidParametersError('seq must be a non-negative safe integer')
    this.#nextSeq = Math.max(this.#nextSeq, seq)
  }

  /** `neighborsOnly` builds a neighbour broadcast: same header, its own signing domain, never forwarded. */
  build(topic: TopicId, payload: Uint8Array, wallMs: number, options: { neighborsOnly?: boolean } = {}): PublishMessage {
    if (!(payload instanceof Uint8Array)) throw new InvalidParametersError('payload must be a Uint8Array')
    if (payload.length > LIMITS.maxPayloadBytes) {
      throw new InvalidParametersError(`payload of ${payload.length} bytes exceeds the ${LIMITS.maxPayloadBytes}-byte cap; send large data over the bulk stream`)
    }
    const header: MessageHeader = {
      version: HEADER_VERSION, topic, origin: this.origin, seq: this.#nextSeq++,
      timestampMs: Math.max(0, Math.floor(wallMs)), payloadLength: payload.length, payloadHash: payloadHash(payload),
    }
    const headerBytes = encodeMessageHeader(header)
    const neighborsOnly = options.neighborsOnly === true
    const message: PublishMessage = { type: 'publish', headerBytes, header, signature: this.#sign(headerBytes, neighborsOnly), payload, hop: 1 }
    return neighborsOnly ? { ...message, neighborsOnly } : message
  }
}
