/**
 * The message header: what an origin signs when it publishes (SPEC.md "Message header").
 * The payload travels beside the header, bound to it by length and BLAKE3 hash, so a forwarder can
 * check the payload against the signed header without re-encoding anything.
 */
import { decodeCbor, encodeCbor } from './codec.ts'
import { ID_LENGTH, MessageId, type PeerId, type TopicId } from './ids.ts'
import { LIMITS } from './limits.ts'
import { bytes, literal, object, peerId, topicId, transform, uint } from './schema.ts'

export const HEADER_VERSION = 1

export interface MessageHeader {
  readonly version: typeof HEADER_VERSION
  readonly topic: TopicId
  /** The publishing peer, whose key signs the header. */
  readonly origin: PeerId
  /** Per-origin sequence number, strictly increasing across the origin's publications. */
  readonly seq: number
  /** Origin's wall clock at publication, Unix milliseconds; receivers reject stale or far-future headers. */
  readonly timestampMs: number
  readonly payloadLength: number
  /** BLAKE3-256 of the payload. */
  readonly payloadHash: Uint8Array
}

/** Largest encoded header: fixed fields plus CBOR overhead, well under 256 bytes. */
export const MAX_HEADER_BYTES = 256

const headerSchema = transform(
  object({
    v: literal(HEADER_VERSION),
    t: topicId(),
    o: peerId(),
    s: uint(),
    ts: uint(),
    n: uint({ max: LIMITS.maxPayloadBytes }),
    h: bytes({ length: ID_LENGTH }),
  }),
  (w): MessageHeader => ({ version: w.v, topic: w.t, origin: w.o, seq: w.s, timestampMs: w.ts, payloadLength: w.n, payloadHash: w.h }),
)

export function encodeMessageHeader(header: MessageHeader): Uint8Array {
  return encodeCbor({
    v: header.version,
    t: header.topic.bytes,
    o: header.origin.bytes,
    s: header.seq,
    ts: header.timestampMs,
    n: header.payloadLength,
    h: header.payloadHash,
  })
}

export function decodeMessageHeader(input: Uint8Array): MessageHeader {
  return decodeCbor(input, headerSchema, { maxBytes: MAX_HEADER_BYTES })
}

/** MessageId of the message this header describes. */
export function messageIdOf(header: MessageHeader): MessageId {
  return MessageId.derive(header.origin, header.seq, header.payloadHash)
}
