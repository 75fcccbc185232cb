/**
 * Invertible Bloom lookup table over 32-byte message ids (Goodrich and Mitzenmacher, "Invertible
 * Bloom Lookup Tables", 2011; used for set difference as in Eppstein et al., "What's the
 * Difference?", SIGCOMM 2011, section 3). Each cell holds a signed count, the XOR of the ids and
 * the XOR of a 32-bit check hash. Subtracting two tables leaves only the symmetric difference,
 * which peeling recovers when it is below about 0.8 x cells for k = 3 (tested in pubsub's iblt.test.ts).
 */

export const IBLT_HASHES = 3
export const IBLT_KEY_BYTES = 32
/** Serialized cell: i32be count, 32-byte key XOR, u32be check XOR. */
export const IBLT_CELL_BYTES = 4 + IBLT_KEY_BYTES + 4

export interface IbltDifference {
  /** True when peeling emptied the table, so both lists are complete. */
  readonly ok: boolean
  /** Keys present on the left of `left.subtract(right)` only. */
  readonly onlyLeft: Uint8Array[]
  readonly onlyRight: Uint8Array[]
}

export class Iblt {
  readonly cellCount: number
  readonly #counts: Int32Array
  readonly #keys: Uint8Array
  readonly #checks: Uint32Array

  /** `cellCount` must be a positive multiple of 3 (one sub-table per hash function). */
  constructor(cellCount: number) {
    if (!Number.isSafeInteger(cellCount) || cellCount <= 0 || cellCount % IBLT_HASHES !== 0) {
      throw new RangeError(`Iblt: cellCount must be a positive multiple of ${IBLT_HASHES}, got ${cellCount}`)
    }
    this.cellCount = cellCount
    this.#counts = new Int32Array(cellCount)
    this.#keys = new Uint8Array(cellCount * IBLT_KEY_BYTES)
    this.#checks = new Uint32Array(cellCount)
  }

  insert(key: Uint8Array): void {
    this.#apply(key, 1)
  }

  /** A new table holding this minus `other` (same size required). */
  subtract(other: Iblt): Iblt {
    if (other.cellCount !== this.cellCount) throw new RangeError('Iblt.subtract: tables differ in size')
    const out = new Iblt(this.cellCount)
    for (let i = 0; i < this.cellCount; i++) {
      out.#counts[i] = (this.#counts[i]! - other.#counts[i]!) | 0
      out.#checks[i] = (this.#checks[i]! ^ other.#checks[i]!) >>> 0
    }
    for (let i = 0; i < this.#keys.length; i++) out.#keys[i] = this.#keys[i]! ^ other.#keys[i]!
    return out
  }

  /** Peels a (subtracted) table; does not modify this one. */
  decode(): IbltDifference {
    const t = this.subtract(new Iblt(this.cellCount))
    const onlyLeft: Uint8Array[] = []
    const onlyRight: Uint8Array[] = []
    const queue: number[] = []
    for (let i = 0; i < t.cellCount; i++) if (t.#isPure(i)) queue.push(i)
    // Each successful peel removes one key; more peels than cells means a corrupt table.
    let budget = t.cellCount * 2
    while (queue.length > 0 && budget-- > 0) {
      const i = queue.pop()!
      if (!t.#isPure(i)) continue
      const sign = t.#counts[i]!
      const key = t.#keys.slice(i * IBLT_KEY_BYTES, (i + 1) * IBLT_KEY_BYTES)
      ;(sign === 1 ? onlyLeft : onlyRight).push(key)
      for (const j of cellIndices(key, t.cellCount)) {
        t.#applyAt(j, key, -sign)
        if (t.#isPure(j)) queue.push(j)
      }
    }
    return { ok: t.#isEmpty(), onlyLeft, onlyRight }
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.cellCount * IBLT_CELL_BYTES)
    const view = new DataView(out.buffer)
    for (let i = 0; i < this.cellCount; i++) {
      const at = i * IBLT_CELL_BYTES
      view.setInt32(at, this.#counts[i]!)
      out.set(this.#keys.subarray(i * IBLT_KEY_BYTES, (i + 1) * IBLT_KEY_BYTES), at + 4)
      view.setUint32(at + 4 + IBLT_KEY_BYTES, this.#checks[i]!)
    }
    return out
  }

  /** Inverse of `toBytes`; throws RangeError if the length is not a whole number of cells. */
  static fromBytes(bytes: Uint8Array): Iblt {
    if (bytes.length === 0 || bytes.length % IBLT_CELL_BYTES !== 0) {
      throw new RangeError(`Iblt.fromBytes: length ${bytes.length} is not a positive multiple of ${IBLT_CELL_BYTES}`)
    }
    const table = new Iblt(bytes.length / IBLT_CELL_BYTES)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0; i < table.cellCount; i++) {
      const at = i * IBLT_CELL_BYTES
      table.#counts[i] = view.getInt32(at)
      table.#keys.set(bytes.subarray(at + 4, at + 4 + IBLT_KEY_BYTES), i * IBLT_KEY_BYTES)
      table.#checks[i] = view.getUint32(at + 4 + IBLT_KEY_BYTES)
    }
    return table
  }

  #apply(key: Uint8Array, delta: number): void {
    if (key.length !== IBLT_KEY_BYTES) throw new RangeError(`Iblt: keys must be ${IBLT_KEY_BYTES} bytes`)
    for (const j of cellIndices(key, this.cellCount)) this.#applyAt(j, key, delta)
  }

  #applyAt(i: number, key: Uint8Array, delta: number): void {
    this.#counts[i] = (this.#counts[i]! + delta) | 0
    this.#checks[i] = (this.#checks[i]! ^ checkHash(key)) >>> 0
    const base = i * IBLT_KEY_BYTES
    for (let b = 0; b < IBLT_KEY_BYTES; b++) this.#keys[base + b]! ^= key[b]!
  }

  #isPure(i: number): boolean {
    const c = this.#counts[i]!
    if (c !== 1 && c !== -1) return false
    return checkHash(this.#keys.subarray(i * IBLT_KEY_BYTES, (i + 1) * IBLT_KEY_BYTES)) === this.#checks[i]
  }

  #isEmpty(): boolean {
    for (let i = 0; i < this.cellCount; i++) if (this.#counts[i] !== 0 || this.#checks[i] !== 0) return false
    for (const b of this.#keys) if (b !== 0) return false
    return true
  }
}

function readU32(key: Uint8Array, at: number): number {
  return ((key[at]! << 24) | (key[at + 1]! << 16) | (key[at + 2]! << 8) | key[at + 3]!) >>> 0
}

/** murmur3 finalizer: spreads any 32-bit input over all 32 bits. */
function mix32(x: number): number {
  let h = x >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * One index per sub-table, from disjoint 4-byte words of the key. Keys are BLAKE3 outputs, so their
 * words are already uniform; the mix only guards against structured test keys.
 */
function cellIndices(key: Uint8Array, cellCount: number): number[] {
  const sub = cellCount / IBLT_HASHES
  const out: number[] = []
  for (let j = 0; j < IBLT_HASHES; j++) out.push(j * sub + (mix32(readU32(key, j * 4) ^ (0x9e3779b9 * (j + 1))) % sub))
  return out
}

/** Check hash over the remaining key words, so a pure cell is recognised with false-positive rate 2^-32. */
function checkHash(key: Uint8Array): number {
  let h = 0x5bd1e995
  for (let at = 12; at < IBLT_KEY_BYTES; at += 4) h = mix32(h ^ readU32(key, at))
  return h
}
