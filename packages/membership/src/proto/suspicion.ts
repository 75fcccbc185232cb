/**
 * Suspicion arithmetic for SWIM with Lifeguard, as pure functions (Das, Gupta, Motivala, DSN 2002,
 * section 4.2 "suspicion"; Lifeguard, arXiv:1707.00788, section IV-B "LHA-Suspicion"). The formulas
 * follow hashicorp/memberlist `suspicionTimeout`, `remainingSuspicionTime` and `retransmitLimit`, so
 * the same inputs give the same milliseconds; the table tests pin them.
 */

/**
 * Minimum suspicion timeout: `alpha * max(1, log10(n)) * probeInterval`. `n` counts the members
 * this node knows alive, itself included. Below 10 members the scale is 1.
 */
export function suspicionMinTimeoutMs(alpha: number, memberCount: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, memberCount)))
  // Millisecond precision, as memberlist keeps three decimals of the scale.
  return Math.floor(alpha * Math.floor(nodeScale * 1000) * probeIntervalMs / 1000)
}

/**
 * Total suspicion timeout, measured from the moment this node started suspecting, after
 * `confirmations` independent suspicions arrived. It starts at `maxMs` and falls on a log scale to
 * `minMs` once `expected` confirmations are in: `max - log(c+1)/log(k+1) * (max - min)`, floored
 * at `minMs`. With `expected = 0` no confirmations are awaited and the timeout is `minMs`.
 */
export function suspicionTimeoutMs(confirmations: number, expected: number, minMs: number, maxMs: number): number {
  if (expected <= 0) return minMs
  const fraction = Math.log(confirmations + 1) / Math.log(expected + 1)
  const raw = maxMs - fraction * (maxMs - minMs)
  return Math.max(minMs, Math.floor(raw))
}

/** How many more milliseconds to wait before declaring the member dead (may be negative). */
export function remainingSuspicionMs(
  confirmations: number, expected: number, minMs: number, maxMs: number, elapsedMs: number,
): number {
  return suspicionTimeoutMs(confirmations, expected, minMs, maxMs) - elapsedMs
}

/**
 * How many times one membership update is piggybacked before it is dropped from the queue:
 * `mult * ceil(log10(n + 1))` (memberlist `retransmitLimit`; SWIM section 4.1 infection-style
 * dissemination needs about lambda * log(n) transmissions for every member to hear it).
 */
export function retransmitLimit(mult: number, memberCount: number): number {
  return mult * Math.ceil(Math.log10(memberCount + 1))
}
