/**
 * Stand-ins for ML-DSA-65 signatures in simulations that count real wire bytes: a BLAKE3 hash of what
 * is signed, zero-padded to the 3,309 bytes of a real signature. Checking one compares the hash and
 * the zeros in place, without building a second 3,309-byte array per verification.
 */
import { bytesEqual, LIMITS } from '@saorsa-gossip/types'

/** `hash` padded with zeros to the ML-DSA-65 signature size. */
export function paddedSignature(hash: Uint8Array): Uint8Array {
  const sig = new Uint8Array(LIMITS.mldsa65SignatureBytes)
  sig.set(hash)
  return sig
}

/** True exactly when `sig` equals `paddedSignature(hash)`. */
export function isPaddedSignature(sig: Uint8Array, hash: Uint8Array): boolean {
  if (sig.length !== LIMITS.mldsa65SignatureBytes || !bytesEqual(sig.subarray(0, hash.length), hash)) return false
  for (let i = hash.length; i < sig.length; i++) if (sig[i] !== 0) return false
  return true
}
