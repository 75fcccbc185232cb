/**
 * Seeded per-link latency: each unordered pair of nodes gets one fixed latency drawn uniformly
 * from [min, max] ms, derived by hashing (seed, lower index, higher index) so that nothing is
 * stored per link and a 10,000-node network costs no memory for its latency matrix.
 */

/** A 32-bit avalanche mix (the finaliser of MurmurHash3). */
function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

export class LinkLatency {
  readonly #salt: number
  readonly #min: number
  readonly #span: number

  constructor(salt: number, [min, max]: readonly [number, number]) {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && max >= min)) {
      throw new RangeError(`latencyMs: expected integers 0 <= min <= max, got [${min}, ${max}]`)
    }
    this.#salt = salt >>> 0
    this.#min = min
    this.#span = max - min + 1
  }

  /** Latency in whole milliseconds between node indices `a` and `b` (symmetric). */
  between(a: number, b: number): number {
    const lo = a < b ? a : b
    const hi = a < b ? b : a
    const h = mix32(mix32(this.#salt ^ Math.imul(lo, 0x9e3779b1)) ^ Math.imul(hi + 1, 0x85ebca77))
    return this.#min + (h % this.#span)
  }
}

/** FNV-1a over a string, for turning seeds and labels into 32-bit salts. */
export function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
