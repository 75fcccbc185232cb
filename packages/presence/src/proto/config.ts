/**
 * Presence timers and caps (SPEC.md section 13.5). Every number states its reason; the presets in
 * `../config.ts` change only the timers that follow how fast a deployment wants to notice changes.
 */

export interface PresenceConfig {
  /** Length of a time slice: tags, beacon keys and beacon topics rotate at every boundary. */
  readonly sliceMs: number
  /** Mean time between two beacons of an announcing member. */
  readonly beaconIntervalMs: number
  /** Each interval is drawn uniformly from interval * (1 +- jitter), so members do not beat in step. */
  readonly beaconJitter: number
  /** A beacon is valid this long after it was sent; without a newer one the member expires. */
  readonly beaconTtlMs: number
  /** Join the next slice's topic this long before the boundary, so its broadcast tree exists in time. */
  readonly topicLeadMs: number
  /** Stay on the previous slice's topic this long after the boundary (clock skew between members). */
  readonly topicGraceMs: number
  /** Largest clock difference tolerated on `since` and `expires`. */
  readonly maxClockSkewMs: number
  /** How often expiries are checked: the delay between a beacon's expiry and the 'offline' event. */
  readonly sweepIntervalMs: number
  /** How long an old epoch's secret still opens beacons after a rekey (members update at different times). */
  readonly epochGraceMs: number
  /** FIND_USER queries answered per requester per hour (token bucket of this capacity). */
  readonly findUserPerHour: number
  /** Requesters whose buckets are remembered; the least recently seen is forgotten first. */
  readonly maxFindRequesters: number
}

export const DEFAULT_PRESENCE_CONFIG: PresenceConfig = Object.freeze({
  // Hourly, as the reference's tag rotation (now/3600): an observer who learns one slice's tags
  // links at most an hour of beacons, while members derive only 24 topics a day.
  sliceMs: 3_600_000,
  // Five minutes, the low end of the design's 5-10 min: a member who vanishes without a clean stop
  // is noticed within about three intervals, at one small message per member per five minutes.
  beaconIntervalMs: 300_000,
  beaconJitter: 0.1,
  // Three intervals (the reference's TTL = 3 x interval): one lost or late beacon never marks a
  // member offline, and the longest gap (1.1 x 2 intervals = 11 min) stays below it.
  beaconTtlMs: 900_000,
  // A minute is dozens of broadcast-tree formation times (tree formation takes seconds).
  topicLeadMs: 60_000,
  // Two minutes: beacons from a member whose clock runs up to two minutes behind still land.
  topicGraceMs: 120_000,
  maxClockSkewMs: 120_000,
  // Ten seconds against a 15-minute TTL: expiry is reported at most 1 % late.
  sweepIntervalMs: 10_000,
  // One TTL: every beacon sealed under the old epoch has expired by then.
  epochGraceMs: 900_000,
  // About ten an hour, the design's FIND_USER budget per requester.
  findUserPerHour: 10,
  maxFindRequesters: 4_096,
})

/** Checks a configuration: every timer positive and ordered so the protocol can hold its promises. */
export function checkPresenceConfig(config: PresenceConfig): PresenceConfig {
  const positive: Array<keyof PresenceConfig> = ['sliceMs', 'beaconIntervalMs', 'beaconTtlMs', 'sweepIntervalMs', 'findUserPerHour', 'maxFindRequesters']
  for (const key of positive) {
    const value = config[key]
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`config.${key}: expected a positive number, got ${value}`)
  }
  if (!(config.beaconJitter >= 0 && config.beaconJitter < 0.5)) throw new RangeError(`config.beaconJitter: expected [0, 0.5), got ${config.beaconJitter}`)
  if (config.beaconTtlMs <= config.beaconIntervalMs * (1 + config.beaconJitter)) {
    throw new RangeError('config.beaconTtlMs: must exceed the longest beacon interval, or members expire between beacons')
  }
  for (const key of ['topicLeadMs', 'topicGraceMs', 'maxClockSkewMs', 'epochGraceMs'] as const) {
    if (!(config[key] >= 0 && config[key] * 2 < config.sliceMs)) throw new RangeError(`config.${key}: expected [0, sliceMs / 2)`)
  }
  return config
}
