/**
 * Coordinator layer presets (LAN / WAN / LOCAL). Every number states its reason: the Saorsa reference
 * (saorsa-gossip coordinator crate, see the reference inventory), the requirements, or a
 * back-of-envelope bound written next to it. `checkCoordinatorConfig` rejects settings that break an
 * invariant (for example a FOAF TTL above 3, which the wire format cannot carry).
 */

export interface AdvertPolicy {
  /** Longest accepted validity window (not_after - not_before). */
  readonly maxValidityMs: number
  /** Clock disagreement tolerated at both ends of the validity window. */
  readonly clockSkewMs: number
  /** At most one accepted advert per publisher per this interval (0 turns the limit off). */
  readonly minAdvertIntervalMs: number
}

export interface FoafConfig {
  /** Hops a query travels, counting the first one. The wire caps it at 3. */
  readonly ttl: number
  /** Neighbours a query is sent or forwarded to. */
  readonly fanout: number
  /** A query older than this (requester clock vs ours) is dropped, and its reverse path forgotten. */
  readonly queryLifetimeMs: number
  /** The requester stops waiting for replies after this. */
  readonly queryTimeoutMs: number
  /** Query ids remembered for deduplication and reverse routing. */
  readonly seenCapacity: number
  /** Queries accepted per requester per hour (token bucket, burst of the same size). */
  readonly queriesPerHourPerRequester: number
  /** Queries accepted from one neighbour per minute, its own and forwarded ones together. */
  readonly forwardsPerMinutePerPeer: number
  /** Requesters and neighbours whose buckets are remembered (least recently used forgotten). */
  readonly rateLimitCapacity: number
  /** Records (adverts) in one reply. */
  readonly maxRecordsPerReply: number
  /** Replies relayed per query: one per node the query can reach (3 + 9 + 27). */
  readonly maxRepliesPerQuery: number
}

export interface AddressBookConfig {
  /** Publish our peer record and keep an address book (sensible in small networks only). */
  readonly enabled: boolean
  /** The interval for a small book; a larger book stretches it to keep within `maxRecordsPerSecond`. */
  readonly publishIntervalMs: number
  /**
   * A peer not heard from for this long leaves the book; more than 1.5 x publishIntervalMs (the longest
   * wait). It stretches by the same factor as the interval.
   */
  readonly expiryMs: number
  readonly capacity: number
  /**
   * Records every node receives per second from all publishers together, at most. A book of n peers
   * republishes every max(publishIntervalMs, n / maxRecordsPerSecond): record traffic per node stays
   * bounded as the network grows, as RTCP bounds its reports (RFC 3550 section 6.2).
   */
  readonly maxRecordsPerSecond: number
}

export interface CoordinatorConfig {
  readonly advert: AdvertPolicy
  /** Adverts kept in the cache. */
  readonly cacheCapacity: number
  /** A coordinator re-signs and publishes its advert this often. */
  readonly publishIntervalMs: number
  /** Validity of the adverts we sign (not_after - not_before). */
  readonly advertValidityMs: number
  readonly foaf: FoafConfig
  readonly addressBook: AddressBookConfig
}

const HOUR = 3_600_000

const FOAF: FoafConfig = Object.freeze({
  ttl: 3, // reference: DEFAULT_FIND_COORDINATOR TTL 3; 3 + 9 + 27 = 39 nodes touched at most
  fanout: 3, // reference: DEFAULT_FIND_COORDINATOR_FANOUT 3 (declared there, unused); ours forwards
  queryLifetimeMs: 30_000, // reference: FIND_COORDINATOR queries expire after 30 s
  queryTimeoutMs: 5_000, // three hops of WAN round trips (< 500 ms each) plus a verify per hop, with margin
  seenCapacity: 10_000, // 10 queries/h/requester x 1,000 active requesters in any 30 s lifetime is far below
  queriesPerHourPerRequester: 10, // issue: about 10 per hour per requester (presence design: 10 FIND_USER per hour)
  forwardsPerMinutePerPeer: 20, // issue: 20 per minute per peer; a neighbour forwards at most 3 per query it sees
  rateLimitCapacity: 4_096, // bounds limiter memory; a forgotten requester restarts with a full budget
  maxRecordsPerReply: 8, // 8 x 6 KiB adverts = 48 KiB, inside one 64 KiB frame
  maxRepliesPerQuery: 39, // one reply per node a TTL-3, fanout-3 query can reach
})

