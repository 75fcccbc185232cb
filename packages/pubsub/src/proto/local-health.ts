/**
 * Local health for the repair timers: Lifeguard's idea (Dadgar, Phillips, Currey, "Lifeguard:
 * Local Health Awareness for More Accurate Failure Detection", DSN 2018, section 4) applied to
 * Plumtree. A node whose own processing runs late must not read the lateness of its input as loss:
 * while the driver reports a lag (how late its event loop runs), graft timers wait that much longer,
 * and a peer whose promise or rate we misjudge because our queue held its messages is not punished.
 * The estimate rises at once and decays by half every `LAG_HALF_LIFE_MS`, so a short burst widens
 * the timers only for as long as its queue can still be draining.
 */

/** Long enough to cover the queue a lag spike leaves behind; short enough that repair speeds up again within seconds. */
const LAG_HALF_LIFE_MS = 1_000

export interface LocalHealthLimits {
  /** Repair waits grow by this many ms per ms of local lag. */
  readonly lagMultiplier: number
  /** Longest a graft timer waits, whatever the lag. */
  readonly maxRepairDelayMs: number
  /** Above this lag the node counts as overloaded (no broken-promise or rate penalties). */
  readonly lagToleranceMs: number
}

export class LocalHealth {
  readonly #limits: LocalHealthLimits
  #lagMs = 0
  #updatedMs = 0
  /** Lag reports that crossed the tolerance (for harnesses). */
  overloadedReports = 0

  constructor(limits: LocalHealthLimits) {
    this.#limits = limits
  }

  /** A lag measurement from the driver (ms its event loop ran late). */
  report(lagMs: number, nowMs: number): void {
    if (!(lagMs >= 0) || !Number.isFinite(lagMs)) return
    const current = this.lagMs(nowMs)
    this.#lagMs = Math.max(current, lagMs)
    this.#updatedMs = nowMs
    if (lagMs > this.#limits.lagToleranceMs) this.overloadedReports++
  }

  /** The decayed lag estimate. */
  lagMs(nowMs: number): number {
    const elapsed = Math.max(0, nowMs - this.#updatedMs)
    return this.#lagMs * 0.5 ** (elapsed / LAG_HALF_LIFE_MS)
  }

  overloaded(nowMs: number): boolean {
    return this.lagMs(nowMs) > this.#limits.lagToleranceMs
  }

  /**
   * `baseMs` widened by the current lag, capped (never below `baseMs`). A lag within the tolerance
   * widens nothing: a loop a few tens of ms late delays the eager copy by as much as the IHAVE, and
   * repair after a real loss should not pay for the jitter of a shared machine.
   */
  widen(baseMs: number, nowMs: number): number {
    const lag = this.lagMs(nowMs)
    if (lag <= this.#limits.lagToleranceMs) return baseMs
    const widened = baseMs + this.#limits.lagMultiplier * lag
    return Math.round(Math.max(baseMs, Math.min(widened, this.#limits.maxRepairDelayMs)))
  }
}
