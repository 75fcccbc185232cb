/**
 * Wire codec of NAT traversal (SPEC.md section 5.10): the reflector's signed observed-address answer,
 * circuit relay messages on the model of libp2p circuit relay v2 (hop and stop), and hole-punch
 * coordination on the model of DCUtR. CBOR with a schema per message, caps checked before decoding,
 * every failure a DecodeError.
 */
import {
  DecodeError, LIMITS, PeerId, decodeCbor, decodeSignedEnvelope, encodeCbor, encodeSignedEnvelope, schema,
} from '@saorsa-gossip/types'

/** Nonce of a reflect request: 16 random bytes make a replayed answer useless. */
export const REFLECT_NONCE_BYTES = 16
/** Circuit ids are 16 random bytes chosen by the relay. */
export const CIRCUIT_ID_BYTES = 16
/** Observed addresses exchanged in a punch CONNECT (DCUtR sends a handful; 8 covers v4 + v6 + carriers). */
export const MAX_PUNCH_ADDRS = 8
/** A reflect answer body: nonce, address (at most 256 bytes), timestamp and CBOR heads. */
export const MAX_REFLECT_BODY_BYTES = 384
export const MAX_REFLECT_ANSWER_BYTES = MAX_REFLECT_BODY_BYTES + LIMITS.mldsa65SignatureBytes + 32
/** Any relay or punch message: 8 addresses of 256 bytes plus heads. */
export const MAX_NAT_MESSAGE_BYTES = MAX_PUNCH_ADDRS * (LIMITS.maxAddressLength + 3) + 64

export const RELAY_STATUSES = ['ok', 'reservation-refused', 'resource-limit-exceeded', 'no-reservation', 'connection-failed', 'permission-denied'] as const
export type RelayStatus = (typeof RELAY_STATUSES)[number]

export interface ReflectAnswer { readonly nonce: Uint8Array; readonly observed: string; readonly timestampMs: number }

export type RelayMessage =
  | { readonly type: 'reserve' }
  | { readonly type: 'connect'; readonly target: PeerId }
  | { readonly type: 'stop'; readonly source: PeerId; readonly circuit: Uint8Array; readonly durationMs: number; readonly bytes: number }
  | {
    readonly type: 'status'; readonly status: RelayStatus; readonly circuit?: Uint8Array; readonly ttlMs?: number
    readonly durationMs?: number; readonly bytes?: number
  }

export type PunchMessage = { readonly type: 'connect'; readonly addrs: readonly string[] } | { readonly type: 'sync' }

const address = schema.text({ max: LIMITS.maxAddressLength })
const reflectRequestSchema = schema.object({ v: schema.literal(1), n: schema.bytes({ length: REFLECT_NONCE_BYTES }) })
const reflectBodySchema = schema.object({
  v: schema.literal(1), n: schema.bytes({ length: REFLECT_NONCE_BYTES }), o: address, ts: schema.uint(),
})
const circuitId = schema.bytes({ length: CIRCUIT_ID_BYTES })
const relaySchema = schema.variant('k', {
  reserve: schema.object({ k: schema.literal('reserve') }),
  connect: schema.object({ k: schema.literal('connect'), t: schema.peerId() }),
  stop: schema.object({ k: schema.literal('stop'), f: schema.peerId(), c: circuitId, d: schema.uint(), b: schema.uint() }),
  status: schema.object({
    k: schema.literal('status'), s: schema.literal(...RELAY_STATUSES), c: schema.optional(circuitId),
    ttl: schema.optional(schema.uint()), d: schema.optional(schema.uint()), b: schema.optional(schema.uint()),
  }),
})
const punchSchema = schema.variant('k', {
  connect: schema.object({ k: schema.literal('connect'), o: schema.array(address, { max: MAX_PUNCH_ADDRS }) }),
  sync: schema.object({ k: schema.literal('sync') }),
})

export function encodeReflectRequest(nonce: Uint8Array): Uint8Array {
  if (!(nonce instanceof Uint8Array) || nonce.length !== REFLECT_NONCE_BYTES) throw new DecodeError(`nonce must be ${REFLECT_NONCE_BYTES} bytes`, 'nonce')
  return encodeCbor({ v: 1, n: nonce })
}

export function decodeReflectRequest(bytes: Uint8Array): Uint8Array {
  return decodeCbor(bytes, reflectRequestSchema, { maxBytes: 64 }).n
}

/** The body the reflector signs (domain REFLECT_DOMAIN). */
export function encodeReflectBody(answer: ReflectAnswer): Uint8Array {
  return encodeCbor({ v: 1, n: answer.nonce, o: answer.observed, ts: answer.timestampMs })
}

export function encodeReflectAnswer(body: Uint8Array, sig: Uint8Array): Uint8Array {
  return encodeSignedEnvelope({ body, sig })
}

/** Decodes the envelope and its body; the caller verifies `sig` over `body` before trusting `answer`. */
export function decodeReflectAnswer(bytes: Uint8Array): { answer: ReflectAnswer; body: Uint8Array; sig: Uint8Array } {
  const { body, sig } = decodeSignedEnvelope(bytes, { maxBodyBytes: MAX_REFLECT_BODY_BYTES })
  const b = decodeCbor(body, reflectBodySchema, { maxBytes: MAX_REFLECT_BODY_BYTES })
  return { answer: { nonce: b.n, observed: b.o, timestampMs: b.ts }, body, sig }
}

export function encodeRelayMessage(m: RelayMessage): Uint8Array {
  switch (m.type) {
    case 'reserve': return encodeCbor({ k: 'reserve' })
    case 'connect': return encodeCbor({ k: 'connect', t: m.target.bytes })
    case 'stop': return encodeCbor({ k: 'stop', f: m.source.bytes, c: m.circuit, d: m.durationMs, b: m.bytes })
    case 'status': return encodeCbor({
      k: 'status', s: m.status,
      ...(m.circuit === undefined ? {} : { c: m.circuit }), ...(m.ttlMs === undefined ? {} : { ttl: m.ttlMs }),
      ...(m.durationMs === undefined ? {} : { d: m.durationMs }), ...(m.bytes === undefined ? {} : { b: m.bytes }),
    })
  }
}

export function decodeRelayMessage(bytes: Uint8Array): RelayMessage {
  const m = decodeCbor(bytes, relaySchema, { maxBytes: MAX_NAT_MESSAGE_BYTES })
  switch (m.k) {
    case 'reserve': return { type: 'reserve' }
    case 'connect': return { type: 'connect', target: m.t }
    case 'stop': return { type: 'stop', source: m.f, circuit: m.c, durationMs: m.d, bytes: m.b }
    case 'status': return {
      type: 'status', status: m.s,
      ...(m.c === undefined ? {} : { circuit: m.c }), ...(m.ttl === undefined ? {} : { ttlMs: m.ttl }),
      ...(m.d === undefined ? {} : { durationMs: m.d }), ...(m.b === undefined ? {} : { bytes: m.b }),
    }
  }
}

export function encodePunchMessage(m: PunchMessage): Uint8Array {
  return m.type === 'sync' ? encodeCbor({ k: 'sync' }) : encodeCbor({ k: 'connect', o: [...m.addrs] })
}

export function decodePunchMessage(bytes: Uint8Array): PunchMessage {
  const m = decodeCbor(bytes, punchSchema, { maxBytes: MAX_NAT_MESSAGE_BYTES })
  return m.k === 'sync' ? { type: 'sync' } : { type: 'connect', addrs: m.o }
}
