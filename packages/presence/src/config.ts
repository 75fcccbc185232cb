/**
 * Presence presets (memberlist's LAN/WAN/Local style). The protocol's timers and caps are in
 * `proto/config.ts`, each with its reason; presets change only how quickly a deployment notices a
 * member vanish, traded against one beacon per member per interval.
 */
import { DEFAULT_PRESENCE_CONFIG, type PresenceConfig } from './proto/config.ts'

/** Internet and LAN deployments: five-minute beacons, fifteen-minute TTL, hourly slices. */
export const PRESENCE_DEFAULT: PresenceConfig = DEFAULT_PRESENCE_CONFIG

/** Loopback demos and multi-process tests: changes show within seconds; costs a beacon every 5 s. */
export const PRESENCE_LOCAL: PresenceConfig = Object.freeze({
  ...DEFAULT_PRESENCE_CONFIG,
  // Slices still rotate, but every ten minutes, so a demo sees a rotation without waiting an hour.
  sliceMs: 600_000,
  beaconIntervalMs: 5_000,
  // Three intervals, as in the default preset: one lost beacon never expires a member.
  beaconTtlMs: 15_000,
  topicLeadMs: 10_000,
  topicGraceMs: 10_000,
  maxClockSkewMs: 10_000,
  // One second against a 15 s TTL: expiry reported within 7 %.
  sweepIntervalMs: 1_000,
  epochGraceMs: 15_000,
})

/**
 * FIND_USER routing: a coordinator FOAF query with a user target. Each hop forwards to the
 * coordinator's fanout (3, the reference's FIND fanout), which is the coordinator preset's to set.
 */
export interface FindUserConfig {
  /** Hops: 3 reaches friends of friends of friends and touches at most 3 + 9 + 27 = 39 nodes. */
  readonly ttl: number
  /** How long replies are collected: 3 hops there and back at WAN round trips, with margin. */
  readonly timeoutMs: number
}

export const FIND_USER_DEFAULT: FindUserConfig = Object.freeze({ ttl: 3, timeoutMs: 10_000 })