export const COORDINATOR_LAN: CoordinatorConfig = Object.freeze({
  advert: Object.freeze({
    maxValidityMs: 24 * HOUR, // design: adverts valid for about 24 h
    clockSkewMs: 30_000, // same tolerance as pubsub's future skew: laptops without NTP
    minAdvertIntervalMs: 5_000, // bounds verify work per publisher; the reference demo publishes every 10 s
  }),
  cacheCapacity: 1_000, // design: 1,000 (reference default 100); 1,000 x 6 KiB = 6 MiB on disk at most
  publishIntervalMs: 300_000, // reference: --publish-interval default 300 s
  advertValidityMs: HOUR, // reference: 1 h; a coordinator that stops is forgotten within the hour
  foaf: FOAF,
  addressBook: Object.freeze({
    enabled: true, // a LAN overlay is small, and the record budget below bounds what a larger one costs
    publishIntervalMs: 60_000, // a changed address reaches every book within a minute or so while the book is small
    expiryMs: 240_000, // a lost publication never evicts a live peer: two intervals take at most 180 s (jitter +-50 %)
    capacity: 1_024, // far above a LAN; the bound holds if a WAN node enables it
    // A record with its origin signature is about 3.5 KB a copy: 0.5 a second is about 1.75 KB/s per
    // node. Up to 30 peers keep the 60 s interval; 100 peers republish every 200 s (at 60 s they
    // would cost 5.8 KB/s per node, most of an idle node's traffic).
    maxRecordsPerSecond: 0.5,
  }),
})

export const COORDINATOR_WAN: CoordinatorConfig = Object.freeze({
  ...COORDINATOR_LAN,
  advert: Object.freeze({ ...COORDINATOR_LAN.advert, clockSkewMs: 60_000, minAdvertIntervalMs: 30_000 }), // WAN clocks drift more; publishers use minutes
  foaf: Object.freeze({ ...FOAF, queryTimeoutMs: 10_000 }), // intercontinental hops and loaded coordinators
  addressBook: Object.freeze({
    ...COORDINATOR_LAN.addressBook,
    enabled: false, // a book of at most 1,024 peers cannot list a 10,000-node overlay, which would republish every 5.5 h within the budget: adverts and FOAF scale instead
    publishIntervalMs: 300_000,
    expiryMs: 900_000,
  }),
})

export const COORDINATOR_LOCAL: CoordinatorConfig = Object.freeze({
  ...COORDINATOR_LAN,
  advert: Object.freeze({ ...COORDINATOR_LAN.advert, minAdvertIntervalMs: 0 }), // tests publish back to back
  publishIntervalMs: 10_000, // one host: fast convergence for demos and tests
  foaf: Object.freeze({ ...FOAF, queryTimeoutMs: 2_000 }), // loopback round trips are sub-millisecond
  // Four intervals, as on a LAN: two republications take at most 6 s with the +-50 % jitter. Up to 50
  // peers on one host keep the 2 s interval (25 records a second, about 88 KB/s per node).
  addressBook: Object.freeze({ ...COORDINATOR_LAN.addressBook, publishIntervalMs: 2_000, expiryMs: 8_000, maxRecordsPerSecond: 25 }),
})

/** Throws a RangeError naming the first field out of range. */
export function checkCoordinatorConfig(config: CoordinatorConfig): CoordinatorConfig {
  const positive = (name: string, value: number): void => {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name}: must be > 0, got ${value}`)
  }
  const a = config.advert
  positive('advert.maxValidityMs', a.maxValidityMs)
  if (a.maxValidityMs > 24 * HOUR) throw new RangeError('advert.maxValidityMs: at most 24 h')
  if (!(a.clockSkewMs >= 0)) throw new RangeError('advert.clockSkewMs: must be >= 0')
  if (!(a.minAdvertIntervalMs >= 0)) throw new RangeError('advert.minAdvertIntervalMs: must be >= 0')
  positive('cacheCapacity', config.cacheCapacity)
  positive('publishIntervalMs', config.publishIntervalMs)
  positive('advertValidityMs', config.advertValidityMs)
  if (config.advertValidityMs > a.maxValidityMs) throw new RangeError('advertValidityMs: exceeds advert.maxValidityMs')
  if (config.advertValidityMs <= config.publishIntervalMs) throw new RangeError('advertValidityMs: must exceed publishIntervalMs or adverts lapse between publications')
  const f = config.foaf
  if (!Number.isInteger(f.ttl) || f.ttl < 1 || f.ttl > 3) throw new RangeError(`foaf.ttl: must be 1..3, got ${f.ttl}`)
  if (!Number.isInteger(f.fanout) || f.fanout < 1 || f.fanout > 8) throw new RangeError(`foaf.fanout: must be 1..8, got ${f.fanout}`)
  for (const key of ['queryLifetimeMs', 'queryTimeoutMs', 'seenCapacity', 'queriesPerHourPerRequester', 'forwardsPerMinutePerPeer',
    'rateLimitCapacity', 'maxRecordsPerReply', 'maxRepliesPerQuery'] as const) positive(`foaf.${key}`, f[key])
  if (f.maxRecordsPerReply > 8) throw new RangeError('foaf.maxRecordsPerReply: the wire carries at most 8')
  const b = config.addressBook
  positive('addressBook.publishIntervalMs', b.publishIntervalMs)
  positive('addressBook.capacity', b.capacity)
  positive('addressBook.maxRecordsPerSecond', b.maxRecordsPerSecond)
  // Republication waits 0.5-1.5 intervals: an expiry within the longest wait evicts live peers.
  if (b.expiryMs <= 1.5 * b.publishIntervalMs) throw new RangeError('addressBook.expiryMs: must exceed 1.5 x publishIntervalMs')
  return config
}
