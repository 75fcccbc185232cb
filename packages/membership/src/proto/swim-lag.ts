/**
 * Local lag for SWIM: Lifeguard's local health (arXiv:1707.00788, section IV-A) fed by a measurement
 * instead of inferred from missed nacks. The driver samples how late its own event loop runs and
 * reports it as data ('local-lag'); while this node is late, an ack or a refutation addressed to it
 * waits in its own queue, so the ack timeout, the protocol period and the suspicion timeout widen by
 * the lag. The estimate rises at once and halves every second, so a node that recovers detects at
 * full speed again within a few seconds.
 */

/** Long enough to cover the queue a lag spike leaves behind; short enough that detection speeds up again within seconds. */
export const LAG_HALF_LIFE_MS = 1_000

export interface LagLimits {
  /** Lag at or below this widens nothing (the ack timeout already absorbs it). */
  readonly lagToleranceMs: number
  /** Each timeout grows by this many ms per ms of lag. */
  readonly lagMultiplier: number
  /** The most any one timeout grows, whatever the lag. */
  readonly maxLagWideningMs: number
}

export class LocalLag {
  #lagMs = 0
  #updatedMs = 0
  /** Reports over the tolerance (for metrics and harnesses). */
  lateReports = 0

  /** A sample from the driver: how many ms its event loop ran late. Non-finite or negative values are ignored. */
  report(lagMs: number, nowMs: number, limits: LagLimits): void {
    if (!Number.isFinite(lagMs) || lagMs < 0) return
    this.#lagMs = Math.max(this.lagMs(nowMs), lagMs)
    this.#updatedMs = nowMs
    if (lagMs > limits.lagToleranceMs) this.lateReports++
  }

  /** The decayed estimate. */
  lagMs(nowMs: number): number {
    return this.#lagMs * 0.5 ** (Math.max(0, nowMs - this.#updatedMs) / LAG_HALF_LIFE_MS)
  }

  /** Extra wait for one timeout: `lagMultiplier * lag` once the lag exceeds the tolerance, capped. */
  wideningMs(nowMs: number, limits: LagLimits): number {
    const lag = this.lagMs(nowMs)
    if (lag <= limits.lagToleranceMs) return 0
    return Math.round(Math.min(limits.lagMultiplier * lag, limits.maxLagWideningMs))
  }
}
