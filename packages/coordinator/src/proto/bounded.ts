/**
 * Bounded state for the cores: a time-limited map kept in insertion order (expiry inspects only the
 * oldest entries, a size cap evicts the oldest first) and a least-recently-used map of token buckets
 * for per-peer rate limits. Nothing here grows without bound, whatever remote peers send.
 */
import { TokenBucket } from '@saorsa-gossip/pubsub/proto'

export class TimedMap<V> {
  readonly #ttlMs: number
  readonly #capacity: number
  readonly #entries = new Map<string, { value: V; expiresMs: number }>()

  constructor(ttlMs: number, capacity: number) {
    this.#ttlMs = ttlMs
    this.#capacity = capacity
  }

  get size(): number {
    return this.#entries.size
  }

  set(key: string, value: V, nowMs: number): void {
    this.expire(nowMs)
    this.#entries.delete(key)
    this.#entries.set(key, { value, expiresMs: nowMs + this.#ttlMs })
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.#entries.delete(oldest.value)
    }
  }

  get(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.expiresMs <= nowMs) return undefined
    return entry.value
  }

  has(key: string, nowMs: number): boolean {
    return this.get(key, nowMs) !== undefined
  }

  expire(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresMs > nowMs) break
      this.#entries.delete(key)
    }
  }
}

/** One token bucket per key, at most `capacity` keys (least recently used forgotten). */
export class RateLimiter {
  readonly #ratePerSecond: number
  readonly #burst: number
  readonly #capacity: number
  readonly #buckets = new Map<string, TokenBucket>()

  constructor(options: { ratePerSecond: number; burst: number; capacity: number }) {
    this.#ratePerSecond = options.ratePerSecond
    this.#burst = options.burst
    this.#capacity = options.capacity
  }

  /** Spends one token of `key`'s bucket; false when it is empty. */
  take(key: string, nowMs: number): boolean {
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#ratePerSecond, this.#burst, nowMs)
      if (this.#buckets.size >= this.#capacity) {
        const oldest = this.#buckets.keys().next()
        if (oldest.done !== true) this.#buckets.delete(oldest.value)
      }
    } else {
      this.#buckets.delete(key)
    }
    this.#buckets.set(key, bucket)
    return bucket.take(nowMs)
  }
}
