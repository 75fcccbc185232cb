/**
 * Plain (unkeyed, 32-byte) BLAKE3, the hash behind every identifier (SPEC.md section "Identifiers").
 * Pure JavaScript (@noble/hashes) until `loadBlake3Backend()` has loaded hash-wasm's WebAssembly
 * build, about 10x faster on 2 KB inputs; both give the same bytes (checked on load and by tests).
 * The speed matters where thousands of ML-DSA keys are hashed at once, e.g. joining an MLS group.
 */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js'

interface WasmHasher {
  init(): WasmHasher
  update(data: Uint8Array): WasmHasher
  digest(outputType: 'binary'): Uint8Array
}

/** Which implementation `blake3` runs. */
export type Blake3Backend = 'wasm' | 'js'

let wasm: WasmHasher | undefined
let loading: Promise<Blake3Backend> | undefined

// Known answer checked before the WebAssembly build is trusted: BLAKE3 of 1,000 bytes i mod 251.
const PROBE = Uint8Array.from({ length: 1000 }, (_, i) => i % 251)

/** BLAKE3-256 of `data`; a fresh array the caller owns. */
export function blake3(data: Uint8Array): Uint8Array {
  return wasm === undefined ? nobleBlake3(data) : wasm.init().update(data).digest('binary')
}

/**
 * Loads the WebAssembly BLAKE3 once per process; resolves to the backend now in use. Never rejects:
 * if hash-wasm cannot load or disagrees with the JavaScript implementation, `blake3` stays on it.
 */
export function loadBlake3Backend(): Promise<Blake3Backend> {
  loading ??= import('hash-wasm')
    .then(async ({ createBLAKE3 }) => {
      const hasher = (await createBLAKE3(256)) as unknown as WasmHasher
      const expected = nobleBlake3(PROBE)
      const got = hasher.init().update(PROBE).digest('binary')
      if (got.length !== expected.length || got.some((b, i) => b !== expected[i])) return 'js' as const
      wasm = hasher
      return 'wasm' as const
    })
    .catch(() => 'js' as const)
  return loading
}

/** The implementation `blake3` runs now. */
export function activeBlake3Backend(): Blake3Backend {
  return wasm === undefined ? 'js' : 'wasm'
}
