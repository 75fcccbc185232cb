/**
 * PubSub core configuration. Every default names its source: the Plumtree paper (SRDS 2007),
 * iroh-gossip's `proto/plumtree.rs` defaults, GossipSub v1.1, or "tuned in simulation" (the
 * scenarios in packages/simulator/test/pubsub*.sim.test.ts). `checkConfig` rejects settings that
 * would break an invariant (for example a seen-cache shorter than the accepted message age).
 */
import { LIMITS } from '@saorsa-gossip/types'
import { checkScoreParams, DEFAULT_SCORE_PARAMS, type ScoreParams } from './score.ts'

export interface PubSubConfig {
  /**
   * Wait for an eager copy after the first IHAVE before grafting its announcer, at least. iroh-gossip:
   * 80 ms. The wait grows to how late eager copies have been running behind their IHAVEs (SRTT +
   * 4 RTTVAR of that lateness, `repair.ts`), up to `maxEagerWaitMs`: on a congested path the eager
   * copy is queued, not lost, and grafting its announcer only adds a copy and a PRUNE.
   */
  readonly graftTimeout1Ms: number
  /**
   * Longest the measured lateness of eager copies stretches the first graft wait. 1 s: above the
   * p99 of a 20- or 50-node overlay saturating one core (about 600 ms measured, docs/benchmarks.md),
   * so its queues are waited out; a path slower than that is slow, not queued, and the graft routes
   * around it. It also bounds what an eager peer that holds messages back can add to a delivery.
   */
  readonly maxEagerWaitMs: number
  /**
   * Wait after each graft before trying the next announcer, at least. iroh-gossip: 40 ms; the wait
   * grows to the measured graft round trip (SRTT + 4 RTTVAR, `promises.ts`) where links are slower.
   */
  readonly graftTimeout2Ms: number
  /**
   * A grafted peer that sends no copy of the message within this long broke its promise (scored).
   * GossipSub v1.1's IWANT follow-up time: 3 s.
   */
  readonly promiseTimeoutMs: number
  /** IHAVE ids are batched for this long per lazy peer. iroh-gossip dispatch timeout: 5 ms. */
  readonly ihaveFlushMs: number
  /** Graft a lazy path this many hops shorter than the eager one. Plumtree p.12 / iroh-gossip: 7. */
  readonly optimizationThreshold: number
  /**
   * A new topic link starts eager only while the topic has fewer eager peers than this; later links
   * start lazy and are grafted by the IHAVE rule when they turn out to be needed. Plumtree (SRDS 2007,
   * section 3.2) seeds eagerPushPeers with f random peers, f being the gossip fanout. Tuned in
   * simulation: 4 brings 100-node single-sender RMR from 0.17 to about 0.08 with no missed delivery.
   */
  readonly initialEagerPeers: number
  /**
   * Payloads stay fetchable (IWANT, GRAFT, anti-entropy) this long. iroh-gossip keeps 30 s; we keep
   * 120 s so a partition of a minute heals from caches (GossipSub seen TTL is also 2 min).
   */
  readonly messageCacheMs: number
  /** Payloads cached per topic. saorsa-gossip reference: 10,000 per topic. */
  readonly messageCacheSize: number
  /** Message ids remembered for deduplication; must exceed maxMessageAgeMs + maxFutureSkewMs. */
  readonly seenMs: number
  readonly seenSize: number
  /** Messages older than this (origin timestamp vs our wall clock) are rejected: bounds replay. */
  readonly maxMessageAgeMs: number
  /** Messages stamped further ahead than this are rejected. Tuned: tolerates NTP-less laptops. */
  readonly maxFutureSkewMs: number
  /**
   * Anti-replay window per origin (RFC 4303 style, `replay-window.ts`): sequence numbers this far
   * below an origin's highest verified one are replays, and so is any number in the window already
   * seen. Korium: 128; ours is wider for bursts over many paths: 4,096 is 80 s of an origin
   * publishing 50 msg/s. A multiple of 32; 512 bytes per origin, 5 MiB for keyCacheSize origins.
   */
  readonly seqWindow: number
  /** Per-peer published-message rate limit (token bucket), checked before any hash or signature work. */
  readonly publishRatePerSecond: number
  readonly publishBurst: number
  /** Per-peer control-message rate limit (IHAVE, IWANT, GRAFT, sketches...). */
  readonly controlRatePerSecond: number
  readonly controlBurst: number
  /** Anti-entropy period: 30 s, the design's round (memberlist push-pull is also 30 s). */
  readonly antiEntropyIntervalMs: number
  /** IBLT cells per sketch (multiple of 3). 96 cells (3.8 KiB) decode 20 differences 99 % and 40 differences 90 % of the time (iblt.test.ts); larger gaps fall back to a plain id list. */
  readonly sketchCells: number
  /** Ids per anti-entropy HAVE list; bounded by the IHAVE cap. */
  readonly maxHaveIds: number
  /**
   * How a remote origin's 1,952-byte key reaches a receiver: 'per-link' attaches it to the first of
   * that origin's messages sent over each link (no round trip, one key per link and origin);
   * 'on-request' never attaches it and the receiver asks the forwarder once (KEY_REQUEST), so each
   * node fetches each key once, at one round trip on the first message of each new origin.
   * Default 'per-link': the round trip would land on the latency of every new origin's first message.
   */
  readonly originKeys: 'per-link' | 'on-request'
  /** Public keys of remote origins kept. 10,000 x 1,952 B = about 19 MiB at most. */
  readonly keyCacheSize: number
  /** Messages parked while their origin's key is fetched, in total and per origin. */
  readonly maxPendingMessages: number
  readonly maxPendingPerOrigin: number
  readonly keyRequestTimeoutMs: number
  /** Announcers remembered per missing id (each is one graft attempt). */
  readonly maxAnnouncersPerId: number
  /** Missing ids tracked at once. */
  readonly maxMissing: number
  /** Topics this node may join. */
  readonly maxTopics: number
  /**
   * Verified messages held at once for a topic validator's verdict; beyond it a message is ignored
   * (counted 'validation-overloaded'). Bounds the memory a stalled async validator can pin:
   * 256 x 64 KiB payloads = 16 MiB at most.
   */
  readonly maxPendingValidations: number
  /**
   * A held message is ignored (counted 'validation-timeout') when its validator gives no verdict in
   * this time, unless `addValidator` sets another. As long as a key fetch (keyRequestTimeoutMs):
   * room for a validator's own round trip, short enough that repair from another neighbour still works.
   */
  readonly validationTimeoutMs: number
  /**
   * Origin signatures out for checking at once when the core checks them off the event loop
   * ('verify' events, `verification.ts`; `PubSubCoreInit.verifyOffLoop`, which the driver sets when
   * it has a verifier). 4,096: half a second of one worker's checks (about 7,000 a second), beyond
   * which the next check runs inline, so a flood slows the event loop instead of pinning memory
   * (4,096 held 64 KiB payloads are 256 MiB at worst, 1 KiB ones about 20 MiB). 0 checks inline.
   */
  readonly maxPendingVerifications: number
  /**
   * Local health (Lifeguard, DSN 2018, applied to graft timers; `local-health.ts`): while the driver
   * reports that its event loop runs L ms late, graft timers wait `lagMultiplier` x L longer. The
   * eager copy we wait for sits in our own queue behind about L ms of work, and in every overloaded
   * forwarder's queue on its path too; 2 covers our queue and one more lagging hop.
   */
  readonly lagMultiplier: number
  /** Longest a widened graft timer waits. 4 s: well inside the 120 s cache, far above any queue a node recovers from. */
  readonly maxRepairDelayMs: number
  /**
   * Above this lag the node treats itself as overloaded: graft timers widen, and a graft answer or
   * a neighbour's burst it processes late is its own lateness, not the peer's, so broken promises
   * and rate-limit drops cost the peer no score. 80 ms: the LAN graft timeout; a loop that late
   * delays everything it reads, while a shorter lag is the jitter of a shared machine.
   */
  readonly lagToleranceMs: number
  /**
   * Graft requests for missing messages per second (token bucket), so repair traffic stays bounded
   * whatever the timers do; past it, grafts wait for a token (anti-entropy still fetches). 50/s
   * repairs half of a neighbour's full publish rate (100/s): more than random loss ever needs.
   */
  readonly repairRatePerSecond: number
  readonly repairBurst: number
  readonly score: ScoreParams
}

