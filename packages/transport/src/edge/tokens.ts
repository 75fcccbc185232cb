/**
 * Rationing of responder handshake crypto: a token bucket per source and one over all sources
 * (leaky-bucket policing as in RFC 2697's single-rate meter). A source over its own rate is refused at
 * once, before any KEM or signature work. When only the global bucket is empty, waiting handshakes
 * are served from the source with the fullest own bucket first (the one that has asked least of late),
 * so a newcomer, or a NAT'd address with an occasional new peer, overtakes a flooding source instead
 * of queueing behind it. Pure: time is passed in; the transport runs the timer `msUntilNext` asks for.
 */

export interface Bucket { tokens: number; atMs: number }

export function refill(bucket: Bucket, ratePerSecond: number, burst: number, nowMs: number): void {
  const elapsed = Math.max(0, nowMs - bucket.atMs)
  bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * ratePerSecond) / 1000)
  bucket.atMs = nowMs
}

export interface TokenRates {
  readonly handshakesPerSecondPerSource: number
  readonly handshakeBurstPerSource: number
  readonly handshakesPerSecond: number
  readonly handshakeBurst: number
}

export interface TokenWaiter {
  readonly source: string
  readonly sinceMs: number
  readonly grant: () => void
}


/** Sources idle this long are forgotten (their bucket is full again by then anyway). */
const FORGET_AFTER_MS = 60_000

export class HandshakeTokens {
  readonly #rates: TokenRates
  readonly #global: Bucket
  readonly #sources = new Map<string, Bucket>()
  readonly #waiters: TokenWaiter[] = []

  constructor(rates: TokenRates, nowMs: number) {
    this.#rates = rates
    this.#global = { tokens: rates.handshakeBurst, atMs: nowMs }
  }

  get waiting(): number { return this.#waiters.length }

  /**
   * 'refused' when the source is over its own rate; 'granted' when a global token is free now;
   * otherwise the waiter is queued and `grant` is called later from `serve`.
   */
  request(waiter: TokenWaiter, nowMs: number): 'granted' | 'refused' | 'queued' {
    const source = this.#source(waiter.source, nowMs)
    refill(source, this.#rates.handshakesPerSecondPerSource, this.#rates.handshakeBurstPerSource, nowMs)
    if (source.tokens < 1) return 'refused'
    source.tokens -= 1
    refill(this.#global, this.#rates.handshakesPerSecond, this.#rates.handshakeBurst, nowMs)
    if (this.#waiters.length === 0 && this.#global.tokens >= 1) {
      this.#global.tokens -= 1
      return 'granted'
    }
    this.#waiters.push(waiter)
    return 'queued'
  }

  /** Drops a waiter (its pipe closed, timed out or was evicted). */
  cancel(waiter: TokenWaiter): void {
    const at = this.#waiters.indexOf(waiter)
    if (at >= 0) this.#waiters.splice(at, 1)
  }

  /** Grants global tokens to waiters, fullest source bucket first (oldest on ties). */
  serve(nowMs: number): void {
    refill(this.#global, this.#rates.handshakesPerSecond, this.#rates.handshakeBurst, nowMs)
    while (this.#global.tokens >= 1 && this.#waiters.length > 0) {
      let best = 0
      let bestTokens = -Infinity
      for (let i = 0; i < this.#waiters.length; i++) {
        const tokens = this.sourceTokens(this.#waiters[i]!.source, nowMs)
        if (tokens > bestTokens || (tokens === bestTokens && this.#waiters[i]!.sinceMs < this.#waiters[best]!.sinceMs)) { best = i; bestTokens = tokens }
      }
      const [waiter] = this.#waiters.splice(best, 1)
      this.#global.tokens -= 1
      waiter!.grant()
    }
    if (this.#sources.size > 4096) this.#forget(nowMs)
  }

  /** The tokens a source's own bucket holds now (a full bucket for a source not seen lately). */
  sourceTokens(source: string, nowMs: number): number {
    const bucket = this.#sources.get(source)
    if (bucket === undefined) return this.#rates.handshakeBurstPerSource
    refill(bucket, this.#rates.handshakesPerSecondPerSource, this.#rates.handshakeBurstPerSource, nowMs)
    return bucket.tokens
  }

  /** Ms until the next global token, or undefined when nobody waits. */
  msUntilNext(nowMs: number): number | undefined {
    if (this.#waiters.length === 0) return undefined
    refill(this.#global, this.#rates.handshakesPerSecond, this.#rates.handshakeBurst, nowMs)
    return Math.max(1, Math.ceil(((1 - this.#global.tokens) * 1000) / this.#rates.handshakesPerSecond))
  }

  #source(key: string, nowMs: number): Bucket {
    let state = this.#sources.get(key)
    if (state === undefined) {
      if (this.#sources.size > 4096) this.#forget(nowMs)
      state = { tokens: this.#rates.handshakeBurstPerSource, atMs: nowMs }
      this.#sources.set(key, state)
    }
    return state
  }

  #forget(nowMs: number): void {
    for (const [key, state] of this.#sources) if (nowMs - state.atMs > FORGET_AFTER_MS) this.#sources.delete(key)
  }
}
