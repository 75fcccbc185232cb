/**
 * Coordinator advert codec (SPEC.md section 9.1): a signed envelope `{ body, sig }` whose body names
 * the publisher (PeerId and its ML-DSA-65 key, PeerId = BLAKE3(key)), its roles, at most 10 address
 * hints, its NAT class, a validity window and a sequence number. Caps are checked before parsing;
 * decoding is structural only, the semantic checks live in advert-validate.ts.
 */
import {
  DecodeError, LIMITS, PeerId, decodeCbor, decodeSignedEnvelope, encodeCbor, encodeSignedEnvelope, schema,
} from '@saorsa-gossip/types'
import { COORDINATOR_DOMAIN, type Signer } from './domains.ts'
import { AdvertTooLargeError } from './errors.ts'

export const ADVERT_VERSION = 1
/** Address hints per advert: a coordinator is reachable on a few interfaces and carriers, not dozens. */
export const MAX_ADVERT_HINTS = 10
/**
 * Whole signed advert: 3,309-byte signature + 1,952-byte key + about 900 bytes for hints and fields.
 * About 6 KB keeps an advert in one pubsub frame with room to spare and bounds the cache at ~6 MB.
 */
export const MAX_ADVERT_BYTES = 6144
/** Body cap: the envelope cap minus the signature and the envelope's own CBOR heads. */
export const MAX_ADVERT_BODY_BYTES = MAX_ADVERT_BYTES - LIMITS.mldsa65SignatureBytes - 32

export const ROLES = ['coordinator', 'reflector', 'relay', 'rendezvous'] as const
export type Role = (typeof ROLES)[number]
/** RFC 4787 mapping behaviour: endpoint-independent, endpoint-dependent, symmetric, or not yet known. */
export const NAT_CLASSES = ['eim', 'edm', 'symmetric', 'unknown'] as const
export type NatClass = (typeof NAT_CLASSES)[number]

export interface CoordinatorAdvert {
  readonly version: typeof ADVERT_VERSION
  readonly peerId: PeerId
  /** The 1,952-byte ML-DSA-65 public key; BLAKE3 of it must equal `peerId` (checked by validateAdvert). */
  readonly publicKey: Uint8Array
  readonly roles: readonly Role[]
  readonly addresses: readonly string[]
  readonly nat: NatClass
  /** Unix milliseconds. */
  readonly notBeforeMs: number
  readonly notAfterMs: number
  /** Higher replaces lower; publishers start from their wall clock so a restart never goes back. */
  readonly sequence: number
}

/** A decoded advert together with the exact bytes that were signed and travel on the wire. */
export interface SignedAdvert {
  readonly advert: CoordinatorAdvert
  /** The whole envelope, as received (what is forwarded, cached and persisted). */
  readonly bytes: Uint8Array
  readonly body: Uint8Array
  readonly sig: Uint8Array
}

const bodySchema = schema.object({
  v: schema.literal(ADVERT_VERSION),
  id: schema.peerId(),
  pk: schema.bytes({ length: LIMITS.mldsa65PublicKeyBytes }),
  r: schema.array(schema.literal(...ROLES), { min: 1, max: ROLES.length }),
  a: schema.array(schema.text({ max: LIMITS.maxAddressLength }), { max: MAX_ADVERT_HINTS }),
  nat: schema.literal(...NAT_CLASSES),
  nb: schema.uint(),
  na: schema.uint(),
  s: schema.uint(),
})