export const DEFAULT_CONFIG: PubSubConfig = Object.freeze({
  graftTimeout1Ms: 80,
  maxEagerWaitMs: 1_000,
  graftTimeout2Ms: 40,
  promiseTimeoutMs: 3_000,
  ihaveFlushMs: 5,
  optimizationThreshold: 7,
  initialEagerPeers: 4,
  messageCacheMs: 120_000,
  messageCacheSize: 10_000,
  seenMs: 240_000,
  seenSize: 200_000,
  maxMessageAgeMs: 180_000,
  maxFutureSkewMs: 30_000,
  seqWindow: 4_096,
  // 100/s per peer is a third of the 300-400 verifies/s one core sustains (probe-crypto section 7).
  publishRatePerSecond: 100,
  publishBurst: 200,
  controlRatePerSecond: 1_000,
  controlBurst: 2_000,
  antiEntropyIntervalMs: 30_000,
  sketchCells: 96,
  maxHaveIds: LIMITS.maxIhaveIds,
  originKeys: 'per-link',
  keyCacheSize: 10_000,
  maxPendingMessages: 1_024,
  maxPendingPerOrigin: 16,
  keyRequestTimeoutMs: 2_000,
  maxAnnouncersPerId: 8,
  maxMissing: 10_000,
  maxTopics: 256,
  maxPendingValidations: 256,
  validationTimeoutMs: 2_000,
  maxPendingVerifications: 4_096,
  lagMultiplier: 2,
  maxRepairDelayMs: 4_000,
  lagToleranceMs: 80,
  repairRatePerSecond: 50,
  repairBurst: 100,
  score: DEFAULT_SCORE_PARAMS,
})

