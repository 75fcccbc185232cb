/**
 * HyParView parameters with LAN, WAN and LOCAL presets (Leitao, Pereira, Rodrigues, DSN 2007).
 * Every number names its source: the paper (section and page of TR-07-13), the Saorsa reference
 * design (saorsa-gossip membership constants), iroh-gossip's defaults, or our simulation runs
 * (packages/simulator/test/hyparview*.sim.test.ts).
 */
import { LIMITS } from '@saorsa-gossip/types'

export interface HyParViewConfig {
  /** Active view size the node keeps filling towards from its passive view. */
  readonly activeViewSize: number
  /** Hard cap of the active view; JOIN and high-priority NEIGHBOR beyond it evict a random member. */
  readonly activeViewMax: number
  /** Passive view size; the shuffle length is derived from it (a quarter, reference design). */
  readonly passiveViewSize: number
  /** Hard cap of the passive view. */
  readonly passiveViewMax: number
  /** Active random walk length: hops of a FORWARD_JOIN (ARWL). */
  readonly activeRandomWalkLength: number
  /** Passive random walk length: the FORWARD_JOIN hop count at which the newcomer enters the passive view (PRWL). */
  readonly passiveRandomWalkLength: number
  /** Hops of a SHUFFLE walk. */
  readonly shuffleRandomWalkLength: number
  /** Active-view ids sent in a SHUFFLE (ka). */
  readonly shuffleActiveCount: number
  /** Passive-view ids sent in a SHUFFLE (kp); with ka and the origin at most LIMITS.maxShuffleIds. */
  readonly shufflePassiveCount: number
  /** Period of the passive-view shuffle. */
  readonly shuffleIntervalMs: number
  /** How long a NEIGHBOR request may stay unanswered before the next passive candidate is tried. */
  readonly neighborTimeoutMs: number
  /** How long a JOIN may stay unanswered before the next contact is tried. */
  readonly joinTimeoutMs: number
  /** Period of the degree check that refills the active view and rejoins when isolated. */
  readonly maintenanceIntervalMs: number
  /**
   * A peer's JOINs start FORWARD_JOIN walks at most once per this interval (bounded input); a JOIN
   * inside the interval is answered like a low-priority NEIGHBOR request.
   */
  readonly joinRateLimitMs: number
  /**
   * Period of the active-view refresh: a node whose active view is full asks one random passive
   * peer with a low-priority NEIGHBOR request and, if it accepts, drops one random neighbour to the
   * passive view. This keeps mixing the overlay after joins that arrived in bursts. 0 turns it off.
   */
  readonly activeRefreshIntervalMs: number
  /**
   * While the active view is empty, the kept contacts' addresses are redialled after a backoff that
   * starts here and doubles per attempt (equal jitter: each delay is uniform in [half, all]).
   */
  readonly redialMinMs: number
  /** Cap of the redial backoff: an isolated node finds a peer that appears within about this long. */
  readonly redialMaxMs: number
  /**
   * Period of the merge check: one kept contact outside the active view is asked with a low-priority
   * NEIGHBOR request that swaps out a neighbour when accepted, so that overlays that formed apart
   * are joined by an active edge. 0 turns it off.
   */
  readonly mergeIntervalMs: number
  /** Passive entries attributed to any one source peer, overall (eclipse resistance). */
  readonly maxPassiveEntriesPerSource: number
  /** Passive entries accepted from one SHUFFLE or SHUFFLE_REPLY (eclipse resistance). */
  readonly maxPassiveEntriesPerMessage: number
}

/**
 * Active-view refresh period to use when turning it on, tuned in simulation
 * (packages/simulator/test/hyparview-rejoin-mixing.sim.test.ts): 1,000 nodes joined through one
 * contact within 1 s keep a mean shortest path of 7.7 hops without refresh (a lattice in join order);
 * one refresh per node every 30 s brings it to 3.3 (a random graph's) within 300 s. Off in the
 * presets for now: each swap leaves an edge one-sided for a link latency, which snapshot invariant
 * checks count, and the 80 % mass-kill refill bound has not been re-tuned with it.
 */
export const ACTIVE_REFRESH_INTERVAL_MS = 30_000

