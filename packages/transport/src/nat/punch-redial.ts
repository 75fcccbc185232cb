/**
 * When to dial again within one hole-punch attempt (SPEC.md section 5.10.3). A router that answers
 * an unsolicited SYN with a RST (against RFC 5382 REQ-4) tears down the mapping of whichever SYN
 * arrived first, so the SYNs only cross when both leave within one one-way delay of each other.
 * Both ends re-dial at once after every refusal, at jittered gaps so their loops never lock in
 * phase. Pure: the caller supplies each dial's outcome and the random draw.
 */
import { InvalidParametersError } from '@saorsa-gossip/types'

/** How one dial of a punch ended. */
export type PunchDialOutcome = 'refused' | 'stalled' | 'failed'

export interface RedialPolicy {
  /** The shortest pause after a dial refused by a RST (ms). */
  readonly refusedGapMs: number
  /** A uniform random extra on top of `refusedGapMs` (ms). */
  readonly refusedJitterMs: number
  /** Dials in one attempt at most, refused or not: a bound on the SYNs and RSTs one punch causes. */
  readonly maxDialsPerAttempt: number
  /**
   * After a refusal, a dial (connect and handshake) unfinished after this long is abandoned (ms),
   * doubling with each dial so abandoned in the attempt (a slow handshake gets its time)...
   */
  readonly stalledDialMs: number
  /** ...or after this many relayed round trips, if longer. */
  readonly stalledDialRtts: number
}

export const REDIAL_DEFAULTS: RedialPolicy = Object.freeze({
  /**
   * None. The SYNs meet only when both leave within one one-way delay of each other (about 10 us in
   * the lab), so a pair of dials meets with a chance of that delay over the dial period, and pairs
   * meet at a rate that grows with the square of the dial rate. Over a real path a refusal takes a
   * round trip to come back, which paces the dials to one per round trip anyway.
   */
  refusedGapMs: 0,
  /** About every other dial waits for the next timer tick (1 ms): two loops of equal period would keep their offset. */
  refusedJitterMs: 1,
  /** 3 s at one dial per ms: about 200 KB of SYNs and RSTs each way in the worst case, then the attempt ends. */
  maxDialsPerAttempt: 3_000,
  /**
   * About 6 times a direct handshake's p50 at load average 11-17 (23-42 ms, docs/benchmarks.md), and
   * short enough to leave most of a 3 s attempt for re-dials after a crossing went wrong.
   */
  stalledDialMs: 250,
  /** SYN and SYN-ACK, the handshake's 2 round trips, and one more for a loaded path. */
  stalledDialRtts: 4,
})

/** Throws unless every field of `policy` is usable, naming the first that is not. */
export function validateRedialPolicy(policy: RedialPolicy): void {
  for (const key of ['refusedGapMs', 'refusedJitterMs', 'stalledDialMs', 'stalledDialRtts'] as const) {
    if (!Number.isFinite(policy[key]) || policy[key] < 0) throw new InvalidParametersError(`punch: ${key} must be a finite number >= 0, got ${policy[key]}`)
  }
  if (!Number.isSafeInteger(policy.maxDialsPerAttempt) || policy.maxDialsPerAttempt < 1) {
    throw new InvalidParametersError(`punch: maxDialsPerAttempt must be an integer >= 1, got ${policy.maxDialsPerAttempt}`)
  }
}

/** The dials of one attempt: how long to wait before the next, or undefined once the budget is spent. */
export class RedialSchedule {
  #dials = 0
  #refused = false
  #stalls = 0

  /** `failedGapMs` paces dials that failed otherwise (unreachable, reset in the handshake, a wrong peer). */
  constructor(readonly policy: RedialPolicy, readonly failedGapMs: number) {}

  get dials(): number { return this.#dials }

  /** True once a dial was refused: the peer's router answers unsolicited SYNs, so stalled dials are cut short. */
  get refused(): boolean { return this.#refused }

  /** How long a dial may take once `refused`, given the relayed round trip. */
  stallMs(rttMs: number): number {
    return Math.max(this.policy.stalledDialMs, Math.ceil(this.policy.stalledDialRtts * rttMs)) * 2 ** Math.min(this.#stalls, 10)
  }

  /** Counts a dial that ended with `outcome`; `random` is a draw in [0, 1). */
  next(outcome: PunchDialOutcome, random: number): number | undefined {
    this.#dials++
    if (outcome === 'refused') this.#refused = true
    if (outcome === 'stalled') this.#stalls++
    if (this.#dials >= this.policy.maxDialsPerAttempt) return undefined
    if (outcome === 'failed') return this.failedGapMs
    return this.policy.refusedGapMs + Math.floor(random * (this.policy.refusedJitterMs + 1))
  }
}

const REFUSAL_CODES = new Set(['ECONNREFUSED', 'ECONNRESET'])

/** True when `error` (or one of its causes) is a connection refused or reset by a RST. */
export function isRefusal(error: unknown): boolean {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && REFUSAL_CODES.has(code)) return true
  }
  return false
}
