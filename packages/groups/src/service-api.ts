/**
 * The public surface of the groups service (service.ts): the protocols it speaks (SPEC.md 10.5), the
 * two structural interfaces it needs from pubsub and the transport (adapters in pubsub-adapter.ts and
 * transport-adapter.ts), its options, events and the `Groups` interface `createGroups` returns.
 */
import type { Identity } from '@saorsa-gossip/identity'
import type { MessageId, PeerId, TopicId } from '@saorsa-gossip/types'
import type { GroupMember } from './group.ts'
import type { CommitLogConfig } from './proto/config.ts'
import type { SuiteChoice } from './suite.ts'

/** Request/response: key packages and catch-up commits (answers at most MAX_DIRECT_ANSWER_BYTES). */
export const GROUPS_PROTOCOL = '/saorsa-gossip/groups/1'
/** Bulk: a Welcome and the ratchet tree beside it. */
export const WELCOME_PROTOCOL = '/saorsa-gossip/groups/welcome/1'
/** Bulk: a catch-up answer too large for a direct answer (commits of bulk adds). */
export const COMMITS_PROTOCOL = '/saorsa-gossip/groups/commits/1'
/** A direct answer must fit one pubsub-class frame (LIMITS.maxPubsubFrameBytes, 80 KiB) with room for framing. */
export const MAX_DIRECT_ANSWER_BYTES = 72 * 1024

/** How pubsub carried a group-topic message, for applications that show it as the pubsub message it is. */
export interface GroupDelivery {
  readonly messageId: MessageId
  /** The neighbour it arrived from (the origin itself on a first hop). */
  readonly from: PeerId
  readonly hops: number
  readonly seq: number
  /** The origin's wall clock at publish, ms since the epoch. */
  readonly timestampMs: number
}

/** What pubsub did with a published group-topic message. */
export interface GroupPublished {
  readonly messageId: MessageId
  /** Topic neighbours the message (or its IHAVE) went to. */
  readonly sentTo: number
}

/** What the service needs from pubsub: group topics, with a validator run before delivery and forwarding. */
export interface GroupsPubSub {
  join(topic: TopicId, validate: (origin: PeerId, payload: Uint8Array) => 'accept' | 'reject' | 'ignore'): void
  leave(topic: TopicId): void
  /** Resolves with the message id and reach where the pubsub reports them. */
  publish(topic: TopicId, payload: Uint8Array, options?: { signal?: AbortSignal }): Promise<GroupPublished | void>
  /** Delivered (validated) payloads of joined topics, with how they travelled where the pubsub reports it. */
  onMessage(handler: (topic: TopicId, origin: PeerId, payload: Uint8Array, delivery?: GroupDelivery) => void): void
}

/** What the service needs from the transport: request/response and whole bulk transfers, by peer. */
export interface GroupsTransport {
  /** Answers requests of `protocol`; a handler's answer travels back on the same exchange. */
  handleRequests(protocol: string, handler: (peer: PeerId, request: Uint8Array) => Promise<Uint8Array>): void
  request(peer: PeerId, protocol: string, request: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  /** Receives whole bulk transfers of `protocol`, at most `maxBytes` each. */
  handleBulk(protocol: string, maxBytes: number, handler: (peer: PeerId, data: Uint8Array) => Promise<void>): void
  sendBulk(peer: PeerId, protocol: string, data: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>
}

export interface GroupsInit {
  /** Directory of the state files (one per group, plus waiting key packages). */
  readonly directory: string
  /** `'saorsa'` (default) or a standard ts-mls suite name; the suite of groups this node creates. */
  readonly suite?: SuiteChoice
  readonly commitLog?: CommitLogConfig
}

export interface GroupsComponents {
  readonly identity: Identity
  readonly pubsub: GroupsPubSub
  readonly transport: GroupsTransport
  /** Wall clock for key package lifetimes and epoch ages (default `Date.now`). */
  readonly now?: () => number
}

export interface GroupsEvents {
  'group:joined': CustomEvent<{ groupId: Uint8Array }>
  'group:epoch': CustomEvent<{ groupId: Uint8Array; epoch: number; added: readonly PeerId[]; removed: readonly PeerId[] }>
  'group:removed': CustomEvent<{ groupId: Uint8Array }>
  /** `from` is the verified pubsub origin; `epoch` the epoch the message was sealed in. */
  'group:message': CustomEvent<{ groupId: Uint8Array; from: PeerId; data: Uint8Array; epoch: number; delivery?: GroupDelivery }>
}

export interface AbortOptions { signal?: AbortSignal }

export interface InviteOptions extends AbortOptions {
  /** The invitee's key package, obtained out of band (`keyPackage()` on its node); default: request it from the peer. */
  keyPackage?: Uint8Array
}

/** A group message handed to pubsub: the epoch it was sealed in, and the pubsub id and reach where known. */
export interface GroupSent {
  readonly epoch: number
  readonly messageId?: MessageId
  readonly sentTo?: number
}

export interface GroupsMetrics {
  readonly messages: number
  readonly epochs: number
  readonly dropped: Readonly<Record<string, number>>
}

export interface Groups {
  start(options?: AbortOptions): Promise<void>
  stop(): Promise<void>
  create(options?: AbortOptions): Promise<Uint8Array>
  /** A fresh key package of this node, kept until a Welcome uses it, for an inviter that cannot request one. */
  keyPackage(options?: AbortOptions): Promise<Uint8Array>
  /** Fetches `peer`'s key package, commits its addition and, once the commit wins, sends it the Welcome. */
  invite(groupId: Uint8Array, peer: PeerId, options?: InviteOptions): Promise<void>
  /**
   * Starts removing `peer`: commits it when this member is the one nearest `peer` in the tree, else
   * proposes it for that member to commit and commits it itself if `peer` is still a member after
   * `commitLog.removalFallbackMs`. `group:epoch` reports the removal once applied.
   */
  remove(groupId: Uint8Array, peer: PeerId, options?: AbortOptions): Promise<void>
  leave(groupId: Uint8Array, options?: AbortOptions): Promise<void>
  /** Seals `data` for the group's current epoch and publishes it on the group topic. */
  send(groupId: Uint8Array, data: Uint8Array, options?: AbortOptions): Promise<GroupSent>
  list(): Uint8Array[]
  members(groupId: Uint8Array): readonly GroupMember[]
  epoch(groupId: Uint8Array): number
  /** MLS-Exporter of the group's current epoch, for presence and crdt-sync keys. */
  exportSecret(groupId: Uint8Array, label: string, length: number): Promise<Uint8Array>
  /** Counters: delivered group messages, applied epochs, and drops by reason (commit order, undecryptable messages). */
  metrics(): GroupsMetrics
  addEventListener<K extends keyof GroupsEvents>(type: K, listener: (event: GroupsEvents[K]) => void): void
  removeEventListener<K extends keyof GroupsEvents>(type: K, listener: (event: GroupsEvents[K]) => void): void
}
