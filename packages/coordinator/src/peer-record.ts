/**
 * Address-book peer record codec and validator (SPEC.md section 9.5): at most 8 address hints and a
 * counter that only grows. A record travels only as a pubsub message of the peer it describes, so the
 * pubsub origin signature (section 7.2) authenticates it; it carries no key and no signature of its own.
 * A receiver keeps the highest counter per peer.
 */
import { DecodeError, LIMITS, type PeerId, decodeCbor, encodeCbor, schema } from '@saorsa-gossip/types'
import { AdvertTooLargeError } from './errors.ts'

/** Version 1 was a signed envelope holding the key as well: 5.4 KB per record against about 40 bytes. */
export const PEER_RECORD_VERSION = 2
export const MAX_PEER_RECORD_HINTS = LIMITS.maxAddressesPerPeer
/** Eight hints of 256 ASCII characters and the largest counter encode to 2,090 bytes. */
export const MAX_PEER_RECORD_BYTES = 2112

/** What a peer publishes about itself. */
export interface PeerRecord {
  readonly addresses: readonly string[]
  /** Grows with every publication; publishers start from their wall clock so restarts never go back. */
  readonly counter: number
}

/** A record as received: the peer it describes is the pubsub origin that published it. */
export interface ReceivedPeerRecord extends PeerRecord {
  readonly peerId: PeerId
}

const recordSchema = schema.object({
  v: schema.literal(PEER_RECORD_VERSION),
  a: schema.array(schema.text({ max: LIMITS.maxAddressLength }), { max: MAX_PEER_RECORD_HINTS }),
  c: schema.uint(),
})

export function decodePeerRecord(bytes: Uint8Array): PeerRecord {
  if (bytes instanceof Uint8Array && bytes.length > MAX_PEER_RECORD_BYTES) {
    throw new DecodeError(`peer record of ${bytes.length} bytes exceeds cap ${MAX_PEER_RECORD_BYTES}`)
  }
  const r = decodeCbor(bytes, recordSchema, { maxBytes: MAX_PEER_RECORD_BYTES })
  r.a.forEach((hint, i) => {
    if (hint.length === 0) throw new DecodeError('empty address hint', `a[${i}]`)
  })
  return { addresses: r.a, counter: r.c }
}

export function encodePeerRecord(record: PeerRecord): Uint8Array {
  const { addresses, counter } = record
  if (!Array.isArray(addresses) || addresses.length > MAX_PEER_RECORD_HINTS) {
    throw new AdvertTooLargeError(`addresses: at most ${MAX_PEER_RECORD_HINTS} hints`)
  }
  for (const a of addresses) {
    if (typeof a !== 'string' || a.length === 0 || a.length > LIMITS.maxAddressLength) {
      throw new RangeError(`addresses: each hint must be 1..${LIMITS.maxAddressLength} characters`)
    }
  }
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('counter: expected a non-negative safe integer')
  const bytes = encodeCbor({ v: PEER_RECORD_VERSION, a: [...addresses], c: counter })
  if (bytes.length > MAX_PEER_RECORD_BYTES) throw new AdvertTooLargeError(`peer record of ${bytes.length} bytes exceeds ${MAX_PEER_RECORD_BYTES}`)
  return bytes
}

export type PeerRecordRejectReason = 'oversized' | 'malformed' | 'too-many-hints' | 'stale-counter'

export type PeerRecordVerdict =
  | { readonly ok: true; readonly action: 'accept'; readonly record: ReceivedPeerRecord }
  | { readonly ok: false; readonly action: 'reject' | 'ignore'; readonly reason: PeerRecordRejectReason; readonly detail: string }

export interface ValidatePeerRecordOptions {
  /** The pubsub origin, whose signature pubsub has checked: the peer the record describes. */
  readonly origin: PeerId
  /** The highest counter the book holds for this peer. */
  readonly cachedCounter?: number | undefined
}

/** Never throws for any `bytes`; an older counter is `ignore` (an honest late copy), the rest `reject`. */
export function validatePeerRecord(bytes: Uint8Array, options: ValidatePeerRecordOptions): PeerRecordVerdict {
  const fail = (reason: PeerRecordRejectReason, detail: string): PeerRecordVerdict =>
    ({ ok: false, action: reason === 'stale-counter' ? 'ignore' : 'reject', reason, detail })
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'not a byte array')
  if (bytes.length > MAX_PEER_RECORD_BYTES) return fail('oversized', `${bytes.length} bytes > ${MAX_PEER_RECORD_BYTES}`)
  let record: PeerRecord
  try {
    record = decodePeerRecord(bytes)
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    return fail(err.path === 'a' ? 'too-many-hints' : 'malformed', err.message)
  }
  if (options.cachedCounter !== undefined && record.counter <= options.cachedCounter) {
    return fail('stale-counter', `counter ${record.counter} <= known ${options.cachedCounter}`)
  }
  return { ok: true, action: 'accept', record: { peerId: options.origin, ...record } }
}
