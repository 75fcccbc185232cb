/**
 * Record layer (SPEC.md section 5.4): `u32be (phase << 31 | L) || ChaCha20-Poly1305(key, nonce =
 * 0^4 || u64be seq, aad = the 4 header bytes)`. Sequence numbers are implicit and strictly sequential
 * per direction, so a replayed, dropped, reordered or truncated record fails authentication, and the
 * channel fails closed. The sender decides when its direction moves to the next one-way key and says
 * so with the key-phase bit (as QUIC's key phase, RFC 9001 section 6); the receiver follows and holds
 * every sender to a protocol ceiling of records and bytes per key. Both own their keys and wipe them.
 */
import { RecordAuthError } from '../errors.ts'
import { type Aead, NONCE_BYTES, TAG_BYTES } from './aead.ts'
import { nextKey } from './kdf.ts'

/** Largest record plaintext: one whole bulk chunk frame (256 KiB body + 5-byte frame header) fits in one record. */
export const MAX_RECORD_PLAINTEXT = 256 * 1024 + 16
export const RECORD_HEADER_BYTES = 4
/** A sequence number this high closes the connection instead of ever reusing a nonce. */
const MAX_SEQUENCE = 2 ** 48
const PHASE_BIT = 0x8000_0000

/**
 * What any sender must respect, fixed by the protocol (a receiver closes a connection whose peer
 * keeps one key longer): bounds how much traffic one leaked key exposes, whatever the peer's local
 * policy. Far below ChaCha20-Poly1305's per-key limits (RFC 8439 section 2.8).
 */
export const REKEY_CEILING = Object.freeze({ records: 1 << 24, bytes: 2 ** 36 })

/** When this side's sending direction moves to its next key: a local choice, signalled on the wire. */
export interface RekeyPolicy {
  /** Records sealed under one key before the next key is derived (at most REKEY_CEILING.records). */
  readonly records: number
  /** Ciphertext bytes sealed under one key before the next key is derived (at most REKEY_CEILING.bytes). */
  readonly bytes: number
}

/**
 * Defaults: chosen so a long-lived connection moves to a fresh one-way key every few minutes at full
 * speed, 256x inside the protocol ceiling.
 */
export const DEFAULT_REKEY: RekeyPolicy = Object.freeze({ records: 1 << 16, bytes: 2 ** 30 })

/** Checks a local rekey policy against the protocol ceiling; returns an error text or undefined. */
export function rekeyPolicyProblem(policy: RekeyPolicy): string | undefined {
  const ok = (v: number, max: number): boolean => Number.isSafeInteger(v) && v >= 1 && v <= max
  if (!ok(policy.records, REKEY_CEILING.records)) return `rekey.records must be an integer in 1..${REKEY_CEILING.records}`
  if (!ok(policy.bytes, REKEY_CEILING.bytes)) return `rekey.bytes must be an integer in 1..${REKEY_CEILING.bytes}`
  return undefined
}

function nonceFor(seq: number): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES)
  const view = new DataView(nonce.buffer)
  view.setUint32(4, Math.floor(seq / 2 ** 32))
  view.setUint32(8, seq >>> 0)
  return nonce
}

/** State of one direction: the key it owns, the sequence number and how much the key has protected. */
class DirectionState {
  key: Uint8Array
  seq = 0
  recordsThisKey = 0
  bytesThisKey = 0
  epoch = 0

  /** Takes ownership of `key` (no copy): it is wiped when replaced or when the state is wiped. */
  constructor(key: Uint8Array) {
    this.key = key
  }

  get phase(): number { return this.epoch & 1 }

  advance(ciphertextBytes: number): void {
    this.seq++
    this.recordsThisKey++
    this.bytesThisKey += ciphertextBytes
  }

  rotate(): void {
    const old = this.key
    this.key = nextKey(old)
    old.fill(0)
    this.recordsThisKey = 0
    this.bytesThisKey = 0
    this.epoch++
  }

  wipe(): void { this.key.fill(0) }
}

export class RecordSealer {
  readonly #state: DirectionState
  readonly #aead: Aead
  readonly #policy: RekeyPolicy

  /** Takes ownership of `key` (the caller must not keep or reuse it). */
  constructor(aead: Aead, key: Uint8Array, policy: RekeyPolicy = DEFAULT_REKEY) {
    const problem = rekeyPolicyProblem(policy)
    if (problem !== undefined) throw new RangeError(problem)
    this.#aead = aead
    this.#policy = policy
    this.#state = new DirectionState(key)
  }

  /** Number of key updates so far (observability and tests). */
  get epoch(): number { return this.#state.epoch }
  get sequence(): number { return this.#state.seq }

  /** Zeroes the current key; the sealer must not be used afterwards. */
  wipe(): void { this.#state.wipe() }

  /** Seals the concatenation of `pieces` (at most MAX_RECORD_PLAINTEXT bytes) into one record. */
  seal(pieces: readonly Uint8Array[]): Uint8Array {
    let length = 0
    for (const p of pieces) length += p.length
    if (length > MAX_RECORD_PLAINTEXT) throw new RangeError(`record plaintext ${length} exceeds ${MAX_RECORD_PLAINTEXT}`)
    if (this.#state.seq >= MAX_SEQUENCE) throw new RecordAuthError('record sequence space exhausted')
    const state = this.#state
    const header = new Uint8Array(RECORD_HEADER_BYTES)
    new DataView(header.buffer).setUint32(0, ((state.phase * PHASE_BIT) + length + TAG_BYTES) >>> 0)
    const record = this.#aead.seal(state.key, nonceFor(state.seq), header, pieces)
    state.advance(length + TAG_BYTES)
    if (state.recordsThisKey >= this.#policy.records || state.bytesThisKey >= this.#policy.bytes) state.rotate()
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

  /** Takes ownership of `key`. The sender's rekey policy is not needed: the key-phase bit says when. */
  constructor(aead: Aead, key: Uint8Array) {
    this.#aead = aead
    this.#state = new DirectionState(key)
  }

  get epoch(): number { return this.#state.epoch }
  get sequence(): number { return this.#state.seq }
  /** Zeroes the current key; every later push fails. */
  wipe(): void {
    this.#state.wipe()
    this.#failed ??= new RecordAuthError('record layer closed')
  }
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
          const length = this.#checkLength(readU32(chunk, offset) & ~PHASE_BIT)
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
        this.#body = new Uint8Array(this.#checkLength(readU32(this.#header, 0) & ~PHASE_BIT))
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
    const state = this.#state
    if (state.seq >= MAX_SEQUENCE) throw this.#fail('record sequence space exhausted')
    // A flipped phase bit is the sender's key update; a forged one fails authentication under the next key.
    if (header[0]! >>> 7 !== state.phase) state.rotate()
    const plaintext = this.#aead.open(state.key, nonceFor(state.seq), header, sealed)
    if (plaintext === undefined) {
      throw this.#fail(`record ${state.seq} failed authentication (tampered, replayed, reordered or truncated)`)
    }
    state.advance(sealed.length)
    if (state.recordsThisKey > REKEY_CEILING.records || state.bytesThisKey > REKEY_CEILING.bytes) {
      throw this.#fail('the peer kept one key past the protocol rekey ceiling')
    }
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
