/**
 * Local health awareness for SWIM (Lifeguard, arXiv:1707.00788, section IV-A "LHA-Probe"): a
 * saturating Local Health Multiplier counter that rises on evidence that this node itself is slow
 * (failed probes without matching nacks, missed nacks, having to refute a suspicion, timers firing
 * late) and falls on every successful probe. Probe interval and ack timeout scale by `lhm + 1`.
 */

/** Adds `delta` to the multiplier and clamps it to [0, max]. */
export function applyHealthDelta(lhm: number, delta: number, max: number): number {
  return Math.min(max, Math.max(0, lhm + delta))
}

/** A timeout or interval stretched by local health: `baseMs * (lhm + 1)`. */
export function scaleByHealth(baseMs: number, lhm: number): number {
  return baseMs * (lhm + 1)
}

/**
 * The health penalty for a probe that got no ack (memberlist `probeNode`): when indirect probers
 * were asked for nacks, each missing nack counts against us (a healthy node hears them); when none
 * were asked, the failed probe itself costs one.
 */
export function failedProbePenalty(expectedNacks: number, nacksReceived: number): number {
  if (expectedNacks <= 0) return 1
  return Math.max(0, expectedNacks - nacksReceived)
}
