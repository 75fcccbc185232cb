/**
 * The advert validator (SPEC.md section 9.2, docs/architecture.md section 7): the pure check a pubsub topic
 * validator, a FOAF requester and the cache loader all run before trusting an advert. Cheap checks
 * first (size, structure, origin, window, sequence, rate, key binding), the ML-DSA-65 verify last. Faults of the
 * author are `reject` (the forwarder loses score); honest races (an older copy, a fast publisher) are
 * `ignore` (dropped, not forwarded, no penalty).
 */
import { verifySignature } from '@saorsa-gossip/identity'
import { DecodeError, PeerId } from '@saorsa-gossip/types'
import { decodeAdvert, MAX_ADVERT_BYTES, type SignedAdvert } from './advert.ts'
import { COORDINATOR_DOMAIN, type VerifyFn } from './domains.ts'
import { COORDINATOR_LAN, type AdvertPolicy } from './proto/config.ts'

export type AdvertRejectReason =
  | 'oversized' | 'malformed' | 'too-many-hints' | 'key-mismatch' | 'origin-mismatch' | 'validity-too-long'
  | 'not-yet-valid' | 'expired' | 'bad-signature' | 'stale-sequence' | 'rate-limited'

export type AdvertVerdict =
  | { readonly ok: true; readonly action: 'accept'; readonly advert: SignedAdvert }
  | { readonly ok: false; readonly action: 'reject' | 'ignore'; readonly reason: AdvertRejectReason; readonly detail: string }

/** What the cache knows of the publisher: its latest accepted sequence and when we accepted it. */
export interface CachedAdvertState {
  readonly sequence: number
  /** Our wall clock (Unix ms) when that advert was accepted. */
  readonly acceptedAtMs: number
}

export interface ValidateAdvertOptions {
  /** Our wall clock, Unix milliseconds. */
  readonly nowMs: number
  /** The publisher's current cache entry, if any: sequence must grow, and the rate limit reads it. */
  readonly cached?: CachedAdvertState | undefined
  /** The pubsub origin that published it: adverts travel only from their own publisher. */
  readonly origin?: PeerId | undefined
  readonly policy?: AdvertPolicy
  /** Signature check; default: @saorsa-gossip/identity's active ML-DSA-65 backend. */
  readonly verify?: VerifyFn
}

const IGNORED: ReadonlySet<AdvertRejectReason> = new Set(['stale-sequence', 'rate-limited'])

function fail(reason: AdvertRejectReason, detail: string): AdvertVerdict {
  return { ok: false, action: IGNORED.has(reason) ? 'ignore' : 'reject', reason, detail }
}

/** Checks a received advert. Never throws for any `bytes`; the verdict names the first failed rule. */
export function validateAdvert(bytes: Uint8Array, options: ValidateAdvertOptions): AdvertVerdict {
  const policy = options.policy ?? COORDINATOR_LAN.advert
  const nowMs = options.nowMs
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'not a byte array')
  if (bytes.length > MAX_ADVERT_BYTES) return fail('oversized', `${bytes.length} bytes > ${MAX_ADVERT_BYTES}`)
  let signed: SignedAdvert
  try {
    signed = decodeAdvert(bytes)
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    // Path `a` fails only on the list itself (a bad single hint fails at `a[i]`).
    return fail(err.path === 'a' ? 'too-many-hints' : 'malformed', err.message)
  }
  const a = signed.advert
  if (options.origin !== undefined && !options.origin.equals(a.peerId)) {
    return fail('origin-mismatch', `published by ${options.origin.toShortString()}, advert of ${a.peerId.toShortString()}`)
  }
  if (a.notAfterMs < a.notBeforeMs || a.notAfterMs - a.notBeforeMs > policy.maxValidityMs) {
    return fail('validity-too-long', `window ${a.notAfterMs - a.notBeforeMs} ms outside [0, ${policy.maxValidityMs}]`)
  }
  if (a.notBeforeMs > nowMs + policy.clockSkewMs) return fail('not-yet-valid', `starts ${a.notBeforeMs - nowMs} ms from now`)
  if (a.notAfterMs + policy.clockSkewMs < nowMs) return fail('expired', `expired ${nowMs - a.notAfterMs} ms ago`)
  const cached = options.cached
  if (cached !== undefined) {
    if (a.sequence <= cached.sequence) return fail('stale-sequence', `sequence ${a.sequence} <= cached ${cached.sequence}`)
    if (nowMs - cached.acceptedAtMs < policy.minAdvertIntervalMs) {
      return fail('rate-limited', `previous advert accepted ${nowMs - cached.acceptedAtMs} ms ago`)
    }
  }
  // Hashing the 1,952-byte key costs more than all the checks above together: it comes after them.
  if (!PeerId.fromPublicKey(a.publicKey).equals(a.peerId)) return fail('key-mismatch', 'BLAKE3(public key) is not the advert PeerId')
  const verify = options.verify ?? verifySignature
  let valid = false
  try {
    valid = verify(a.publicKey, COORDINATOR_DOMAIN.advert, signed.body, signed.sig)
  } catch {
    valid = false
  }
  if (!valid) return fail('bad-signature', 'ML-DSA-65 signature does not verify')
  return { ok: true, action: 'accept', advert: signed }
}
