/**
 * SLH-DSA-SHA2-128s (FIPS 205, "small" parameter set) key pairs for long-term keys, with the same
 * sign/verify shape and domain separation as `Identity`. Signing takes about 2 s and signatures are
 * 7,856 bytes, so this suits keys that sign rarely (for example certifying rotating ML-DSA identities).
 */
import { slh_dsa_sha2_128s } from '@noble/post-quantum/slh-dsa.js'
import { assertBytes, bytesEqual, copyBytes, PeerId } from '@saorsa-gossip/types'
import { ALGORITHMS } from './algorithms.ts'
import { InvalidKeyError } from './errors.ts'
import { signingInput } from './signing-input.ts'

const SIZES = ALGORITHMS['slh-dsa-sha2-128s']
/** Security parameter n (bytes) of the 128s set: sk = SK.seed || SK.prf || PK.seed || PK.root, each n bytes. */
const N = 16

/** Throws `InvalidKeyError` unless `publicKey` and `secretKey` are a matching SLH-DSA-SHA2-128s pair. */
export function checkSlhDsaKeyPair(publicKey: Uint8Array, secretKey: Uint8Array): void {
  if (publicKey.length !== SIZES.publicKeyBytes) {
    throw new InvalidKeyError(`publicKey: expected ${SIZES.publicKeyBytes} bytes for SLH-DSA-SHA2-128s, got ${publicKey.length}`)
  }
  if (secretKey.length !== SIZES.secretKeyBytes) {
    throw new InvalidKeyError(`secretKey: expected ${SIZES.secretKeyBytes} bytes for SLH-DSA-SHA2-128s, got ${secretKey.length}`)
  }
  if (!bytesEqual(secretKey.subarray(2 * N), publicKey)) throw new InvalidKeyError('publicKey: does not belong to secretKey')
}

/** An SLH-DSA-SHA2-128s key pair; `peerId` is BLAKE3(public key), as for ML-DSA identities. */
export class SlhDsaKeyPair {
  readonly algorithm = 'slh-dsa-sha2-128s' as const
  readonly peerId: PeerId
  /** The 32-byte public key (a private copy; do not mutate). */
  readonly publicKey: Uint8Array
  readonly #secretKey: Uint8Array

  private constructor(publicKey: Uint8Array, secretKey: Uint8Array) {
    this.publicKey = publicKey
    this.#secretKey = secretKey
    this.peerId = PeerId.fromPublicKey(publicKey)
  }

  /** A fresh key pair (random, or from a 48-byte `seed`). Takes about 0.25 s. */
  static generate(options: { seed?: Uint8Array } = {}): SlhDsaKeyPair {
    if (options.seed !== undefined) assertBytes(options.seed, 'seed', SIZES.seedBytes)
    const { publicKey, secretKey } = slh_dsa_sha2_128s.keygen(options.seed)
    return new SlhDsaKeyPair(copyBytes(publicKey), copyBytes(secretKey))
  }

  /** Wraps existing keys; throws `InvalidKeyError` on wrong sizes or a mismatched pair. */
  static fromKeys(publicKey: Uint8Array, secretKey: Uint8Array): SlhDsaKeyPair {
    assertBytes(publicKey, 'publicKey')
    assertBytes(secretKey, 'secretKey')
    checkSlhDsaKeyPair(publicKey, secretKey)
    return new SlhDsaKeyPair(copyBytes(publicKey), copyBytes(secretKey))
  }

  /**
   * Signs `signingInput(domain, body)` (7,856 bytes). Hedged by default; `deterministic: true` gives
   * the FIPS 205 deterministic variant, for known-answer vectors.
   */
  sign(domain: string, body: Uint8Array, options: { deterministic?: boolean } = {}): Uint8Array {
    const message = signingInput(domain, body)
    return options.deterministic === true
      ? slh_dsa_sha2_128s.sign(message, this.#secretKey, { extraEntropy: false })
      : slh_dsa_sha2_128s.sign(message, this.#secretKey)
  }

  verify(domain: string, body: Uint8Array, signature: Uint8Array): boolean {
    return verifySlhDsaSignature(this.publicKey, domain, body, signature)
  }

  /** A copy of the 64-byte secret key, for storage (the keystore encrypts it). */
  exportSecretKey(): Uint8Array {
    return copyBytes(this.#secretKey)
  }
}

/** Verifies an SLH-DSA-SHA2-128s signature over `signingInput(domain, body)`; never throws on bad remote input. */
export function verifySlhDsaSignature(publicKey: Uint8Array, domain: string, body: Uint8Array, signature: Uint8Array): boolean {
  assertBytes(publicKey, 'publicKey')
  assertBytes(signature, 'signature')
  const message = signingInput(domain, body)
  if (publicKey.length !== SIZES.publicKeyBytes || signature.length !== SIZES.signatureBytes) return false
  try {
    return slh_dsa_sha2_128s.verify(signature, message, publicKey)
  } catch {
    return false
  }
}