/** Decodes an advert envelope; throws only `DecodeError`. Does not verify anything cryptographic. */
export function decodeAdvert(bytes: Uint8Array): SignedAdvert {
  if (bytes instanceof Uint8Array && bytes.length > MAX_ADVERT_BYTES) {
    throw new DecodeError(`advert of ${bytes.length} bytes exceeds cap ${MAX_ADVERT_BYTES}`)
  }
  const envelope = decodeSignedEnvelope(bytes, { maxBodyBytes: MAX_ADVERT_BODY_BYTES })
  const b = decodeCbor(envelope.body, bodySchema, { maxBytes: MAX_ADVERT_BODY_BYTES })
  if (new Set(b.r).size !== b.r.length) throw new DecodeError('duplicate role', 'r')
  b.a.forEach((hint, i) => {
    if (hint.length === 0) throw new DecodeError('empty address hint', `a[${i}]`)
  })
  const advert: CoordinatorAdvert = {
    version: ADVERT_VERSION, peerId: b.id, publicKey: b.pk, roles: b.r, addresses: b.a, nat: b.nat,
    notBeforeMs: b.nb, notAfterMs: b.na, sequence: b.s,
  }
  return { advert, bytes: new Uint8Array(bytes), body: envelope.body, sig: envelope.sig }
}

export interface AdvertFields {
  readonly roles: readonly Role[]
  readonly addresses: readonly string[]
  readonly nat: NatClass
  readonly notBeforeMs: number
  readonly notAfterMs: number
  readonly sequence: number
}

/** The body bytes of an advert by `publicKey` (exported for vectors; `signAdvert` is the usual entry). */
export function encodeAdvertBody(publicKey: Uint8Array, fields: AdvertFields): Uint8Array {
  checkFields(publicKey, fields)
  return encodeCbor({
    v: ADVERT_VERSION,
    id: PeerId.fromPublicKey(publicKey).bytes,
    pk: publicKey,
    r: [...fields.roles],
    a: [...fields.addresses],
    nat: fields.nat,
    nb: fields.notBeforeMs,
    na: fields.notAfterMs,
    s: fields.sequence,
  })
}

/**
 * Builds and signs an advert. Throws `RangeError`/`TypeError` naming the field for bad arguments and
 * `AdvertTooLargeError` when the result would exceed MAX_ADVERT_BYTES (drop hints and retry).
 */
export function signAdvert(signer: Signer, fields: AdvertFields): SignedAdvert {
  const body = encodeAdvertBody(signer.publicKey, fields)
  const sig = signer.sign(COORDINATOR_DOMAIN.advert, body)
  const bytes = encodeSignedEnvelope({ body, sig })
  if (bytes.length > MAX_ADVERT_BYTES) {
    throw new AdvertTooLargeError(`advert of ${bytes.length} bytes exceeds ${MAX_ADVERT_BYTES}; advertise fewer or shorter addresses`)
  }
  return decodeAdvert(bytes)
}

function checkFields(publicKey: Uint8Array, f: AdvertFields): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== LIMITS.mldsa65PublicKeyBytes) {
    throw new RangeError(`publicKey: expected ${LIMITS.mldsa65PublicKeyBytes} bytes of ML-DSA-65 public key`)
  }
  if (!Array.isArray(f.roles) || f.roles.length === 0 || f.roles.some((r) => !ROLES.includes(r)) || new Set(f.roles).size !== f.roles.length) {
    throw new RangeError(`roles: expected 1..4 distinct roles of ${ROLES.join(', ')}`)
  }
  if (!Array.isArray(f.addresses) || f.addresses.length > MAX_ADVERT_HINTS) {
    throw new AdvertTooLargeError(`addresses: at most ${MAX_ADVERT_HINTS} address hints, got ${String(f.addresses?.length)}`)
  }
  for (const a of f.addresses) {
    if (typeof a !== 'string' || a.length === 0 || a.length > LIMITS.maxAddressLength) {
      throw new RangeError(`addresses: each hint must be 1..${LIMITS.maxAddressLength} characters`)
    }
  }
  if (!NAT_CLASSES.includes(f.nat)) throw new RangeError(`nat: expected one of ${NAT_CLASSES.join(', ')}`)
  for (const key of ['notBeforeMs', 'notAfterMs', 'sequence'] as const) {
    if (!Number.isSafeInteger(f[key]) || f[key] < 0) throw new RangeError(`${key}: expected a non-negative safe integer`)
  }
  if (f.notAfterMs < f.notBeforeMs) throw new RangeError('notAfterMs: must not be before notBeforeMs')
}
