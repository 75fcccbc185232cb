/**
 * Inputs, outputs and events of the presence core (SPEC.md section 13.5). Beacons reach the core as
 * commands from pubsub's topic validator, so the verdict (accept, reject, ignore) comes from the
 * same state that rejects replays; publishing and joining topics are events the driver carries out.
 */
import type { CoreInput, CoreOutput, PeerId, TopicId } from '@saorsa-gossip/types'
import type { PresenceStatus } from './messages.ts'

export type Verdict = 'accept' | 'reject' | 'ignore'

export type PresenceCommand =
  /** The driver's wall clock (Unix ms); slices, `since` and `expires` are read against it. */
  | { readonly type: 'wall-clock'; readonly wallMs: number }
  /**
   * Adds a group or installs a new epoch: the exporter secret for presence and the member list.
   * An older epoch's secret keeps opening beacons for `epochGraceMs`.
   */
  /**
   * `members` is the group's roster; undefined for a group without one (a shared secret), where every
   * holder of the secret is a member, at most MAX_OPEN_GROUP_MEMBERS of them tracked.
   */
  | { readonly type: 'set-group'; readonly group: string; readonly epoch: number; readonly secret: Uint8Array; readonly members: readonly PeerId[] | undefined }
  | { readonly type: 'remove-group'; readonly group: string }
  /** Starts (or updates) announcing in `group`: a beacon now, then one per interval. */
  | { readonly type: 'announce'; readonly group: string; readonly status: Exclude<PresenceStatus, 'offline'> }
  /** Clean stop: one 'offline' beacon, then silence (the group is still watched). */
  | { readonly type: 'withdraw'; readonly group: string }
  /** The addresses put into beacons from now on. */
  | { readonly type: 'set-addrs'; readonly addrs: readonly string[] }
  /** A verified pubsub message on a beacon topic; answered with a 'verdict' event carrying `requestId`. */
  | { readonly type: 'beacon'; readonly requestId: number; readonly topic: TopicId; readonly origin: PeerId; readonly payload: Uint8Array }
  /** A FIND_USER query for `target` (decoded by the driver); answered with a 'find-answer' event. */
  | { readonly type: 'find-query'; readonly requestId: number; readonly requester: PeerId; readonly target: PeerId }

export type PresenceTimer =
  | { readonly type: 'beacon'; readonly group: string; readonly gen: number }
  | { readonly type: 'rotate'; readonly group: string; readonly gen: number }
  | { readonly type: 'sweep' }

export type OfflineReason = 'left' | 'expired' | 'removed'

export type PresenceEvent =
  | { readonly type: 'join-topic'; readonly group: string; readonly topic: TopicId }
  | { readonly type: 'leave-topic'; readonly group: string; readonly topic: TopicId }
  | { readonly type: 'publish'; readonly group: string; readonly topic: TopicId; readonly payload: Uint8Array }
  | { readonly type: 'verdict'; readonly requestId: number; readonly result: Verdict }
  | { readonly type: 'member-online'; readonly group: string; readonly member: PeerId; readonly status: PresenceStatus; readonly addrs: readonly string[] }
  | { readonly type: 'member-status'; readonly group: string; readonly member: PeerId; readonly status: PresenceStatus; readonly previous: PresenceStatus }
  | { readonly type: 'member-offline'; readonly group: string; readonly member: PeerId; readonly reason: OfflineReason }
  /** What this node knows of the target, or `answer: undefined` (unknown, offline or rate limited). */
  | { readonly type: 'find-answer'; readonly requestId: number; readonly answer: FoundUser | undefined; readonly refused?: 'rate-limited' }

export interface FoundUser {
  readonly target: PeerId
  readonly status: PresenceStatus
  readonly addrs: readonly string[]
  readonly seenAt: number
}

/** A member as `online(group)` reports it. */
export interface OnlineMember {
  readonly peer: PeerId
  readonly status: PresenceStatus
  readonly addrs: readonly string[]
  /** Unix ms of the last accepted beacon. */
  readonly lastSeen: number
  readonly since: number
  readonly expires: number
}

/** Why a beacon was refused; each reason has a counter (`PresenceCore.drops`). */
export type PresenceDropReason =
  | 'unknown-topic' | 'malformed' | 'undecryptable' | 'origin-mismatch' | 'not-member' | 'tag-mismatch'
  | 'self' | 'stale' | 'future' | 'replay' | 'group-full'

export type PresenceInput = CoreInput<never, PresenceTimer, PresenceCommand>
export type PresenceOutput = CoreOutput<never, PresenceTimer, PresenceEvent>
