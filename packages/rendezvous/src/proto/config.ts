/**
 * Numbers of the rendezvous core, each with its reason (memberlist-style presets live in
 * `../config.ts`). Times are milliseconds.
 */
export interface RendezvousConfig {
  /** Summary validity when the caller gives none: the reference's 1 h. */
  readonly defaultLifetimeMs: number
  /** Longest validity accepted: 72 h, so a withdrawn or replaced summary stops mattering within 3 days. */
  readonly maxLifetimeMs: number
  /** Issue times this far ahead are accepted: 5 min of clock skew between honest hosts. */
  readonly maxClockSkewMs: number
  /** Republish at this fraction of the lifetime: 0.8 leaves 12 min of a 1 h summary for the republish to spread. */
  readonly republishFraction: number
  /** Servers per shard (rendezvous hashing over `rendezvous`-role peers): 3 survive two failures. */
  readonly replicas: number
  /** A query page without a reply is given up after this: 4x a WAN round trip plus verification time. */
  readonly queryTimeoutMs: number
  /** A seeker stays on a shard topic this long after its last seek ends, so repeated seeks reuse the tree. */
  readonly leaveGraceMs: number
  /** Results one seek yields at most: a seeker dials few providers; 1,000 bounds its memory and replies. */
  readonly maxResultsPerSeek: number
  /** Summaries (and replay floors) one node keeps: 4,096 x ~7.7 KB is ~32 MB. */
  readonly maxStoredSummaries: number
  /** Summaries one provider may have stored (and targets it may provide): the 1,000 of the design. */
  readonly maxPerProvider: number
  /** A provider's token bucket: republishing 1,000 targets every 48 min needs 0.35/s; 1/s and a burst of 100 leave headroom. */
  readonly rateBurst: number
  readonly ratePerSecond: number
  /** Expired entries and passed replay floors are removed this often. */
  readonly pruneIntervalMs: number
  /**
   * Query pages one requester may ask at once and per second: a seek that fills its 1,000 results
   * asks 125 pages of 8, so 128 let it finish at once; 2/s after that is a fresh seek every 0.5 s,
   * more than an application makes of one server. Excess is refused with a retry time.
   */
  readonly queryBurst: number
  readonly queryPerSecond: number
  /**
   * Query pages this node answers for everyone together: a page costs no signature check but up to
   * ~62 KB of replies, so 200/s bounds that traffic at ~12 MB/s; a burst of 1,000 absorbs a crowd
   * arriving together (eight full 128-page seeks).
   */
  readonly globalQueryBurst: number
  readonly globalQueryPerSecond: number
  /**
   * Registrations one sender may make, counted before the ML-DSA-65 check they cost: the store's
   * per-provider bucket (100, 1/s), since only a provider may register its own summary, so an
   * honest provider never meets this limit sooner than the store's. Excess is dropped and counted.
   */
  readonly registerBurst: number
  readonly registerPerSecond: number
  /**
   * Registrations checked per second from everyone together: 100 verifications at ~2 ms (pure JS)
   * are a fifth of one core, while 4,096 summaries republished every 48 min arrive at ~1.4/s.
   */
  readonly globalRegisterBurst: number
  readonly globalRegisterPerSecond: number
  /** Requesters with a bucket at once: the store's 4,096; a requester evicted early only starts full again, which the global caps bound. */
  readonly maxRequesters: number
  /**
   * Queries a requester may send while told to wait (a `refused` reply) before it costs its score
   * with the transport (`reportInvalid`): 128 is twice the 64 requests one connection may have in
   * flight, all of which an honest seeker could have sent before the refusal reached it.
   */
  readonly abusiveRequests: number
  /** A server's retry time is obeyed up to this: honest servers ask for milliseconds, a broken one must not mute itself for long. */
  readonly maxRetryAfterMs: number
  /** Refusals a seek waits out before it gives a server up: 8 waits of 0.5 s (an honest server's) end within 4 s. */
  readonly queryRetries: number
  /** Whether this node holds the `rendezvous` role: it keeps summaries registered with it. */
  readonly serve: boolean
}

export const DEFAULT_RENDEZVOUS_CONFIG: RendezvousConfig = Object.freeze({
  defaultLifetimeMs: 3_600_000,
  maxLifetimeMs: 72 * 3_600_000,
  maxClockSkewMs: 300_000,
  republishFraction: 0.8,
  replicas: 3,
  queryTimeoutMs: 2_000,
  leaveGraceMs: 60_000,
  maxResultsPerSeek: 1_000,
  maxStoredSummaries: 4_096,
  maxPerProvider: 1_000,
  rateBurst: 100,
  ratePerSecond: 1,
  pruneIntervalMs: 60_000,
  queryBurst: 128,
  queryPerSecond: 2,
  globalQueryBurst: 1_000,
  globalQueryPerSecond: 200,
  registerBurst: 100,
  registerPerSecond: 1,
  globalRegisterBurst: 500,
  globalRegisterPerSecond: 100,
  maxRequesters: 4_096,
  abusiveRequests: 128,
  maxRetryAfterMs: 60_000,
  queryRetries: 8,
  serve: false,
})
