/**
 * The stateless half of summary validation (SPEC.md section 11.3): decoding within caps, the key
 * bound to the claimed PeerId (PeerId = BLAKE3(public key)), the validity window and the ML-DSA-65
 * signature over the domain-separated body. Checks against stored state (a newer sequence number,
 * the provider's rate and quota) are the store's (`store.ts`).
 */
import { bytesEqual, DecodeError, PeerId } from '@saorsa-gossip/types'
import { decodeSignedSummary, SUMMARY_DOMAIN, SUMMARY_VERSION, type SignedSummary } from '../codec.ts'

/** `verify(publicKey, domain, body, sig)`: true only for a valid ML-DSA-65 signature. Injected. */
export type VerifySummary = (publicKey: Uint8Array, domain: string, body: Uint8Array, sig: Uint8Array) => boolean

export interface WindowLimits {
  /** Longest validity a summary may claim (72 h). */
  readonly maxLifetimeMs: number
  /** How far in the future an issue time may lie (clock skew between honest nodes). */
  readonly maxClockSkewMs: number
}

export type SummaryRejection =
  | 'malformed'
  | 'version'
  | 'key-mismatch'
  | 'origin-mismatch'
  | 'expired'
  | 'from-future'
  | 'lifetime'
  | 'bad-signature'

export type CheckResult =
  | { readonly ok: true; readonly signed: SignedSummary }
  | { readonly ok: false; readonly reason: SummaryRejection }

/**
 * Checks one encoded summary at wall-clock time `nowMs`. `origin`, when given, is the
 * authenticated sender (a pubsub origin): only a provider may publish its own summary on a topic.
 * A withdrawal (expiry equal to issue time) is valid while its issue time is inside the window.
 */
export function checkSummary(
  bytes: Uint8Array, nowMs: number, limits: WindowLimits, verify: VerifySummary, origin?: PeerId,
): CheckResult {
  let signed: SignedSummary
  try {
    signed = decodeSignedSummary(bytes)
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, reason: 'malformed' }
    throw err
  }
  const { summary } = signed
  if (summary.version !== SUMMARY_VERSION) return { ok: false, reason: 'version' }
  if (!PeerId.fromPublicKey(summary.publicKey).equals(summary.provider)) return { ok: false, reason: 'key-mismatch' }
  if (origin !== undefined && !bytesEqual(origin.bytes, summary.provider.bytes)) return { ok: false, reason: 'origin-mismatch' }
  if (summary.expiresAtMs < summary.issuedAtMs || summary.expiresAtMs - summary.issuedAtMs > limits.maxLifetimeMs) {
    return { ok: false, reason: 'lifetime' }
  }
  if (summary.issuedAtMs > nowMs + limits.maxClockSkewMs) return { ok: false, reason: 'from-future' }
  const withdrawal = summary.expiresAtMs === summary.issuedAtMs
  if (withdrawal ? summary.issuedAtMs + limits.maxLifetimeMs <= nowMs : summary.expiresAtMs <= nowMs) {
    return { ok: false, reason: 'expired' }
  }
  if (!verify(summary.publicKey, SUMMARY_DOMAIN, signed.body, signed.sig)) return { ok: false, reason: 'bad-signature' }
  return { ok: true, signed }
}

/** True for a summary that withdraws its provider from the target. */
export function isWithdrawal(signed: SignedSummary): boolean {
  return signed.summary.expiresAtMs === signed.summary.issuedAtMs
}
