/**
 * FOAF wire codec (SPEC.md section 9.4): a query carries the requester's signed envelope and the
 * unsigned hop TTL, its body optionally an opaque payload for the layer answering a user or content
 * target; a reply carries the query id and at most 8 signed records. Caps are checked before parsing;
 * every failure is a DecodeError.
 */
import {
  DecodeError, LIMITS, decodeCbor, decodeSignedEnvelope, encodeCbor, encodeSignedEnvelope, schema,
} from '@saorsa-gossip/types'
import { MAX_ADVERT_BYTES } from './advert.ts'
import {
  MAX_FOAF_PAYLOAD_BYTES, MAX_FOAF_TTL, MAX_REPLY_RECORDS, QUERY_ID_BYTES, type FoafMessage, type FoafQueryBody, type FoafTarget,
} from './proto/foaf-messages.ts'

/** Query body: the 1,952-byte key plus about 130 bytes of fields, and a payload with its 4-byte key and head. */
export const MAX_QUERY_BODY_BYTES = 2_304 + MAX_FOAF_PAYLOAD_BYTES + 8
export const MAX_QUERY_ENVELOPE_BYTES = MAX_QUERY_BODY_BYTES + LIMITS.mldsa65SignatureBytes + 32
/** A reply of 8 maximal records plus heads; also the cap of any FOAF message. */
export const MAX_FOAF_MESSAGE_BYTES = MAX_REPLY_RECORDS * (MAX_ADVERT_BYTES + 3) + 64

const targetSchema = schema.variant('k', {
  coordinator: schema.object({ k: schema.literal('coordinator') }),
  user: schema.object({ k: schema.literal('user'), id: schema.bytes({ length: 32 }) }),
  content: schema.object({ k: schema.literal('content'), id: schema.bytes({ length: 32 }) }),
})

const bodySchema = schema.object({
  v: schema.literal(1),
  q: schema.bytes({ length: QUERY_ID_BYTES }),
  t: targetSchema,
  o: schema.peerId(),
  pk: schema.bytes({ length: LIMITS.mldsa65PublicKeyBytes }),
  ttl: schema.uint({ min: 1, max: MAX_FOAF_TTL }),
  ts: schema.uint(),
  p: schema.optional(schema.bytes({ min: 1, max: MAX_FOAF_PAYLOAD_BYTES })),
})

const messageSchema = schema.variant('k', {
  query: schema.object({
    k: schema.literal('query'),
    e: schema.bytes({ min: 1, max: MAX_QUERY_ENVELOPE_BYTES }),
    ttl: schema.uint({ min: 1, max: MAX_FOAF_TTL }),
  }),
  reply: schema.object({
    k: schema.literal('reply'),
    q: schema.bytes({ length: QUERY_ID_BYTES }),
    r: schema.array(schema.bytes({ min: 1, max: MAX_ADVERT_BYTES }), { max: MAX_REPLY_RECORDS }),
  }),
})

function targetToWire(t: FoafTarget): Record<string, unknown> {
  return t.kind === 'coordinator' ? { k: t.kind } : { k: t.kind, id: t.id }
}

export function encodeQueryBody(body: FoafQueryBody): Uint8Array {
  return encodeCbor({
    v: 1, q: body.queryId, t: targetToWire(body.target), o: body.requester.bytes, pk: body.publicKey, ttl: body.maxTtl,
    ts: body.createdAtMs, ...(body.payload === undefined ? {} : { p: body.payload }),
  })
}

export function decodeQueryEnvelope(envelope: Uint8Array): { body: FoafQueryBody; bodyBytes: Uint8Array; sig: Uint8Array } {
  const { body: bodyBytes, sig } = decodeSignedEnvelope(envelope, { maxBodyBytes: MAX_QUERY_BODY_BYTES })
  const b = decodeCbor(bodyBytes, bodySchema, { maxBytes: MAX_QUERY_BODY_BYTES })
  const target: FoafTarget = b.t.k === 'coordinator' ? { kind: 'coordinator' } : { kind: b.t.k, id: b.t.id }
  // Coordinator queries are answered from the advert cache alone: a payload there could only be smuggled bytes.
  if (b.p !== undefined && target.kind === 'coordinator') throw new DecodeError('a coordinator query carries no payload', 'p')
  return {
    body: {
      version: 1, queryId: b.q, target, requester: b.o, publicKey: b.pk, maxTtl: b.ttl, createdAtMs: b.ts,
      ...(b.p === undefined ? {} : { payload: b.p }),
    },
    bodyBytes,
    sig,
  }
}

export function encodeQueryEnvelope(bodyBytes: Uint8Array, sig: Uint8Array): Uint8Array {
  return encodeSignedEnvelope({ body: bodyBytes, sig })
}

export function encodeFoafMessage(msg: FoafMessage): Uint8Array {
  if (msg.type === 'query') return encodeCbor({ k: 'query', e: msg.envelope, ttl: msg.ttl })
  return encodeCbor({ k: 'reply', q: msg.queryId, r: [...msg.records] })
}

/** Decodes one FOAF message; throws only DecodeError. A query's hop TTL must not exceed its signed TTL. */
export function decodeFoafMessage(bytes: Uint8Array): FoafMessage {
  const m = decodeCbor(bytes, messageSchema, { maxBytes: MAX_FOAF_MESSAGE_BYTES })
  if (m.k === 'reply') return { type: 'reply', queryId: m.q, records: m.r }
  const { body, bodyBytes, sig } = decodeQueryEnvelope(m.e)
  if (m.ttl > body.maxTtl) throw new DecodeError(`hop ttl ${m.ttl} above the signed ttl ${body.maxTtl}`, 'ttl')
  return { type: 'query', envelope: m.e, body, bodyBytes, sig, ttl: m.ttl }
}
