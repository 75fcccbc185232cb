/**
 * Peer scoring, pure math (after GossipSub v1.1 peer scoring, Vyzovitis et al., arXiv:2007.02754,
 * section 5: counters per behaviour, each with a weight, all decaying geometrically over time).
 * A score is a sum of decayed counters times weights; thresholds turn it into actions: below
 * `prune` a peer leaves our eager sets, below `graylist` its traffic is dropped unread, below
 * `disconnect` the driver closes the connection.
 */

export type ScoreCounter = 'firstDelivery' | 'duplicate' | 'invalid' | 'rejected' | 'rateLimited' | 'brokenPromise' | 'stray'

export interface ScoreParams {
  /** Counters are multiplied by `decay` once per `decayIntervalMs` (applied continuously). */
  readonly decayIntervalMs: number
  readonly decay: number
  /** Positive credit for first deliveries saturates here, so good history cannot buy unlimited abuse. */
  readonly firstDeliveryCap: number
  readonly weights: Readonly<Record<ScoreCounter, number>>
  readonly thresholds: { readonly prune: number; readonly graylist: number; readonly disconnect: number }
}

/**
 * Defaults. Ratios follow GossipSub's tuned deployments (invalid-message weight two orders above
 * delivery credit, graylist below prune); absolute values tuned in simulation so that one bad
 * signature costs more than twenty good first deliveries earn, and honest loss or churn never
 * crosses `prune` (see packages/simulator/test/pubsub-flood.sim.test.ts).
 */
export const DEFAULT_SCORE_PARAMS: ScoreParams = Object.freeze({
  decayIntervalMs: 1_000,
  // Half-life about 6.6 s: a graylisted attacker stays out for tens of seconds after it stops.
  decay: 0.9,
  firstDeliveryCap: 20,
  weights: Object.freeze({
    firstDelivery: 1,
    // Plumtree produces duplicates while the tree forms; they cost almost nothing.
    duplicate: -0.02,
    invalid: -20,
    // A topic validator rejected a message this peer forwarded (gossipsub P4, invalid deliveries).
    // Half of a bad signature: an honest forwarder with an older validator can disagree, but five
    // rejects in a row (-50) graylist it.
    rejected: -10,
    rateLimited: -0.5,
    brokenPromise: -2,
    stray: -0.5,
  }),
  thresholds: Object.freeze({ prune: -10, graylist: -50, disconnect: -100 }),
})

export type ScoreLevel = 'ok' | 'pruned' | 'graylisted' | 'disconnect'

/** One peer's decaying counters. */
export class PeerScore {
  readonly #params: ScoreParams
  readonly #counters: Record<ScoreCounter, number> = {
    firstDelivery: 0, duplicate: 0, invalid: 0, rejected: 0, rateLimited: 0, brokenPromise: 0, stray: 0,
  }
  #updatedMs: number

  constructor(params: ScoreParams, nowMs: number) {
    this.#params = params
    this.#updatedMs = nowMs
  }

  /** Adds `amount` to a counter after decaying all counters to `nowMs`. */
  record(counter: ScoreCounter, nowMs: number, amount = 1): void {
    this.#decayTo(nowMs)
    const next = this.#counters[counter] + amount
    this.#counters[counter] = counter === 'firstDelivery' ? Math.min(next, this.#params.firstDeliveryCap) : next
  }

  score(nowMs: number): number {
    this.#decayTo(nowMs)
    return weightedSum(this.#counters, this.#params.weights)
  }

  level(nowMs: number): ScoreLevel {
    return levelOf(this.score(nowMs), this.#params)
  }

  counter(counter: ScoreCounter, nowMs: number): number {
    this.#decayTo(nowMs)
    return this.#counters[counter]
  }

  #decayTo(nowMs: number): void {
    const elapsed = nowMs - this.#updatedMs
    if (elapsed <= 0) return
    const factor = decayFactor(elapsed, this.#params)
    for (const key of Object.keys(this.#counters) as ScoreCounter[]) {
      const v = this.#counters[key] * factor
      // Below 0.01 a counter is noise; zero it so idle peers return to exactly neutral.
      this.#counters[key] = Math.abs(v) < 0.01 ? 0 : v
    }
    this.#updatedMs = nowMs
  }
}

/** decay^(elapsed / interval). */
export function decayFactor(elapsedMs: number, params: Pick<ScoreParams, 'decay' | 'decayIntervalMs'>): number {
  return params.decay ** (elapsedMs / params.decayIntervalMs)
}

export function weightedSum(counters: Readonly<Record<ScoreCounter, number>>, weights: Readonly<Record<ScoreCounter, number>>): number {
  let sum = 0
  for (const key of Object.keys(weights) as ScoreCounter[]) sum += counters[key] * weights[key]
  return sum
}

export function levelOf(score: number, params: Pick<ScoreParams, 'thresholds'>): ScoreLevel {
  const t = params.thresholds
  if (score < t.disconnect) return 'disconnect'
  if (score < t.graylist) return 'graylisted'
  if (score < t.prune) return 'pruned'
  return 'ok'
}

/** Rejects parameter sets whose thresholds are out of order or whose decay does not decay. */
export function checkScoreParams(params: ScoreParams): void {
  const t = params.thresholds
  if (!(t.disconnect < t.graylist && t.graylist < t.prune && t.prune <= 0)) {
    throw new RangeError('score thresholds must satisfy disconnect < graylist < prune <= 0')
  }
  if (!(params.decay > 0 && params.decay < 1)) throw new RangeError('score decay must be in (0, 1)')
  if (!(params.decayIntervalMs > 0)) throw new RangeError('score decayIntervalMs must be positive')
}
