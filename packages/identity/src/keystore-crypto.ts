/**
 * Encryption at rest for one key: the passphrase is stretched by Argon2id (RFC 9106, default) or
 * scrypt (RFC 7914), both run asynchronously in slices of at most 10 ms so the event loop keeps
 * running, and the secret key is sealed with XChaCha20-Poly1305 (random 24-byte nonce) under the
 * file header as associated data. SPEC.md section 4.5 describes the resulting file.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { argon2idAsync } from '@noble/hashes/argon2.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { AbortError, assertBytes, throwIfAborted } from '@saorsa-gossip/types'
import { WrongPassphraseError } from './errors.ts'
import {
  assembleKeyFile, decodeKeyFile, encodeKeyFileHeader, kdfParamsProblem, MAX_KDF_MEMORY_BYTES, NONCE_BYTES, SALT_BYTES,
  type KdfParams, type KeyFileHeader,
} from './keystore-format.ts'
import { keyFromBytes, type SigningKey } from './keys.ts'

/**
 * Default KDF: Argon2id with m = 19 MiB, t = 2, p = 1, the OWASP Password Storage Cheat Sheet
 * minimum for Argon2id. Chosen over scrypt N = 2^17 because it needs 19 MiB instead of 128 MiB and
 * unlocks about twice as fast here (docs/benchmarks.md), with RFC 9106's side-channel-resistant first pass.
 */
export const DEFAULT_KDF: KdfParams = Object.freeze({ kdf: 'argon2id', m: 19 * 1024, t: 2, p: 1 })
/** The scrypt alternative: N = 2^17, r = 8, p = 1 (OWASP minimum for scrypt; 128 MiB). */
export const SCRYPT_KDF: KdfParams = Object.freeze({ kdf: 'scrypt', log2N: 17, r: 8, p: 1 })
/**
 * Parameters that make unlocking take microseconds. Only for tests of code that uses the keystore:
 * a file sealed with them falls to a brute-force search at once.
 */
export const INSECURE_TEST_KDF: KdfParams = Object.freeze({ kdf: 'scrypt', log2N: 4, r: 1, p: 1 })

/** Longest time the KDF runs before yielding to the event loop, in milliseconds (noble `asyncTick`). */
const KDF_SLICE_MS = 10

/** Checks caller-supplied KDF parameters; throws a RangeError naming the argument. */
export function assertKdfParams(params: unknown, argName = 'kdf'): asserts params is KdfParams {
  if (typeof params !== 'object' || params === null) throw new TypeError(`${argName}: expected KDF parameters`)
  const problem = kdfParamsProblem(params as KdfParams)
  if (problem !== undefined) throw new RangeError(`${argName}: ${problem}`)
}

/** Passphrase bytes: strings are normalised to Unicode NFC, then UTF-8 encoded; bytes are used as given. */
export function passphraseBytes(passphrase: unknown): Uint8Array {
  if (typeof passphrase === 'string') {
    if (passphrase.length === 0) throw new RangeError('passphrase: must not be empty')
    return new TextEncoder().encode(passphrase.normalize('NFC'))
  }
  assertBytes(passphrase, 'passphrase')
  if (passphrase.length === 0) throw new RangeError('passphrase: must not be empty')
  return passphrase
}

/** The 32-byte file key: KDF(passphrase, salt) with the given parameters. Abortable between slices. */
export async function deriveFileKey(
  passphrase: Uint8Array,
  salt: Uint8Array,
  params: KdfParams,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  throwIfAborted(signal)
  const onProgress = (): void => {
    if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason })
  }
  const common = { dkLen: 32, asyncTick: KDF_SLICE_MS, maxmem: MAX_KDF_MEMORY_BYTES + 2 ** 20, onProgress }
  const key = params.kdf === 'scrypt'
    ? await scryptAsync(passphrase, salt, { N: 2 ** params.log2N, r: params.r, p: params.p, ...common })
    : await argon2idAsync(passphrase, salt, { m: params.m, t: params.t, p: params.p, ...common })
  throwIfAborted(signal)
  return key
}

export interface SealKeyFileOptions {
  /** KDF parameters; default `DEFAULT_KDF`. */
  kdf?: KdfParams
  /** Fixed salt (16 bytes) and nonce (24 bytes): for known-answer vectors only; random by default. */
  salt?: Uint8Array
  nonce?: Uint8Array
  /** Creation time in Unix milliseconds; default now. */
  createdAtMs?: number
  signal?: AbortSignal
}

/** Encrypts `key` into a complete keystore file. */
export async function sealKeyFile(
  key: SigningKey,
  passphrase: string | Uint8Array,
  options: SealKeyFileOptions = {},
): Promise<Uint8Array> {
  const kdf = options.kdf ?? DEFAULT_KDF
  assertKdfParams(kdf, 'kdf')
  const salt = options.salt ?? randomBytes(SALT_BYTES)
  const nonce = options.nonce ?? randomBytes(NONCE_BYTES)
  assertBytes(salt, 'salt', SALT_BYTES)
  assertBytes(nonce, 'nonce', NONCE_BYTES)
  const createdAtMs = options.createdAtMs ?? Date.now()
  if (!Number.isSafeInteger(createdAtMs) || createdAtMs < 0) {
    throw new RangeError(`createdAtMs: expected a non-negative safe integer, got ${createdAtMs}`)
  }
  const associatedData = encodeKeyFileHeader({
    algorithm: key.algorithm, kdf, salt, nonce, createdAtMs, publicKey: key.publicKey,
  })
  const fileKey = await deriveFileKey(passphraseBytes(passphrase), salt, kdf, options.signal)
  const secretKey = key.exportSecretKey()
  try {
    return assembleKeyFile(associatedData, xchacha20poly1305(fileKey, nonce, associatedData).encrypt(secretKey))
  } finally {
    fileKey.fill(0)
    secretKey.fill(0)
  }
}

/** The public part of a keystore file; throws `KeystoreCorruptError` if the file is damaged. */
export function readKeyFileHeader(bytes: Uint8Array): KeyFileHeader {
  return decodeKeyFile(bytes).header
}

/**
 * Decrypts a keystore file. Throws `KeystoreCorruptError` for a damaged file (checked before the KDF
 * runs), `WrongPassphraseError` when an intact file does not decrypt, `AbortError` when aborted.
 */
export async function openKeyFile(
  bytes: Uint8Array,
  passphrase: string | Uint8Array,
  options: { signal?: AbortSignal } = {},
): Promise<SigningKey> {
  const { header, associatedData, ciphertext } = decodeKeyFile(bytes)
  const fileKey = await deriveFileKey(passphraseBytes(passphrase), header.salt, header.kdf, options.signal)
  let secretKey: Uint8Array
  try {
    secretKey = xchacha20poly1305(fileKey, header.nonce, associatedData).decrypt(ciphertext)
  } catch (err) {
    throw new WrongPassphraseError(undefined, { cause: err })
  } finally {
    fileKey.fill(0)
  }
  try {
    return keyFromBytes(header.algorithm, header.publicKey, secretKey)
  } finally {
    secretKey.fill(0)
  }
}
