/**
 * Per-requester token buckets for FIND_USER (SPEC.md section 13.6): `perHour` tokens of capacity,
 * refilled continuously; at most `maxRequesters` buckets, the least recently used forgotten first
 * (a forgotten requester starts full again, which costs at most one more bucket of answers).
 */
const HOUR_MS = 3_600_000

export class RequesterBuckets {
  readonly #perHour: number
  readonly #max: number
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>()

  constructor(perHour: number, maxRequesters: number) {
    this.#perHour = perHour
    this.#max = maxRequesters
  }

  get size(): number {
    return this.#buckets.size
  }

  /** Takes one token for `requester` at `nowMs`; false when its bucket is empty. */
  take(requester: string, nowMs: number): boolean {
    const held = this.#buckets.get(requester)
    let tokens = this.#perHour
    if (held !== undefined) {
      this.#buckets.delete(requester)
      tokens = Math.min(this.#perHour, held.tokens + ((nowMs - held.atMs) * this.#perHour) / HOUR_MS)
    } else if (this.#buckets.size >= this.#max) {
      const oldest = this.#buckets.keys().next().value
      if (oldest !== undefined) this.#buckets.delete(oldest)
    }
    const allowed = tokens >= 1
    this.#buckets.set(requester, { tokens: allowed ? tokens - 1 : tokens, atMs: nowMs })
    return allowed
  }
}
