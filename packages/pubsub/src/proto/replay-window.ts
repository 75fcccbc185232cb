/**
 * Per-origin anti-replay windows, as IPsec ESP (RFC 4303, section 3.4.3) and DTLS (RFC 6347,
 * section 4.1.2.6) keep them: the highest sequence number verified from an origin and a bitmap of
 * the `size` numbers below it. A sequence number below the window, or one whose bit is set, is a
 * replay, however long ago its id left the seen cache: under heavy traffic that cache evicts ids
 * before they expire, and a recorded, still-fresh message must not be delivered twice.
 */

class Window {
  highest: number
  readonly bits: Uint32Array

  constructor(size: number, seq: number) {
    this.highest = seq
    this.bits = new Uint32Array(size / 32)
  }
}

export class ReplayWindows {
  readonly #size: number
  readonly #capacity: number
  /** Origin hex -> window, in least recently marked order (oldest first). */
  readonly #windows = new Map<string, Window>()

  /** `size` sequence numbers per origin (a multiple of 32); at most `capacity` origins, least recently active forgotten first. */
  constructor(size: number, capacity: number) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % 32 !== 0) throw new RangeError('ReplayWindows: size must be a positive multiple of 32')
    this.#size = size
    this.#capacity = capacity
  }

  highest(originHex: string): number | undefined {
    return this.#windows.get(originHex)?.highest
  }

  /** True if `seq` from this origin is below its window or was already marked. */
  isReplay(originHex: string, seq: number): boolean {
    const w = this.#windows.get(originHex)
    if (w === undefined || seq > w.highest) return false
    if (w.highest - seq >= this.#size) return true
    return bit(w, seq % this.#size)
  }

  /** Marks `seq` as seen. Call only after its signature verified, or a forger could slide an origin's window. */
  mark(originHex: string, seq: number): void {
    let w = this.#windows.get(originHex)
    if (w === undefined) {
      w = new Window(this.#size, seq)
    } else {
      this.#windows.delete(originHex)
      if (seq > w.highest) this.#slide(w, seq)
    }
    this.#windows.set(originHex, w)
    if (w.highest - seq < this.#size) w.bits[(seq % this.#size) >>> 5]! |= 1 << ((seq % this.#size) & 31)
    if (this.#windows.size > this.#capacity) {
      const oldest = this.#windows.keys().next()
      if (oldest.done !== true) this.#windows.delete(oldest.value)
    }
  }

  /** Moves the window up to `seq`, clearing the bits of the numbers it passes over. */
  #slide(w: Window, seq: number): void {
    if (seq - w.highest >= this.#size) {
      w.bits.fill(0)
    } else {
      for (let s = w.highest + 1; s <= seq; s++) w.bits[(s % this.#size) >>> 5]! &= ~(1 << ((s % this.#size) & 31))
    }
    w.highest = seq
  }
}

function bit(w: Window, index: number): boolean {
  return (w.bits[index >>> 5]! & (1 << (index & 31))) !== 0
}
