/**
 * Bounded state for the cores: pubsub's time-limited map (insertion order, expiry inspects only the
 * oldest entries, a size cap evicts the oldest first) and per-key token buckets for rate limits, kept
 * in pubsub's bounded map (least recently used forgotten). Nothing here grows without bound,
 * whatever remote peers send.
 */
import { BoundedMap, TokenBucket } from '@saorsa-gossip/pubsub/proto'

export { TimedMap } from '@saorsa-gossip/pubsub/proto'

/** One token bucket per key, at most `capacity` keys (least recently used forgotten). */
export class RateLimiter {
  readonly #ratePerSecond: number
  readonly #burst: number
  readonly #buckets: BoundedMap<TokenBucket>

  constructor(options: { ratePerSecond: number; burst: number; capacity: number }) {
    this.#ratePerSecond = options.ratePerSecond
    this.#burst = options.burst
    this.#buckets = new BoundedMap(options.capacity)
  }

  /** Spends one token of `key`'s bucket; false when it is empty. */
  take(key: string, nowMs: number): boolean {
    const bucket = this.#buckets.get(key) ?? new TokenBucket(this.#ratePerSecond, this.#burst, nowMs)
    this.#buckets.set(key, bucket)
    return bucket.take(nowMs)
  }
}