export function resolveConfig(overrides: Partial<PubSubConfig> = {}): PubSubConfig {
  const config = { ...DEFAULT_CONFIG, ...overrides }
  checkConfig(config)
  return config
}

export function checkConfig(c: PubSubConfig): void {
  const positive: (keyof PubSubConfig)[] = [
    'graftTimeout1Ms', 'maxEagerWaitMs', 'graftTimeout2Ms', 'promiseTimeoutMs', 'ihaveFlushMs', 'messageCacheMs', 'messageCacheSize', 'seenMs', 'seenSize',
    'maxMessageAgeMs', 'publishRatePerSecond', 'publishBurst', 'controlRatePerSecond', 'controlBurst',
    'antiEntropyIntervalMs', 'keyCacheSize', 'maxPendingMessages', 'maxPendingPerOrigin', 'keyRequestTimeoutMs',
    'maxAnnouncersPerId', 'maxMissing', 'maxTopics', 'maxPendingValidations', 'validationTimeoutMs', 'seqWindow', 'optimizationThreshold', 'maxHaveIds', 'initialEagerPeers',
    'lagMultiplier', 'maxRepairDelayMs', 'lagToleranceMs', 'repairRatePerSecond', 'repairBurst',
  ]
  for (const key of positive) {
    const v = c[key]
    if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`PubSubConfig.${key} must be a positive number`)
  }
  if (c.seenMs < c.maxMessageAgeMs + c.maxFutureSkewMs) {
    // Otherwise a message could outlive its dedupe entry and be delivered twice.
    throw new RangeError('PubSubConfig.seenMs must be at least maxMessageAgeMs + maxFutureSkewMs')
  }
  if (!Number.isSafeInteger(c.maxPendingVerifications) || c.maxPendingVerifications < 0) {
    throw new RangeError('PubSubConfig.maxPendingVerifications must be a non-negative integer')
  }
  if (c.originKeys !== 'per-link' && c.originKeys !== 'on-request') throw new RangeError("PubSubConfig.originKeys must be 'per-link' or 'on-request'")
  if (c.maxEagerWaitMs < c.graftTimeout1Ms) throw new RangeError('PubSubConfig.maxEagerWaitMs must be at least graftTimeout1Ms')
  if (c.seqWindow % 32 !== 0) throw new RangeError('PubSubConfig.seqWindow must be a multiple of 32')
  if (c.sketchCells % 3 !== 0 || c.sketchCells > 1_536) throw new RangeError('PubSubConfig.sketchCells must be a multiple of 3, at most 1536')
  if (c.maxHaveIds > LIMITS.maxIhaveIds) throw new RangeError(`PubSubConfig.maxHaveIds must be at most ${LIMITS.maxIhaveIds}`)
  checkScoreParams(c.score)
}
