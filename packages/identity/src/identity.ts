/**
 * An ML-DSA-65 (FIPS 204) identity: key pair, PeerId = BLAKE3(public key), domain-separated signing
 * and verification. Keys are checked at the boundary (sizes, and that the public key belongs to the
 * secret key via the FIPS 204 key layout: sk = rho || K || tr || ..., pk = rho || t1, tr = H(pk, 64)).
 */
import { shake256 } from '@noble/hashes/sha3.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { assertBytes, bytesEqual, copyBytes, PeerId } from '@saorsa-gossip/types'
import { ALGORITHMS } from './algorithms.ts'
import type { SignatureBackend } from './backend.ts'
import { InvalidKeyError } from './errors.ts'
import { activeMlDsa65Backend } from './fast-backend.ts'
import { signingInput } from './signing-input.ts'

const SIZES = ALGORITHMS['ml-dsa-65']

export interface IdentityOptions {
  /** Backend for signing; default: liboqs once `loadMlDsa65Backend()` has loaded it, noble before. */
  backend?: SignatureBackend
}

export interface GenerateIdentityOptions extends IdentityOptions {
  /** 32-byte seed for deterministic key generation (FIPS 204 ML-DSA.KeyGen_internal); random if absent. */
  seed?: Uint8Array
}

/** Throws `InvalidKeyError` unless `publicKey` and `secretKey` are a matching ML-DSA-65 pair. */
export function checkMlDsa65KeyPair(publicKey: Uint8Array, secretKey: Uint8Array): void {
  if (publicKey.length !== SIZES.publicKeyBytes) {
    throw new InvalidKeyError(`publicKey: expected ${SIZES.publicKeyBytes} bytes for ML-DSA-65, got ${publicKey.length}`)
  }
  if (secretKey.length !== SIZES.secretKeyBytes) {
    throw new InvalidKeyError(`secretKey: expected ${SIZES.secretKeyBytes} bytes for ML-DSA-65, got ${secretKey.length}`)
  }
  const rhoMatches = bytesEqual(publicKey.subarray(0, 32), secretKey.subarray(0, 32))
  const trMatches = bytesEqual(shake256(publicKey, { dkLen: 64 }), secretKey.subarray(64, 128))
  if (!rhoMatches || !trMatches) throw new InvalidKeyError('publicKey: does not belong to secretKey')
}

/** An ML-DSA-65 key pair and its PeerId. */
export class Identity {
  readonly algorithm = 'ml-dsa-65' as const
  readonly peerId: PeerId
  /** The 1,952-byte public key (a private copy; do not mutate). */
  readonly publicKey: Uint8Array
  readonly #secretKey: Uint8Array
  readonly #backend: SignatureBackend | undefined

  private constructor(publicKey: Uint8Array, secretKey: Uint8Array, backend: SignatureBackend | undefined) {
    this.publicKey = publicKey
    this.#secretKey = secretKey
    this.#backend = backend
    this.peerId = PeerId.fromPublicKey(publicKey)
  }

  /** A fresh key pair (random, or from `seed`). */
  static generate(options: GenerateIdentityOptions = {}): Identity {
    if (options.seed !== undefined) assertBytes(options.seed, 'seed', SIZES.seedBytes)
    const { publicKey, secretKey } = ml_dsa65.keygen(options.seed)
    return new Identity(copyBytes(publicKey), copyBytes(secretKey), options.backend)
  }

  /** Wraps existing keys; throws `InvalidKeyError` on wrong sizes or a mismatched pair. */
  static fromKeys(publicKey: Uint8Array, secretKey: Uint8Array, options: IdentityOptions = {}): Identity {
    assertBytes(publicKey, 'publicKey')
    assertBytes(secretKey, 'secretKey')
    checkMlDsa65KeyPair(publicKey, secretKey)
    return new Identity(copyBytes(publicKey), copyBytes(secretKey), options.backend)
  }

  /** Signs `signingInput(domain, body)`; the result is 3,309 bytes. */
  sign(domain: string, body: Uint8Array): Uint8Array {
    return (this.#backend ?? activeMlDsa65Backend()).sign(this.#secretKey, signingInput(domain, body))
  }

  /** Verifies a signature by this identity (same as `verifySignature(this.publicKey, ...)`). */
  verify(domain: string, body: Uint8Array, signature: Uint8Array): boolean {
    return verifySignature(this.publicKey, domain, body, signature, this.#backend)
  }

  /** A copy of the 4,032-byte secret key, for storage (the keystore encrypts it). */
  exportSecretKey(): Uint8Array {
    return copyBytes(this.#secretKey)
  }
}

/**
 * Verifies an ML-DSA-65 signature over `signingInput(domain, body)`. Returns false for any bad
 * remote input (wrong lengths, garbage); throws only on programmer errors (non-Uint8Array
 * arguments, an invalid domain tag).
 */
export function verifySignature(
  publicKey: Uint8Array,
  domain: string,
  body: Uint8Array,
  signature: Uint8Array,
  backend?: SignatureBackend,
): boolean {
  assertBytes(publicKey, 'publicKey')
  assertBytes(signature, 'signature')
  const message = signingInput(domain, body)
  return (backend ?? activeMlDsa65Backend()).verify(publicKey, message, signature)
}
