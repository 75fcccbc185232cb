/**
 * The keystore file format, version 1 (SPEC.md section 4.5): a fixed binary header (magic, version,
 * algorithm, KDF and AEAD tags, KDF parameters, salt, nonce, creation time, public key), the
 * XChaCha20-Poly1305 ciphertext of the secret key with the header as associated data, and a
 * SHA-256 checksum of everything before it, so accidental damage is told apart from a wrong passphrase.
 */
import { createHash } from 'node:crypto'
import { assertBytes, bytesEqual, copyBytes, LIMITS, PeerId } from '@saorsa-gossip/types'
import { algorithmByTag, ALGORITHMS, type KeyAlgorithm } from './algorithms.ts'
import { KeystoreCorruptError } from './errors.ts'

/** SHA-256 through node:crypto: about 8x faster than pure JS on a 6 KB file (every list, show and load checks it). */
function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

/** `SAORSAKS` in ASCII. */
export const KEYSTORE_MAGIC = Object.freeze([0x53, 0x41, 0x4f, 0x52, 0x53, 0x41, 0x4b, 0x53]) as readonly number[]
export const KEYSTORE_VERSION = 1
export const KDF_TAG = Object.freeze({ scrypt: 0x01, argon2id: 0x02 })
export const AEAD_XCHACHA20_POLY1305 = 0x01
export const SALT_BYTES = 16
export const NONCE_BYTES = 24
export const TAG_BYTES = 16
export const CHECKSUM_BYTES = 32
/** Bytes before the public key: magic 8, version, algorithm, kdf, aead, 3 x u32 KDF params, salt, nonce, u64 time. */
export const FIXED_HEADER_BYTES = 72

/** scrypt (RFC 7914) with N = 2^log2N. */
export interface ScryptParams { readonly kdf: 'scrypt'; readonly log2N: number; readonly r: number; readonly p: number }
/** Argon2id (RFC 9106) with memory `m` in KiB, `t` passes and `p` lanes. */
export interface Argon2idParams { readonly kdf: 'argon2id'; readonly m: number; readonly t: number; readonly p: number }
export type KdfParams = ScryptParams | Argon2idParams

/** Largest KDF working memory a file may ask for (1 GiB): a hostile file cannot make unlock allocate more. */
export const MAX_KDF_MEMORY_BYTES = 2 ** 30

/** Why `params` is unacceptable, or `undefined` when it is fine. Shared by option checks and the decoder. */
export function kdfParamsProblem(params: KdfParams): string | undefined {
  const int = (value: number, min: number, max: number): boolean => Number.isSafeInteger(value) && value >= min && value <= max
  if (params.kdf === 'scrypt') {
    if (!int(params.log2N, 1, 30)) return `scrypt log2N must be an integer in 1..30, got ${params.log2N}`
    if (!int(params.r, 1, 64)) return `scrypt r must be an integer in 1..64, got ${params.r}`
    if (!int(params.p, 1, 16)) return `scrypt p must be an integer in 1..16, got ${params.p}`
    if (128 * params.r * 2 ** params.log2N > MAX_KDF_MEMORY_BYTES) return 'scrypt memory 128 * r * N exceeds 1 GiB'
    return undefined
  }
  if (params.kdf === 'argon2id') {
    if (!int(params.p, 1, 16)) return `argon2id p must be an integer in 1..16, got ${params.p}`
    if (!int(params.t, 1, 64)) return `argon2id t must be an integer in 1..64, got ${params.t}`
    if (!int(params.m, 8 * params.p, MAX_KDF_MEMORY_BYTES / 1024)) {
      return `argon2id m must be an integer in ${8 * params.p}..${MAX_KDF_MEMORY_BYTES / 1024} KiB, got ${params.m}`
    }
    return undefined
  }
  return `unknown kdf ${String((params as { kdf: unknown }).kdf)}`
}

/** The public part of a keystore file, readable without the passphrase. */
export interface KeyFileHeader {
  readonly version: number
  readonly algorithm: KeyAlgorithm
  readonly kdf: KdfParams
  readonly salt: Uint8Array
  readonly nonce: Uint8Array
  /** Creation time, Unix milliseconds. */
  readonly createdAtMs: number
  readonly publicKey: Uint8Array
  readonly peerId: PeerId
}

/** A decoded file: header, the associated data the AEAD authenticates, and the ciphertext with its tag. */
export interface DecodedKeyFile {
  readonly header: KeyFileHeader
  readonly associatedData: Uint8Array
  readonly ciphertext: Uint8Array
}

/** Total file size for `algorithm`. */
export function keyFileLength(algorithm: KeyAlgorithm): number {
  const info = ALGORITHMS[algorithm]
  return FIXED_HEADER_BYTES + info.publicKeyBytes + info.secretKeyBytes + TAG_BYTES + CHECKSUM_BYTES
}

