/**
 * Record layer (SPEC.md section 5.4): `u32be L || ChaCha20-Poly1305(key, nonce = 0^4 || u64be seq,
 * aad = the 4 length bytes)`. Sequence numbers are implicit and strictly sequential per direction,
 * so a replayed, dropped, reordered or truncated record fails authentication, and the channel fails closed.
 * Each direction rekeys after a bounded number of records or bytes (implicitly, at the same point on both sides).
 */
import { RecordAuthError } from '../errors.ts'
import { type Aead, NONCE_BYTES, TAG_BYTES } from './aead.ts'
import { nextKey } from './kdf.ts'

/** Largest record plaintext: one whole bulk chunk frame (256 KiB body + 5-byte frame header) fits in one record. */
export const MAX_RECORD_PLAINTEXT = 256 * 1024 + 16
export const RECORD_HEADER_BYTES = 4
/** A sequence number this high closes the connection instead of ever reusing a nonce. */
const MAX_SEQUENCE = 2 ** 48

export interface RekeyPolicy {
  /** Records sealed under one key before the next key is derived. */
  readonly records: number
  /** Ciphertext bytes sealed under one key before the next key is derived. */
  readonly bytes: number
}

/**
 * Defaults: far below ChaCha20-Poly1305's per-key limits (RFC 8439 section 2.8; about 2^64 records of
 * 256 GiB each), chosen so a long-lived connection moves to a fresh one-way key every few minutes at full speed.
 */
export const DEFAULT_REKEY: RekeyPolicy = Object.freeze({ records: 1 << 16, bytes: 2 ** 30 })

function nonceFor(seq: number): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES)
  const view = new DataView(nonce.buffer)
  view.setUint32(4, Math.floor(seq / 2 ** 32))
  view.setUint32(8, seq >>> 0)
  return nonce
}

/** State of one direction: key, sequence number and rekey counters, identical on sender and receiver. */
class DirectionState {
  key: Uint8Array
  seq = 0
  recordsThisKey = 0
  bytesThisKey = 0
  epoch = 0

  constructor(key: Uint8Array, readonly policy: RekeyPolicy) {
    this.key = key
  }

  advance(ciphertextBytes: number): void {
    this.seq++
    this.recordsThisKey++
    this.bytesThisKey += ciphertextBytes
    if (this.recordsThisKey >= this.policy.records || this.bytesThisKey >= this.policy.bytes) {
      const old = this.key
      this.key = nextKey(old)
      old.fill(0)
      this.recordsThisKey = 0
      this.bytesThisKey = 0
      this.epoch++
    }
  }
}

export class RecordSealer {
  readonly #state: DirectionState
  readonly #aead: Aead

  constructor(aead: Aead, key: Uint8Array, policy: RekeyPolicy = DEFAULT_REKEY) {
    this.#aead = aead
    this.#state = new DirectionState(key.slice(), policy)
  }

  /** Number of rekeys so far (observability and tests). */
  get epoch(): number { return this.#state.epoch }
  get sequence(): number { return this.#state.seq }

  /** Seals the concatenation of `pieces` (at most MAX_RECORD_PLAINTEXT bytes) into one record. */
  seal(pieces: readonly Uint8Array[]): Uint8Array {
    let length = 0
    for (const p of pieces) length += p.length
    if (length > MAX_RECORD_PLAINTEXT) throw new RangeError(`record plaintext ${length} exceeds ${MAX_RECORD_PLAINTEXT}`)
    if (this.#state.seq >= MAX_SEQUENCE) throw new RecordAuthError('record sequence space exhausted')
    const header = new Uint8Array(RECORD_HEADER_BYTES)
    new DataView(header.buffer).setUint32(0, length + TAG_BYTES)
    const record = this.#aead.seal(this.#state.key, nonceFor(this.#state.seq), header, pieces)
    this.#state.advance(length + TAG_BYTES)
    return record
  }
}

/**
 * Parses records out of a byte stream with arbitrary chunk boundaries. The length is checked before
 * any buffer is allocated; the first failure is final (every later push throws the same error).
 */
export class RecordOpener {
  readonly #state: DirectionState
  readonly #aead: Aead
  #header = new Uint8Array(RECORD_HEADER_BYTES)
  #headerFill = 0
  #body: Uint8Array | undefined
  #bodyFill = 0
  #failed: RecordAuthError | undefined

  constructor(aead: Aead, key: Uint8Array, policy: RekeyPolicy = DEFAULT_REKEY) {
    this.#aead = aead
    this.#state = new DirectionState(key.slice(), policy)
  }

  get epoch(): number { return this.#state.epoch }
  get sequence(): number { return this.#state.seq }
  /** True while part of a record is buffered (a stream that ends now was truncated). */
  get midRecord(): boolean { return this.#headerFill > 0 || this.#body !== undefined }

  /** Feeds bytes; calls `onRecord` with each authenticated plaintext in order. Throws RecordAuthError. */
  push(chunk: Uint8Array, onRecord: (plaintext: Uint8Array) => void): void {
    if (this.#failed !== undefined) throw this.#failed
    let offset = 0
    while (offset < chunk.length) {
      if (this.#body === undefined) {
        // Fast path: a whole record inside this chunk needs no copy.
        if (this.#headerFill === 0 && chunk.length - offset >= RECORD_HEADER_BYTES) {
          const length = this.#checkLength(readU32(chunk, offset))
          if (chunk.length - offset - RECORD_HEADER_BYTES >= length) {
            const header = chunk.subarray(offset, offset + RECORD_HEADER_BYTES)
            const sealed = chunk.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length)
            offset += RECORD_HEADER_BYTES + length
            onRecord(this.#open(header, sealed))
            continue
          }
        }
        const take = Math.min(RECORD_HEADER_BYTES - this.#headerFill, chunk.length - offset)
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFill)
        this.#headerFill += take
        offset += take
        if (this.#headerFill < RECORD_HEADER_BYTES) return
        this.#body = new Uint8Array(this.#checkLength(readU32(this.#header, 0)))
        this.#bodyFill = 0
      }
      const body = this.#body
      const take = Math.min(body.length - this.#bodyFill, chunk.length - offset)
      body.set(chunk.subarray(offset, offset + take), this.#bodyFill)
      this.#bodyFill += take
      offset += take
      if (this.#bodyFill < body.length) return
      const header = this.#header
      this.#header = new Uint8Array(RECORD_HEADER_BYTES)
      this.#headerFill = 0
      this.#body = undefined
      onRecord(this.#open(header, body))
    }
  }

  #checkLength(length: number): number {
    if (length < TAG_BYTES || length > MAX_RECORD_PLAINTEXT + TAG_BYTES) {
      throw this.#fail(`record length ${length} outside ${TAG_BYTES}..${MAX_RECORD_PLAINTEXT + TAG_BYTES}`)
    }
    return length
  }

  #open(header: Uint8Array, sealed: Uint8Array): Uint8Array {
    if (this.#state.seq >= MAX_SEQUENCE) throw this.#fail('record sequence space exhausted')
    const plaintext = this.#aead.open(this.#state.key, nonceFor(this.#state.seq), header, sealed)
    if (plaintext === undefined) {
      throw this.#fail(`record ${this.#state.seq} failed authentication (tampered, replayed, reordered or truncated)`)
    }
    this.#state.advance(sealed.length)
    return plaintext
  }

  #fail(message: string): RecordAuthError {
    this.#failed = new RecordAuthError(message)
    return this.#failed
  }
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) >>> 0) + (bytes[offset + 1]! << 16) + (bytes[offset + 2]! << 8) + bytes[offset + 3]!
}
