/**
 * X-Wing (draft-connolly-cfrg-xwing-kem: ML-KEM-768 + X25519, the SHA3-256 combiner) with the
 * X25519 half and the hashes in Node's native crypto and ML-KEM-768 (FIPS 203) from
 * @noble/post-quantum. Same bytes as noble's `ml_kem768_x25519` for the same seeds and coins
 * (test/xwing.test.ts checks both directions) for under half of its CPU per handshake, because
 * noble's X25519 is BigInt arithmetic (docs/benchmarks.md, transport section). Our byte buffers are
 * wiped; the X25519 secrets pass through node:crypto as JWK strings, which (like noble's BigInts)
 * JavaScript cannot wipe.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'

/** The 32-byte decapsulation seed is expanded with SHAKE256 into ML-KEM's d || z and the X25519 secret. */
export const XWING_SEED_BYTES = 32
export const XWING_PUBLIC_KEY_BYTES = 1216
export const XWING_CIPHERTEXT_BYTES = 1120
const MLKEM_PUBLIC_KEY_BYTES = 1184
const MLKEM_CIPHERTEXT_BYTES = 1088
const MLKEM_SECRET_KEY_BYTES = 2400
const X25519_BYTES = 32
/** The combiner's label, the six ASCII bytes `\.//^\`. */
const LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c)
/** Placeholder for the `x` member a JWK private key must carry: Node derives the public half from `d`. */
const UNUSED_PUBLIC = Buffer.alloc(X25519_BYTES).toString('base64url')

export interface XWingKeys {
  readonly publicKey: Uint8Array
  /** The 32-byte seed (X-Wing's decapsulation key). */
  readonly secretKey: Uint8Array
}

function x25519Secret(secret: Uint8Array): KeyObject {
  // JWK is Node's fast import path for a raw X25519 secret (PKCS#8 DER goes through OpenSSL's
  // decoder, ten times slower); Node derives the public half itself and ignores `x`.
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(secret).toString('base64url'), x: UNUSED_PUBLIC }, format: 'jwk' })
}

function x25519Public(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' })
}

function publicOf(secret: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(createPublicKey(secret).export({ format: 'jwk' }).x!, 'base64url'))
}

/** X25519(secret, point); throws for a point whose result is all zero (low order), as RFC 7748 section 6.1 allows. */
function x25519(secret: KeyObject, point: Uint8Array): Uint8Array {
  return new Uint8Array(diffieHellman({ privateKey: secret, publicKey: x25519Public(point) }))
}

function combine(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha3-256').update(ssM).update(ssX).update(ctX).update(pkX).update(LABEL).digest())
}

function expand(seed: Uint8Array): { mlkem: Uint8Array; x25519: Uint8Array; wipe(): void } {
  if (!(seed instanceof Uint8Array) || seed.length !== XWING_SEED_BYTES) throw new RangeError(`secretKey: expected ${XWING_SEED_BYTES} bytes`)
  const expanded = new Uint8Array(createHash('shake256', { outputLength: 96 }).update(seed).digest())
  return { mlkem: expanded.subarray(0, 64), x25519: expanded.subarray(64), wipe: () => expanded.fill(0) }
}

/** A key pair from `seed` (32 random bytes by default). */
export function xwingKeygen(seed: Uint8Array = randomBytes(XWING_SEED_BYTES)): XWingKeys {
  const keys = expandedKeys(seed)
  keys.secretKey.fill(0)
  return { publicKey: keys.publicKey, secretKey: seed }
}

/**
 * Encapsulates to `publicKey` with 64 bytes of coins (ML-KEM's m, then the X25519 ephemeral
 * secret). Without `coins` it draws its own and wipes them; given coins are the caller's to wipe.
 */
export function xwingEncapsulate(publicKey: Uint8Array, coins?: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== XWING_PUBLIC_KEY_BYTES) throw new RangeError(`publicKey: expected ${XWING_PUBLIC_KEY_BYTES} bytes`)
  if (coins !== undefined && (!(coins instanceof Uint8Array) || coins.length !== 64)) throw new RangeError('coins: expected 64 bytes')
  const own = coins ?? new Uint8Array(randomBytes(64))
  const m = own.slice(0, 32)
  let ssM: Uint8Array | undefined
  let ssX: Uint8Array | undefined
  try {
    const pkX = publicKey.subarray(MLKEM_PUBLIC_KEY_BYTES)
    const ephemeral = x25519Secret(own.subarray(32))
    const ctX = publicOf(ephemeral)
    ssX = x25519(ephemeral, pkX)
    const encapsulated = ml_kem768.encapsulate(publicKey.subarray(0, MLKEM_PUBLIC_KEY_BYTES), m)
    ssM = encapsulated.sharedSecret
    const cipherText = new Uint8Array(XWING_CIPHERTEXT_BYTES)
    cipherText.set(encapsulated.cipherText)
    cipherText.set(ctX, MLKEM_CIPHERTEXT_BYTES)
    return { cipherText, sharedSecret: combine(ssM, ssX, ctX, pkX) }
  } finally {
    m.fill(0)
    if (coins === undefined) own.fill(0)
    ssM?.fill(0)
    ssX?.fill(0)
  }
}

