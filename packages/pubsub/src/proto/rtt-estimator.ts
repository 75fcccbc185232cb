/**
 * A smoothed delay estimate and its timeout, as TCP computes its retransmission timer (RFC 6298,
 * section 2: SRTT and RTTVAR with gains 1/8 and 1/4, timeout SRTT + 4 RTTVAR). Used for the graft
 * round trip (`promises.ts`) and for how late eager copies run behind their IHAVEs (`repair.ts`).
 */
export class RttEstimator {
  #srttMs: number | undefined
  #rttvarMs = 0
  /** Samples taken so far (for harnesses). */
  samples = 0

  sample(delayMs: number): void {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) return
    this.samples++
    if (this.#srttMs === undefined) {
      // RFC 6298 section 2.2: the first measurement R sets SRTT = R and RTTVAR = R / 2.
      this.#srttMs = delayMs
      this.#rttvarMs = delayMs / 2
      return
    }
    // Section 2.3: RTTVAR before SRTT, so the deviation is taken from the previous mean.
    this.#rttvarMs = 0.75 * this.#rttvarMs + 0.25 * Math.abs(this.#srttMs - delayMs)
    this.#srttMs = 0.875 * this.#srttMs + 0.125 * delayMs
  }

  /** Scales the estimate by `factor` (0..1): a decay towards zero for delays that fade when not renewed. */
  decay(factor: number): void {
    if (this.#srttMs === undefined || !(factor >= 0 && factor <= 1)) return
    this.#srttMs *= factor
    this.#rttvarMs *= factor
  }

  /**
   * SRTT + `deviations` RTTVAR (RFC 6298 uses 4), clamped to [floorMs, capMs]; `floorMs` before the
   * first sample.
   */
  timeoutMs(floorMs: number, capMs = Number.POSITIVE_INFINITY, deviations = 4): number {
    if (this.#srttMs === undefined) return floorMs
    return Math.round(Math.max(floorMs, Math.min(capMs, this.#srttMs + deviations * this.#rttvarMs)))
  }
}
