/**
 * The fast ML-DSA-65 backend: liboqs (FIPS 204) compiled to WASM by @oqs/liboqs-js, loaded lazily
 * and cached, with the pure-JS noble backend as the fallback when it cannot load or fails its
 * self-test. The adapter hides liboqs quirks: Buffers are rejected (pass plain views), wrong
 * lengths throw (map to false), only the empty context exists.
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { loadBlake3Backend, raceAbort, throwIfAborted } from '@saorsa-gossip/types'
import { ALGORITHMS } from './algorithms.ts'
import { assertMlDsa65SecretKey, assertVerifyArgs, nobleMlDsa65, type SignatureBackend } from './backend.ts'
import { InvalidKeyError } from './errors.ts'

/** The part of @oqs/liboqs-js's `MLDSA65` instance this adapter uses. */
export interface LiboqsMlDsa65 {
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean
}

/** The part of the `@oqs/liboqs-js/sig` module this adapter uses. */
export interface LiboqsSigModule {
  createMLDSA65(): Promise<LiboqsMlDsa65>
}

export interface LoadMlDsa65BackendOptions {
  signal?: AbortSignal
  /** `'fast'` (default) tries liboqs first; `'noble'` returns the pure-JS backend without loading anything. */
  prefer?: 'fast' | 'noble'
  /**
   * Replaces the module import (for tests of the fallback path). A custom importer bypasses the
   * process-wide cache in both directions.
   */
  importLiboqs?: () => Promise<LiboqsSigModule>
  /** Called with the reason when the fast backend could not be used and noble was returned instead. */
  onFallback?: (reason: unknown) => void
}

const SIZES = ALGORITHMS['ml-dsa-65']

/** liboqs checks `constructor.name === 'Uint8Array'`, so Buffers and subclasses become plain views. */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Wraps a liboqs ML-DSA-65 instance as a `SignatureBackend`. */
export function liboqsBackend(instance: LiboqsMlDsa65): SignatureBackend {
  return Object.freeze({
    name: 'liboqs',
    sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
      assertMlDsa65SecretKey(secretKey, message)
      try {
        return instance.sign(plain(message), plain(secretKey))
      } catch (err) {
        throw new InvalidKeyError('secretKey: rejected by liboqs', { cause: err })
      }
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      assertVerifyArgs(publicKey, message, signature)
      if (publicKey.length !== SIZES.publicKeyBytes || signature.length !== SIZES.signatureBytes) return false
      try {
        return instance.verify(plain(message), plain(signature), plain(publicKey)) === true
      } catch {
        return false
      }
    },
  })
}

/**
 * Interop self-test run once per load: liboqs must accept a noble signature, noble must accept a
 * liboqs signature, and liboqs must reject a tampered one. A build that produces pre-standard
 * Dilithium bytes of the right sizes fails here instead of splitting the network.
 */
function selfTest(backend: SignatureBackend): void {
  const { publicKey, secretKey } = ml_dsa65.keygen(new Uint8Array(SIZES.seedBytes).fill(0x5a))
  const message = new TextEncoder().encode('saorsa-gossip/identity self-test')
  const nobleSig = ml_dsa65.sign(message, secretKey, { extraEntropy: false })
  if (!backend.verify(publicKey, message, nobleSig)) throw new Error('liboqs rejected a noble signature')
  const tampered = nobleSig.slice()
  tampered[100] = tampered[100]! ^ 1
  if (backend.verify(publicKey, message, tampered)) throw new Error('liboqs accepted a tampered signature')
  if (!ml_dsa65.verify(backend.sign(secretKey, message), message, publicKey)) throw new Error('noble rejected a liboqs signature')
}

async function loadFast(importLiboqs: () => Promise<LiboqsSigModule>): Promise<SignatureBackend> {
  const module = await importLiboqs()
  const backend = liboqsBackend(await module.createMLDSA65())
  selfTest(backend)
  return backend
}

const defaultImport = async (): Promise<LiboqsSigModule> => (await import('@oqs/liboqs-js/sig')) as LiboqsSigModule

/** The shared load attempt: a backend, or the reason it failed. Settles once per process. */
let cached: Promise<{ backend: SignatureBackend } | { error: unknown }> | undefined
/** Set once the cached liboqs backend has loaded; what `activeMlDsa65Backend()` returns. */
let loadedFast: SignatureBackend | undefined


/**
 * Lazily loads @oqs/liboqs-js ML-DSA-65 (about 16x faster than noble on this project's reference
 * machine, see docs/benchmarks.md); falls back to noble if it cannot load. Cached per process.
 * Also loads the WebAssembly BLAKE3 of `@saorsa-gossip/types` (`loadBlake3Backend`).
 */
export async function loadMlDsa65Backend(options: LoadMlDsa65BackendOptions = {}): Promise<SignatureBackend> {
  throwIfAborted(options.signal)
  if (options.prefer !== undefined && options.prefer !== 'fast' && options.prefer !== 'noble') {
    throw new RangeError(`prefer: expected 'fast' or 'noble', got ${String(options.prefer)}`)
  }
  if (options.prefer === 'noble') return nobleMlDsa65
  let attempt: Promise<{ backend: SignatureBackend } | { error: unknown }>
  const wrap = (load: Promise<SignatureBackend>): Promise<{ backend: SignatureBackend } | { error: unknown }> =>
    load.then((backend) => ({ backend }), (error: unknown) => ({ error }))
  if (options.importLiboqs !== undefined) {
    attempt = wrap(loadFast(options.importLiboqs))
  } else {
    cached ??= wrap(loadFast(defaultImport)).then((result) => {
      if ('backend' in result) loadedFast = result.backend
      return result
    })
    attempt = cached
  }
  // The WebAssembly BLAKE3 comes with the fast backend: PeerIds of thousands of keys (an MLS tree)
  // are hashed where signatures are verified. It never rejects; it stays on JavaScript if it cannot load.
  const [result] = await raceAbort(Promise.all([attempt, loadBlake3Backend()]), options.signal)
  if ('backend' in result) return result.backend
  options.onFallback?.(result.error)
  return nobleMlDsa65
}

/** The backend used when none is given: liboqs once `loadMlDsa65Backend()` has loaded it, noble before. */
export function activeMlDsa65Backend(): SignatureBackend {
  return loadedFast ?? nobleMlDsa65
}