/**
 * The handshake's decapsulation key: the seed expanded once, at key generation, into ML-KEM-768's
 * secret key (2,400 bytes), the X25519 secret and public key (32 bytes each). Decapsulating from the
 * seed derives the ML-KEM key pair again (about 1.2 of its 2.9 ms), though the initiator derived it
 * for the same handshake moments before. The caller wipes it, as it wipes a seed.
 */
export const XWING_EXPANDED_SECRET_BYTES = MLKEM_SECRET_KEY_BYTES + 2 * X25519_BYTES

/** A key pair whose secret is the expanded form (`XWING_EXPANDED_SECRET_BYTES`), for `xwingDecapsulateExpanded`. */
export function xwingKeygenExpanded(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const own = seed ?? new Uint8Array(randomBytes(XWING_SEED_BYTES))
  try {
    return expandedKeys(own)
  } finally {
    if (seed === undefined) own.fill(0)
  }
}

/** The one derivation of a key pair from its seed: ML-KEM-768's d || z and the X25519 secret by SHAKE256. */
function expandedKeys(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const parts = expand(seed)
  try {
    const mlkem = ml_kem768.keygen(parts.mlkem)
    const pkX = publicOf(x25519Secret(parts.x25519))
    const publicKey = new Uint8Array(XWING_PUBLIC_KEY_BYTES)
    publicKey.set(mlkem.publicKey)
    publicKey.set(pkX, MLKEM_PUBLIC_KEY_BYTES)
    const secretKey = new Uint8Array(XWING_EXPANDED_SECRET_BYTES)
    secretKey.set(mlkem.secretKey)
    secretKey.set(parts.x25519, MLKEM_SECRET_KEY_BYTES)
    secretKey.set(pkX, MLKEM_SECRET_KEY_BYTES + X25519_BYTES)
    mlkem.secretKey.fill(0)
    return { publicKey, secretKey }
  } finally {
    parts.wipe()
  }
}

/** `xwingDecapsulate` for a secret from `xwingKeygenExpanded`: the same shared secret, without deriving the keys again. */
export function xwingDecapsulateExpanded(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (!(cipherText instanceof Uint8Array) || cipherText.length !== XWING_CIPHERTEXT_BYTES) throw new RangeError(`cipherText: expected ${XWING_CIPHERTEXT_BYTES} bytes`)
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== XWING_EXPANDED_SECRET_BYTES) throw new RangeError(`secretKey: expected ${XWING_EXPANDED_SECRET_BYTES} bytes`)
  let ssM: Uint8Array | undefined
  let ssX: Uint8Array | undefined
  try {
    const ctX = cipherText.subarray(MLKEM_CIPHERTEXT_BYTES)
    ssM = ml_kem768.decapsulate(cipherText.subarray(0, MLKEM_CIPHERTEXT_BYTES), secretKey.subarray(0, MLKEM_SECRET_KEY_BYTES))
    ssX = x25519(x25519Secret(secretKey.subarray(MLKEM_SECRET_KEY_BYTES, MLKEM_SECRET_KEY_BYTES + X25519_BYTES)), ctX)
    return combine(ssM, ssX, ctX, secretKey.subarray(MLKEM_SECRET_KEY_BYTES + X25519_BYTES))
  } finally {
    ssM?.fill(0)
    ssX?.fill(0)
  }
}

/** The shared secret of `cipherText` for the key pair of `secretKey` (the seed). */
export function xwingDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (!(cipherText instanceof Uint8Array) || cipherText.length !== XWING_CIPHERTEXT_BYTES) throw new RangeError(`cipherText: expected ${XWING_CIPHERTEXT_BYTES} bytes`)
  const expanded = expandedKeys(secretKey).secretKey
  try {
    return xwingDecapsulateExpanded(cipherText, expanded)
  } finally {
    expanded.fill(0)
  }
}
