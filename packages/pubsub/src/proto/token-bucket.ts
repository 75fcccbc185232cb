/**
 * Token bucket (the classic traffic-shaping rule, RFC 2697 style without colours): `ratePerSecond`
 * tokens accrue continuously up to `burst`; each admitted message spends one. Used per peer before
 * any expensive check, so a flood costs the receiver a subtraction per message, not a signature check.
 */
export class TokenBucket {
  readonly #ratePerMs: number
  readonly #burst: number
  #tokens: number
  #updatedMs: number

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('TokenBucket: rate must be > 0 and burst >= 1')
    this.#ratePerMs = ratePerSecond / 1000
    this.#burst = burst
    this.#tokens = burst
    this.#updatedMs = nowMs
  }

  /**
   * Spends one token if available. `slackMs` extends the burst by that many ms of rate: a receiver
   * that processes its input late passes how late, so a peer's messages that waited in its queue
   * are counted as arriving when they did, not in the burst in which they are finally read.
   */
  take(nowMs: number, slackMs = 0): boolean {
    const elapsed = nowMs - this.#updatedMs
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst + Math.max(0, slackMs) * this.#ratePerMs, this.#tokens + elapsed * this.#ratePerMs)
      this.#updatedMs = nowMs
    }
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
