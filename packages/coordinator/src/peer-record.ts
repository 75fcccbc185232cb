/**
 * Address-book peer record codec and validator (SPEC.md section 9.5): a signed envelope whose body holds
 * a PeerId, its ML-DSA-65 key, at most 8 address hints and a counter that only grows. Published on the
 * discovery topic; a receiver keeps the highest counter per peer.
 */
import { verifySignature } from '@saorsa-gossip/identity'
import {
  DecodeError, LIMITS, PeerId, decodeCbor, decodeSignedEnvelope, encodeCbor, encodeSignedEnvelope, schema,
} from '@saorsa-gossip/types'
import { COORDINATOR_DOMAIN, type Signer, type VerifyFn } from './domains.ts'
import { AdvertTooLargeError } from './errors.ts'

export const PEER_RECORD_VERSION = 1
export const MAX_PEER_RECORD_HINTS = LIMITS.maxAddressesPerPeer
/** Same budget as an advert: signature 3,309 + key 1,952 + hints. */
export const MAX_PEER_RECORD_BYTES = 6144
const MAX_BODY_BYTES = MAX_PEER_RECORD_BYTES - LIMITS.mldsa65SignatureBytes - 32

export interface PeerRecord {
  readonly peerId: PeerId
  readonly publicKey: Uint8Array
  readonly addresses: readonly string[]
  /** Grows with every publication; publishers start from their wall clock so restarts never go back. */
  readonly counter: number
}

export interface SignedPeerRecord {
  readonly record: PeerRecord
  readonly bytes: Uint8Array
  readonly body: Uint8Array
  readonly sig: Uint8Array
}

const bodySchema = schema.object({
  v: schema.literal(PEER_RECORD_VERSION),
  id: schema.peerId(),
  pk: schema.bytes({ length: LIMITS.mldsa65PublicKeyBytes }),
  a: schema.array(schema.text({ max: LIMITS.maxAddressLength }), { max: MAX_PEER_RECORD_HINTS }),
  c: schema.uint(),
})

export function decodePeerRecord(bytes: Uint8Array): SignedPeerRecord {
  if (bytes instanceof Uint8Array && bytes.length > MAX_PEER_RECORD_BYTES) {
    throw new DecodeError(`peer record of ${bytes.length} bytes exceeds cap ${MAX_PEER_RECORD_BYTES}`)
  }
  const envelope = decodeSignedEnvelope(bytes, { maxBodyBytes: MAX_BODY_BYTES })
  const b = decodeCbor(envelope.body, bodySchema, { maxBytes: MAX_BODY_BYTES })
  b.a.forEach((hint, i) => {
    if (hint.length === 0) throw new DecodeError('empty address hint', `a[${i}]`)
  })
  return {
    record: { peerId: b.id, publicKey: b.pk, addresses: b.a, counter: b.c },
    bytes: new Uint8Array(bytes),
    body: envelope.body,
    sig: envelope.sig,
  }
}

export function encodePeerRecordBody(publicKey: Uint8Array, addresses: readonly string[], counter: number): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== LIMITS.mldsa65PublicKeyBytes) {
    throw new RangeError(`publicKey: expected ${LIMITS.mldsa65PublicKeyBytes} bytes of ML-DSA-65 public key`)
  }
  if (!Array.isArray(addresses) || addresses.length > MAX_PEER_RECORD_HINTS) {
    throw new AdvertTooLargeError(`addresses: at most ${MAX_PEER_RECORD_HINTS} hints`)
  }
  for (const a of addresses) {
    if (typeof a !== 'string' || a.length === 0 || a.length > LIMITS.maxAddressLength) {
      throw new RangeError(`addresses: each hint must be 1..${LIMITS.maxAddressLength} characters`)
    }
  }
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('counter: expected a non-negative safe integer')
  return encodeCbor({ v: PEER_RECORD_VERSION, id: PeerId.fromPublicKey(publicKey).bytes, pk: publicKey, a: [...addresses], c: counter })
}

export function signPeerRecord(signer: Signer, addresses: readonly string[], counter: number): SignedPeerRecord {
  const body = encodePeerRecordBody(signer.publicKey, addresses, counter)
  const bytes = encodeSignedEnvelope({ body, sig: signer.sign(COORDINATOR_DOMAIN.peerRecord, body) })
  if (bytes.length > MAX_PEER_RECORD_BYTES) throw new AdvertTooLargeError(`peer record of ${bytes.length} bytes exceeds ${MAX_PEER_RECORD_BYTES}`)
  return decodePeerRecord(bytes)
}

export type PeerRecordRejectReason = 'oversized' | 'malformed' | 'too-many-hints' | 'key-mismatch' | 'origin-mismatch' | 'bad-signature' | 'stale-counter'

export type PeerRecordVerdict =
  | { readonly ok: true; readonly action: 'accept'; readonly record: SignedPeerRecord }
  | { readonly ok: false; readonly action: 'reject' | 'ignore'; readonly reason: PeerRecordRejectReason; readonly detail: string }

export interface ValidatePeerRecordOptions {
  /** The highest counter the book holds for this peer. */
  readonly cachedCounter?: number | undefined
  /** The pubsub origin: a record travels only from the peer it describes. */
  readonly origin?: PeerId | undefined
  readonly verify?: VerifyFn
}

/** Never throws for any `bytes`; an older counter is `ignore` (an honest late copy), the rest `reject`. */
export function validatePeerRecord(bytes: Uint8Array, options: ValidatePeerRecordOptions = {}): PeerRecordVerdict {
  const fail = (reason: PeerRecordRejectReason, detail: string): PeerRecordVerdict =>
    ({ ok: false, action: reason === 'stale-counter' ? 'ignore' : 'reject', reason, detail })
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'not a byte array')
  if (bytes.length > MAX_PEER_RECORD_BYTES) return fail('oversized', `${bytes.length} bytes > ${MAX_PEER_RECORD_BYTES}`)
  let signed: SignedPeerRecord
  try {
    signed = decodePeerRecord(bytes)
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    return fail(err.path === 'a' ? 'too-many-hints' : 'malformed', err.message)
  }
  const r = signed.record
  if (!PeerId.fromPublicKey(r.publicKey).equals(r.peerId)) return fail('key-mismatch', 'BLAKE3(public key) is not the record PeerId')
  if (options.origin !== undefined && !options.origin.equals(r.peerId)) return fail('origin-mismatch', 'published by another peer')
  if (options.cachedCounter !== undefined && r.counter <= options.cachedCounter) {
    return fail('stale-counter', `counter ${r.counter} <= known ${options.cachedCounter}`)
  }
  const verify = options.verify ?? verifySignature
  let valid = false
  try {
    valid = verify(r.publicKey, COORDINATOR_DOMAIN.peerRecord, signed.body, signed.sig)
  } catch {
    valid = false
  }
  if (!valid) return fail('bad-signature', 'ML-DSA-65 signature does not verify')
  return { ok: true, action: 'accept', record: signed }
}
