/**
 * Algorithm-generic helpers over the two key kinds: a `SigningKey` is an ML-DSA-65 `Identity` or an
 * SLH-DSA-SHA2-128s `SlhDsaKeyPair`; both sign `signingInput(domain, body)` and expose `peerId`,
 * `publicKey` and `exportSecretKey()`. Used by the keystore, which stores either kind.
 */
import { algorithmInfo, type KeyAlgorithm } from './algorithms.ts'
import type { SignatureBackend } from './backend.ts'
import { Identity, verifySignature } from './identity.ts'
import { SlhDsaKeyPair, verifySlhDsaSignature } from './slh-dsa.ts'

export type SigningKey = Identity | SlhDsaKeyPair

/** A fresh key of `algorithm` (random, or from `seed`: 32 bytes for ML-DSA-65, 48 for SLH-DSA). */
export function generateKey(algorithm: KeyAlgorithm, options: { seed?: Uint8Array } = {}): SigningKey {
  algorithmInfo(algorithm)
  return algorithm === 'ml-dsa-65' ? Identity.generate(options) : SlhDsaKeyPair.generate(options)
}

/** Rebuilds a key of `algorithm` from its bytes; throws `InvalidKeyError` on malformed or mismatched keys. */
export function keyFromBytes(algorithm: KeyAlgorithm, publicKey: Uint8Array, secretKey: Uint8Array): SigningKey {
  algorithmInfo(algorithm)
  return algorithm === 'ml-dsa-65' ? Identity.fromKeys(publicKey, secretKey) : SlhDsaKeyPair.fromKeys(publicKey, secretKey)
}

/** Verifies a signature of either algorithm; `backend` applies to ML-DSA-65 only. Never throws on bad remote input. */
export function verifyWithAlgorithm(
  algorithm: KeyAlgorithm,
  publicKey: Uint8Array,
  domain: string,
  body: Uint8Array,
  signature: Uint8Array,
  backend?: SignatureBackend,
): boolean {
  algorithmInfo(algorithm)
  return algorithm === 'ml-dsa-65'
    ? verifySignature(publicKey, domain, body, signature, backend)
    : verifySlhDsaSignature(publicKey, domain, body, signature)
}
