/**
 * The ML-DSA-65 (FIPS 204) signature backend interface and its portable implementation on
 * @noble/post-quantum. Backends sign and verify raw messages with the empty context string;
 * domain separation is applied above them (signing-input.ts). `verify` never throws on bad input.
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { assertBytes } from '@saorsa-gossip/types'
import { ALGORITHMS } from './algorithms.ts'
import { InvalidKeyError } from './errors.ts'

/** An ML-DSA-65 implementation. All inputs and outputs are raw bytes; the context string is empty. */
export interface SignatureBackend {
  /** `'liboqs'` or `'noble'`. */
  readonly name: string
  /** Signs `message` with a 4,032-byte secret key; throws `InvalidKeyError` on a malformed key. */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array
  /** True only for a valid signature. Never throws on wrong lengths or garbage; only on non-Uint8Array arguments. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}

const SIZES = ALGORITHMS['ml-dsa-65']

/** Throws unless the arguments are Uint8Arrays; the one programmer error `verify` reports. */
export function assertVerifyArgs(publicKey: unknown, message: unknown, signature: unknown): void {
  assertBytes(publicKey, 'publicKey')
  assertBytes(message, 'message')
  assertBytes(signature, 'signature')
}

/** Throws unless `secretKey` is a Uint8Array of the ML-DSA-65 secret key size. */
export function assertMlDsa65SecretKey(secretKey: unknown, message: unknown): asserts secretKey is Uint8Array {
  assertBytes(secretKey, 'secretKey')
  assertBytes(message, 'message')
  if (secretKey.length !== SIZES.secretKeyBytes) {
    throw new InvalidKeyError(`secretKey: expected ${SIZES.secretKeyBytes} bytes, got ${secretKey.length}`)
  }
}

function createNobleBackend(name: string, deterministic: boolean): SignatureBackend {
  return Object.freeze({
    name,
    sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
      assertMlDsa65SecretKey(secretKey, message)
      return deterministic ? ml_dsa65.sign(message, secretKey, { extraEntropy: false }) : ml_dsa65.sign(message, secretKey)
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      assertVerifyArgs(publicKey, message, signature)
      if (publicKey.length !== SIZES.publicKeyBytes || signature.length !== SIZES.signatureBytes) return false
      try {
        return ml_dsa65.verify(signature, message, publicKey)
      } catch {
        return false
      }
    },
  })
}

/** Pure-JS ML-DSA-65 with hedged (randomised) signing, as FIPS 204 section 3.4 recommends. */
export const nobleMlDsa65: SignatureBackend = createNobleBackend('noble', false)

/**
 * Pure-JS ML-DSA-65 with deterministic signing (FIPS 204 "deterministic variant"): the same key and
 * message always give the same signature. For known-answer vectors and reproducible tests; production
 * signing should use the hedged backends.
 */
export const nobleMlDsa65Deterministic: SignatureBackend = createNobleBackend('noble-deterministic', true)