export const HYPARVIEW_LAN: HyParViewConfig = Object.freeze({
  activeViewSize: 8, // reference design: active 8 (paper p.9 uses 5 = fanout 4 + 1 for 10,000 nodes)
  activeViewMax: 12, // reference design: active max 12
  passiveViewSize: 64, // reference design: passive 64 (paper p.9 uses 30)
  passiveViewMax: 128, // reference design: passive max 128
  activeRandomWalkLength: 6, // paper p.9 ARWL 6 (iroh-gossip default 6)
  passiveRandomWalkLength: 3, // paper p.9 PRWL 3 (iroh-gossip default 3)
  shuffleRandomWalkLength: 6, // iroh-gossip default 6 (paper: same walk length as ARWL)
  shuffleActiveCount: 4, // reference: exchange size = passive / 4 = 16, split 4 active + 12 passive
  shufflePassiveCount: 12, // reference: exchange size = passive / 4 = 16
  shuffleIntervalMs: 30_000, // reference design: shuffle every 30 s (iroh-gossip: 60 s)
  neighborTimeoutMs: 500, // iroh-gossip neighbor request timeout 500 ms
  joinTimeoutMs: 2_000, // tuned in simulation: 4x the worst LAN/WAN round trip of the 10-50 ms sim links plus processing
  maintenanceIntervalMs: 10_000, // reference design: degree maintenance every 10 s
  joinRateLimitMs: 10_000, // tuned in simulation: no honest peer rejoins through us more than once per maintenance period
  activeRefreshIntervalMs: 0, // off; ACTIVE_REFRESH_INTERVAL_MS (tuned in simulation) turns it on
  redialMinMs: 1_000, // a peer started a moment after us is found within about a second; one dial round per second is cheap
  redialMaxMs: 30_000, // one shuffle period: a node left alone finds a returning peer within 30 s, at 2 dial rounds a minute
  mergeIntervalMs: 30_000, // one shuffle period: at most one extra NEIGHBOR request per node per shuffle
  maxPassiveEntriesPerSource: 16, // tuned in simulation: one source never holds more than 1/8 of passiveViewMax
  maxPassiveEntriesPerMessage: 16, // equals the shuffle exchange size (4 + 12)
})

export const HYPARVIEW_WAN: HyParViewConfig = Object.freeze({
  ...HYPARVIEW_LAN,
  neighborTimeoutMs: 2_000, // tuned in simulation: covers intercontinental round trips plus a QUIC handshake
  joinTimeoutMs: 5_000, // tuned in simulation: 2.5x the WAN neighbor timeout
  shuffleIntervalMs: 60_000, // iroh-gossip default 60 s: WAN links cost more, views churn slower
  redialMinMs: 2_000, // the WAN neighbor timeout: a dial round over intercontinental links takes about that long
  mergeIntervalMs: 60_000, // one WAN shuffle period
})

export const HYPARVIEW_LOCAL: HyParViewConfig = Object.freeze({
  ...HYPARVIEW_LAN,
  activeViewSize: 5, // paper p.9: active 5 (fanout 4 + 1), enough for small local clusters
  activeViewMax: 8, // reference ratio max/size of 1.5
  passiveViewSize: 30, // paper p.9: passive 30
  passiveViewMax: 64, // reference ratio max/size of 2
  shuffleActiveCount: 3, // paper p.9 / iroh-gossip: ka 3
  shufflePassiveCount: 4, // paper p.9 / iroh-gossip: kp 4
  shuffleIntervalMs: 5_000, // iroh-gossip sim (big_hyparview) 5 s: loopback makes frequent shuffles cheap
  neighborTimeoutMs: 200, // tuned in simulation: loopback round trips are below 1 ms
  joinTimeoutMs: 1_000, // tuned in simulation: 5x the local neighbor timeout
  maintenanceIntervalMs: 2_000, // tuned in simulation: local clusters repair within seconds
  redialMinMs: 250, // loopback dials fail or succeed within milliseconds
  redialMaxMs: 5_000, // a local cluster started in any order forms within seconds (one LOCAL shuffle period)
  mergeIntervalMs: 5_000, // one LOCAL shuffle period
  maxPassiveEntriesPerSource: 8, // one source holds at most 1/8 of passiveViewMax
  maxPassiveEntriesPerMessage: 8, // at least the shuffle exchange size (3 + 4 + origin)
})

/** Throws a RangeError naming the first field that is out of range. */
export function validateHyParViewConfig(config: HyParViewConfig): HyParViewConfig {
  const positive = (name: keyof HyParViewConfig, min = 1): void => {
    const value = config[name]
    if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`hyparview.${name}: expected an integer >= ${min}, got ${value}`)
  }
  for (const name of ['activeViewSize', 'passiveViewSize', 'activeRandomWalkLength', 'shuffleRandomWalkLength',
    'shuffleIntervalMs', 'neighborTimeoutMs', 'joinTimeoutMs', 'maintenanceIntervalMs', 'maxPassiveEntriesPerSource',
    'maxPassiveEntriesPerMessage', 'redialMinMs', 'redialMaxMs'] as const) positive(name)
  for (const name of ['passiveRandomWalkLength', 'shuffleActiveCount', 'shufflePassiveCount', 'joinRateLimitMs',
    'activeRefreshIntervalMs', 'mergeIntervalMs'] as const) positive(name, 0)
  if (config.redialMaxMs < config.redialMinMs) throw new RangeError('hyparview.redialMaxMs: must be >= redialMinMs')
  if (config.activeViewMax < config.activeViewSize) throw new RangeError('hyparview.activeViewMax: must be >= activeViewSize')
  if (config.passiveViewMax < config.passiveViewSize) throw new RangeError('hyparview.passiveViewMax: must be >= passiveViewSize')
  if (config.passiveRandomWalkLength > config.activeRandomWalkLength) {
    throw new RangeError('hyparview.passiveRandomWalkLength: must be <= activeRandomWalkLength')
  }
  if (config.shuffleActiveCount + config.shufflePassiveCount + 1 > LIMITS.maxShuffleIds) {
    throw new RangeError(`hyparview.shuffleActiveCount + shufflePassiveCount + 1: must be <= LIMITS.maxShuffleIds (${LIMITS.maxShuffleIds})`)
  }
  return config
}
