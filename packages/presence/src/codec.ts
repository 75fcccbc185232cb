/**
 * Wire format of the presence layer (SPEC.md section 13.3): CBOR maps through the shared bounded
 * codec of @saorsa-gossip/types, every byte string with an exact length or a cap, every list with a
 * maximum count, each message with a byte cap checked before parsing. Decoders throw only
 * `DecodeError`.
 */
import { decodeCbor, encodeCbor, LIMITS, schema as s } from '@saorsa-gossip/types'
import type { BeaconBody, BeaconEnvelope, FindUserAnswer, FindUserQuery, FindUserReply, PresenceWire } from './proto/messages.ts'

export const PRESENCE_WIRE_VERSION = 1
export const TAG_BYTES = 32
export const NONCE_BYTES = 12
export const AEAD_TAG_BYTES = 16
export const QUERY_ID_BYTES = 16

/** Status, eight addresses of 256 characters, three integers and a PeerId: about 2.2 KB at most. */
export const MAX_BEACON_BODY_BYTES = 2_560
/** The envelope adds a tag, a nonce, the AEAD tag and a few CBOR heads to the body. */
export const MAX_BEACON_BYTES = MAX_BEACON_BODY_BYTES + 96
/** An ML-KEM-768 key (1,184 bytes), a query id and a PeerId. */
export const MAX_FIND_QUERY_BYTES = 1_320
export const MAX_FIND_ANSWER_BYTES = MAX_BEACON_BODY_BYTES
/** An ML-KEM-768 ciphertext (1,088 bytes) and the sealed answer. */
export const MAX_FIND_REPLY_BYTES = 1_200 + MAX_FIND_ANSWER_BYTES + 64

const version = s.literal(PRESENCE_WIRE_VERSION)
const status = s.literal('online', 'away', 'offline')
const addrs = s.array(s.text({ max: LIMITS.maxAddressLength }), { max: LIMITS.maxAddressesPerPeer })

const bodySchema = s.object({ v: version, sender: s.peerId(), status, addrs, since: s.uint(), expires: s.uint(), seq: s.uint() })
const envelopeSchema = s.object({
  v: version,
  tag: s.bytes({ length: TAG_BYTES }),
  nonce: s.bytes({ length: NONCE_BYTES }),
  ct: s.bytes({ min: AEAD_TAG_BYTES, max: MAX_BEACON_BODY_BYTES + AEAD_TAG_BYTES }),
})
const querySchema = s.object({
  v: version,
  qid: s.bytes({ length: QUERY_ID_BYTES }),
  target: s.peerId(),
  kem: s.bytes({ length: LIMITS.mlkem768PublicKeyBytes }),
})
const replySchema = s.object({
  v: version,
  qid: s.bytes({ length: QUERY_ID_BYTES }),
  kemCt: s.bytes({ length: LIMITS.mlkem768CiphertextBytes }),
  nonce: s.bytes({ length: NONCE_BYTES }),
  ct: s.bytes({ min: AEAD_TAG_BYTES, max: MAX_FIND_ANSWER_BYTES + AEAD_TAG_BYTES }),
})
const answerSchema = s.object({ v: version, target: s.peerId(), status, addrs, seenAt: s.uint() })

export function encodeBeaconBody(body: BeaconBody): Uint8Array {
  const { sender, status, addrs, since, expires, seq } = body
  return encodeCbor({ v: PRESENCE_WIRE_VERSION, sender: sender.bytes, status, addrs: [...addrs], since, expires, seq })
}

export function decodeBeaconBody(bytes: Uint8Array): BeaconBody {
  const { v: _v, ...body } = decodeCbor(bytes, bodySchema, { maxBytes: MAX_BEACON_BODY_BYTES })
  return body
}

export function encodeBeaconEnvelope(envelope: BeaconEnvelope): Uint8Array {
  return encodeCbor({ v: PRESENCE_WIRE_VERSION, tag: envelope.tag, nonce: envelope.nonce, ct: envelope.ct })
}

export function decodeBeaconEnvelope(bytes: Uint8Array): BeaconEnvelope {
  const { v: _v, ...envelope } = decodeCbor(bytes, envelopeSchema, { maxBytes: MAX_BEACON_BYTES })
  return envelope
}

export function encodeFindUserQuery(query: FindUserQuery): Uint8Array {
  return encodeCbor({ v: PRESENCE_WIRE_VERSION, qid: query.qid, target: query.target.bytes, kem: query.kem })
}

export function decodeFindUserQuery(bytes: Uint8Array): FindUserQuery {
  const { v: _v, ...query } = decodeCbor(bytes, querySchema, { maxBytes: MAX_FIND_QUERY_BYTES })
  return query
}

export function encodeFindUserReply(reply: FindUserReply): Uint8Array {
  return encodeCbor({ v: PRESENCE_WIRE_VERSION, qid: reply.qid, kemCt: reply.kemCt, nonce: reply.nonce, ct: reply.ct })
}

export function decodeFindUserReply(bytes: Uint8Array): FindUserReply {
  const { v: _v, ...reply } = decodeCbor(bytes, replySchema, { maxBytes: MAX_FIND_REPLY_BYTES })
  return reply
}

export function encodeFindUserAnswer(answer: FindUserAnswer): Uint8Array {
  return encodeCbor({ v: PRESENCE_WIRE_VERSION, target: answer.target.bytes, status: answer.status, addrs: [...answer.addrs], seenAt: answer.seenAt })
}

export function decodeFindUserAnswer(bytes: Uint8Array): FindUserAnswer {
  const { v: _v, ...answer } = decodeCbor(bytes, answerSchema, { maxBytes: MAX_FIND_ANSWER_BYTES })
  return answer
}

/** The codec as the core's capability. */
export const PRESENCE_WIRE: PresenceWire = Object.freeze({
  encodeBody: encodeBeaconBody,
  decodeBody: decodeBeaconBody,
  encodeEnvelope: encodeBeaconEnvelope,
  decodeEnvelope: decodeBeaconEnvelope,
})