/** Header bytes (the AEAD associated data): everything up to and including the public key. */
export function encodeKeyFileHeader(header: Omit<KeyFileHeader, 'version' | 'peerId'>): Uint8Array {
  const info = ALGORITHMS[header.algorithm]
  const out = new Uint8Array(FIXED_HEADER_BYTES + info.publicKeyBytes)
  const view = new DataView(out.buffer)
  out.set(KEYSTORE_MAGIC, 0)
  out[8] = KEYSTORE_VERSION
  out[9] = info.tag
  out[10] = KDF_TAG[header.kdf.kdf]
  out[11] = AEAD_XCHACHA20_POLY1305
  const k = header.kdf
  const [a, b, c] = k.kdf === 'scrypt' ? [k.log2N, k.r, k.p] : [k.m, k.t, k.p]
  view.setUint32(12, a)
  view.setUint32(16, b)
  view.setUint32(20, c)
  out.set(header.salt, 24)
  out.set(header.nonce, 40)
  view.setUint32(64, Math.floor(header.createdAtMs / 2 ** 32))
  view.setUint32(68, header.createdAtMs % 2 ** 32)
  out.set(header.publicKey, FIXED_HEADER_BYTES)
  return out
}

/** `associatedData || ciphertext || SHA-256(associatedData || ciphertext)`. */
export function assembleKeyFile(associatedData: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const out = new Uint8Array(associatedData.length + ciphertext.length + CHECKSUM_BYTES)
  out.set(associatedData, 0)
  out.set(ciphertext, associatedData.length)
  out.set(sha256(out.subarray(0, associatedData.length + ciphertext.length)), associatedData.length + ciphertext.length)
  return out
}

/**
 * Parses and checks a keystore file without decrypting it. Throws only `KeystoreCorruptError`
 * (and `TypeError` for a non-Uint8Array argument). Checks run in a fixed order: size cap, magic,
 * version, algorithm, exact length, checksum, then each field.
 */
export function decodeKeyFile(bytes: Uint8Array): DecodedKeyFile {
  assertBytes(bytes, 'bytes')
  if (bytes.length > LIMITS.maxKeystoreFileBytes) {
    throw new KeystoreCorruptError(`${bytes.length} bytes exceeds the ${LIMITS.maxKeystoreFileBytes}-byte cap`)
  }
  for (let i = 0; i < KEYSTORE_MAGIC.length; i++) {
    if (i >= bytes.length) throw new KeystoreCorruptError(`truncated to ${bytes.length} bytes`)
    if (bytes[i] !== KEYSTORE_MAGIC[i]) throw new KeystoreCorruptError('not a keystore file', 'magic')
  }
  if (bytes.length < FIXED_HEADER_BYTES) throw new KeystoreCorruptError(`truncated to ${bytes.length} bytes`)
  if (bytes[8] !== KEYSTORE_VERSION) throw new KeystoreCorruptError(`unsupported version ${bytes[8]}`, 'version')
  const info = algorithmByTag(bytes[9]!)
  if (info === undefined) throw new KeystoreCorruptError(`unknown tag 0x${bytes[9]!.toString(16)}`, 'algorithm')
  const expected = keyFileLength(info.algorithm)
  if (bytes.length < expected) throw new KeystoreCorruptError(`truncated to ${bytes.length} of ${expected} bytes`)
  if (bytes.length > expected) throw new KeystoreCorruptError(`${bytes.length - expected} trailing bytes after ${expected}`)
  const bodyEnd = expected - CHECKSUM_BYTES
  if (!bytesEqual(sha256(bytes.subarray(0, bodyEnd)), bytes.subarray(bodyEnd))) {
    throw new KeystoreCorruptError('SHA-256 does not match the contents (file damaged)', 'checksum')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const [a, b, c] = [view.getUint32(12), view.getUint32(16), view.getUint32(20)]
  let kdf: KdfParams
  if (bytes[10] === KDF_TAG.scrypt) kdf = { kdf: 'scrypt', log2N: a, r: b, p: c }
  else if (bytes[10] === KDF_TAG.argon2id) kdf = { kdf: 'argon2id', m: a, t: b, p: c }
  else throw new KeystoreCorruptError(`unknown tag 0x${bytes[10]!.toString(16)}`, 'kdf')
  const problem = kdfParamsProblem(kdf)
  if (problem !== undefined) throw new KeystoreCorruptError(problem, 'kdf.params')
  if (bytes[11] !== AEAD_XCHACHA20_POLY1305) throw new KeystoreCorruptError(`unknown tag 0x${bytes[11]!.toString(16)}`, 'aead')
  const createdHigh = view.getUint32(64)
  if (createdHigh > 0x1f_ffff) throw new KeystoreCorruptError('beyond 2^53 - 1', 'createdAtMs')
  const createdAtMs = createdHigh * 2 ** 32 + view.getUint32(68)
  const pkEnd = FIXED_HEADER_BYTES + info.publicKeyBytes
  const publicKey = copyBytes(bytes.subarray(FIXED_HEADER_BYTES, pkEnd))
  return {
    header: {
      version: KEYSTORE_VERSION,
      algorithm: info.algorithm,
      kdf: Object.freeze(kdf),
      salt: copyBytes(bytes.subarray(24, 40)),
      nonce: copyBytes(bytes.subarray(40, 64)),
      createdAtMs,
      publicKey,
      peerId: PeerId.fromPublicKey(publicKey),
    },
    associatedData: copyBytes(bytes.subarray(0, pkEnd)),
    ciphertext: copyBytes(bytes.subarray(pkEnd, bodyEnd)),
  }
}
