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
  serve: false,
})
