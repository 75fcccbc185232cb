/**
 * Rationing of responder handshake crypto: a token bucket per source and one over all sources
 * (leaky-bucket policing as in RFC 2697's single-rate meter). A source over its own rate is refused at
 * once, before any KEM or signature work. When only the global bucket is empty, waiting handshakes
 * are served from the source that has asked least of late first (a demand count decaying with a 30 s
 * half-life, uncapped where a bucket saturates), so a newcomer, or a NAT'd address with an occasional
 * new peer, overtakes a flooding source instead of queueing behind it. Pure: time is passed in; the transport runs the timer `msUntilNext` asks for.
 */

export interface Bucket { tokens: number; atMs: number }

/** Half-life of a source's demand count: long enough to remember a flood across its whole run. */
const DEMAND_HALF_LIFE_MS = 30_000

interface SourceState extends Bucket { demand: number; demandAtMs: number }

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


/** Sources idle this long are forgotten (their bucket is full and their demand small by then). */
const FORGET_AFTER_MS = 60_000

export class HandshakeTokens {
  readonly #rates: TokenRates
  readonly #global: Bucket
  readonly #sources = new Map<string, SourceState>()
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
    source.demand = this.#decayed(source, nowMs) + 1
    source.demandAtMs = nowMs
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

  /** Grants global tokens to waiters, least demanding source first (oldest on ties). */
  serve(nowMs: number): void {
    refill(this.#global, this.#rates.handshakesPerSecond, this.#rates.handshakeBurst, nowMs)
    while (this.#global.tokens >= 1 && this.#waiters.length > 0) {
      let best = 0
      let bestDemand = Infinity
      for (let i = 0; i < this.#waiters.length; i++) {
        const demand = this.demand(this.#waiters[i]!.source, nowMs)
        if (demand < bestDemand || (demand === bestDemand && this.#waiters[i]!.sinceMs < this.#waiters[best]!.sinceMs)) { best = i; bestDemand = demand }
      }
      const [waiter] = this.#waiters.splice(best, 1)
      this.#global.tokens -= 1
      waiter!.grant()
    }
    if (this.#sources.size > 4096) this.#forget(nowMs)
  }

  /** How many handshakes a source asked for lately (decaying; 0 for a source not seen). */
  demand(source: string, nowMs: number): number {
    const state = this.#sources.get(source)
    return state === undefined ? 0 : this.#decayed(state, nowMs)
  }

  #decayed(state: SourceState, nowMs: number): number {
    return state.demand * 0.5 ** (Math.max(0, nowMs - state.demandAtMs) / DEMAND_HALF_LIFE_MS)
  }

  /** Ms until the next global token, or undefined when nobody waits. */
  msUntilNext(nowMs: number): number | undefined {
    if (this.#waiters.length === 0) return undefined
    refill(this.#global, this.#rates.handshakesPerSecond, this.#rates.handshakeBurst, nowMs)
    return Math.max(1, Math.ceil(((1 - this.#global.tokens) * 1000) / this.#rates.handshakesPerSecond))
  }

  #source(key: string, nowMs: number): SourceState {
    let state = this.#sources.get(key)
    if (state === undefined) {
      if (this.#sources.size > 4096) this.#forget(nowMs)
      state = { tokens: this.#rates.handshakeBurstPerSource, atMs: nowMs, demand: 0, demandAtMs: nowMs }
      this.#sources.set(key, state)
    }
    return state
  }

  #forget(nowMs: number): void {
    for (const [key, state] of this.#sources) if (nowMs - state.demandAtMs > FORGET_AFTER_MS) this.#sources.delete(key)
  }
}
