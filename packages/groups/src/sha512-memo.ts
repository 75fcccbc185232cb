/**
 * SHA-512 of large inputs, remembered by content. ts-mls 1.6.4 recomputes the tree hash of the whole
 * ratchet tree (RFC 9420 section 7.8) on every commit, and a joiner recomputes subtree hashes again for
 * each parent hash it verifies (section 7.9.2), so the same node encodings of a few KB are hashed over
 * and over: at 1,000 members about a fifth of a commit's CPU time went into SHA-512 of unchanged nodes.
 * A hit needs the same bytes compared in full, so the result is always SHA-512 of the input.
 */
import { createHash } from 'node:crypto'

/** Below this, hashing costs about what the lookup does (labels, transcripts, secrets). */
const MIN_BYTES = 512
/** Bytes of the input's start and end in the lookup key: node encodings differ there (keys first, unmerged leaves last). */
const KEY_EDGE_BYTES = 48

export interface Sha512MemoOptions {
  /** Total input bytes remembered; the least recently used go first (default 32 MiB: three 1,000-member trees). */
  readonly maxBytes?: number
}

interface Entry {
  readonly input: Buffer
  readonly digest: Uint8Array
}

export class Sha512Memo {
  readonly #entries = new Map<string, Entry>()
  readonly #maxBytes: number
  #bytes = 0
  hits = 0
  misses = 0

  constructor(options: Sha512MemoOptions = {}) {
    this.#maxBytes = options.maxBytes ?? 32 * 1024 * 1024
  }

  digest(data: Uint8Array): Uint8Array {
    if (data.length < MIN_BYTES) return new Uint8Array(createHash('sha512').update(data).digest())
    const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const key = `${input.length}:${input.toString('latin1', 0, KEY_EDGE_BYTES)}${input.toString('latin1', input.length - KEY_EDGE_BYTES)}`
    const found = this.#entries.get(key)
    if (found !== undefined && found.input.equals(input)) {
      this.hits++
      // Most recently used last, so eviction takes the oldest.
      this.#entries.delete(key)
      this.#entries.set(key, found)
      return found.digest.slice()
    }
    this.misses++
    const digest = new Uint8Array(createHash('sha512').update(input).digest())
    if (found !== undefined) this.#forget(key, found)
    if (input.length <= this.#maxBytes) {
      // A copy: the caller's array may be reused after this returns.
      this.#entries.set(key, { input: Buffer.from(input), digest })
      this.#bytes += input.length
      for (const [oldKey, old] of this.#entries) {
        if (this.#bytes <= this.#maxBytes) break
        this.#forget(oldKey, old)
      }
    }
    return digest.slice()
  }

  /** Bytes of input currently remembered. */
  get bytes(): number {
    return this.#bytes
  }

  #forget(key: string, entry: Entry): void {
    this.#entries.delete(key)
    this.#bytes -= entry.input.length
  }
}
