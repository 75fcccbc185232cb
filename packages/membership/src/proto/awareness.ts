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
 * The health penalty for a probe that got no ack. memberlist (`probeNode`) counts each missing nack,
 * or one when no helper was asked for a nack. Ours departs from it, and a failed probe costs at most
 * one: with no helper at all it costs one (memberlist); helpers asked but none heard from lately
 * (`expectedNacks` 0: they may be dead with the target) tell nothing and cost nothing; once any nack
 * arrived in time our own sending and processing kept up, so the missing ones are the helpers'
 * failures; only when every expected nack is missing does the probe count against us.
 */
export function failedProbePenalty(helpersAsked: number, expectedNacks: number, nacksReceived: number): number {
  if (helpersAsked <= 0) return 1
  return expectedNacks > 0 && nacksReceived === 0 ? 1 : 0
}
