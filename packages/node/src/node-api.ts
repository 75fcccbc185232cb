/**
 * The node's public API: the options of `createNode` (`SaorsaNodeInit`), the `SaorsaNode` interface
 * with its event map, and the result types of join, publish and `networkStats`. The implementation
 * is node.ts (docs/architecture.md section 1).
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import type { AsyncVerifier } from '@saorsa-gossip/pubsub'
import type { Carrier, NatTraversal, TrafficEntry } from '@saorsa-gossip/transport'
import type { AbortOptions, MessageId, PeerId } from '@saorsa-gossip/types'
import type { Rendezvous } from '@saorsa-gossip/rendezvous'
import type { Groups } from '@saorsa-gossip/groups'
import type { Coordinator } from '@saorsa-gossip/coordinator'
import type { Presence } from '@saorsa-gossip/presence'
import type { CrdtSync } from '@saorsa-gossip/crdt-sync'
import type { PresetName } from './config/node-config.ts'
import type { Logger, LogLevel } from './logger.ts'
import type { DirectApi } from './direct.ts'
import type { NodeStatus, PeerInfo, TopicTree } from './status.ts'
import type { Subscription, ReceivedMessage } from './subscription.ts'
import type { NodeRendezvousOptions } from './rendezvous.ts'
import type { NodeGroupsOptions } from './groups.ts'
import type { NodeCoordinatorOptions } from './coordinator.ts'
import type { NodePresenceOptions } from './presence.ts'
import type { NodeNatOptions } from './nat.ts'

/** The shared options bag of `@saorsa-gossip/types`, re-exported for existing imports. */
export type { AbortOptions }

export interface SaorsaNodeInit {
  /** The node's key pair; default a fresh one (use the keystore for a stable PeerId). */
  identity?: Identity
  /** Home directory: enables the peer cache `<home>/peers.cbor` (SPEC.md section 8). */
  home?: string
  /** Listen addresses; default `['tcp://127.0.0.1:0']`. */
  listen?: string[]
  /**
   * Addresses other peers should dial to reach this node (at most 8), e.g. the public address when
   * listening on `0.0.0.0`; default: the bound listen addresses.
   */
  announce?: string[]
  /** Carriers (TCP, memory, WebTransport); default `[createTcpCarrier()]`. */
  carriers?: Carrier[]
  /** Default bootstrap addresses for `join()`. */
  bootstrap?: string[]
  /** Timing preset of membership and pubsub; default 'lan'. */
  preset?: PresetName
  /** Root logger (default: silent), or the level of a fresh stderr logger. */
  logger?: Logger
  logLevel?: LogLevel
  /** ML-DSA-65 backend; default the fast liboqs backend when it loads, else noble. */
  backend?: SignatureBackend
  /**
   * Where pubsub origin signatures are checked. Default `'inline'`: on the event loop, about 0.2 ms
   * each. `'pool'`: on the process's pool of worker threads (cores - 1, shared by every node of the
   * process; inline on one core), for a busy relay: near saturation its p99 fell by a quarter to a
   * third, for about 30 MiB of RSS and a fifth more CPU (docs/benchmarks.md). Or your own
   * `createVerifyPool()` of `@saorsa-gossip/identity/verify-pool`.
   */
  verifier?: 'inline' | 'pool' | AsyncVerifier
  /** The rendezvous service (`node.rendezvous`): role and where the `rendezvous`-role peers come from. */
  rendezvous?: NodeRendezvousOptions
  /** MLS groups (`node.groups`): state in `<home>/groups/`, sealed under the identity. */
  groups?: NodeGroupsOptions
  /** The coordinator service (`node.coordinator`): the roles this node advertises, if any. */
  coordinator?: NodeCoordinatorOptions
  /** The presence service (`node.presence`): where group secrets come from (bind the node's groups). */
  presence?: NodePresenceOptions
  /**
   * NAT traversal (`node.nat`): `roles: ['reflector', 'relay']` serves those roles; `reflectors` and
   * `relays` (addresses) make this node learn its public address and NAT class and stay reachable.
   */
  nat?: NodeNatOptions
}

export interface JoinResult {
  /** Addresses tried (peer cache first, then cached coordinator adverts, then bootstrap). */
  contacted: number
  /** Overlay neighbours once joined. */
  activePeers: number
}

export interface PublishResult {
  id: MessageId
  /** Neighbours the message was pushed (or announced) to. */
  sentTo: number
}

export interface NodeEvents {
  'peer:up': CustomEvent<{ peerId: PeerId }>
  'peer:down': CustomEvent<{ peerId: PeerId }>
  'message': CustomEvent<ReceivedMessage>
  /** A neighbour joined this node's tree for a topic it joined (iroh-gossip's NeighborUp). */
  'topic:peer-up': CustomEvent<{ topic: string; peerId: PeerId }>
  /** A neighbour left this node's tree for a topic (iroh-gossip's NeighborDown). */
  'topic:peer-down': CustomEvent<{ topic: string; peerId: PeerId }>
  'stop': CustomEvent<undefined>
}

export interface SaorsaNode extends DirectApi {
  readonly peerId: PeerId
  readonly identity: Identity
  /** Provide and seek targets (SPEC.md section 11); NotStartedError while the node is not running. */
  readonly rendezvous: Rendezvous
  /** MLS groups with encrypted group topics (SPEC.md section 10); NotStartedError while the node is not running. */
  readonly groups: Groups
  /** Coordinator adverts, FOAF discovery and the address book (SPEC.md section 9); NotStartedError while stopped. */
  readonly coordinator: Coordinator
  /** Who is online in a group, and FIND_USER (SPEC.md section 13); NotStartedError while not running. */
  readonly presence: Presence
  /** NAT traversal: reflexive address, NAT class, relayed addresses, punching; NotStartedError while stopped. */
  readonly nat: NatTraversal
  /** Replicated documents (SPEC.md section 12), stored in `<home>/crdt`; NotStartedError while the node is not running. */
  readonly crdt: CrdtSync
  start(options?: AbortOptions): Promise<void>
  /** Joins the overlay through cached peers, then cached coordinators, then `bootstrap` (default `init.bootstrap`). */
  join(bootstrap?: string[], options?: AbortOptions): Promise<JoinResult>
  /**
   * Dials `addr` and proves who answers: the handshake authenticates the remote's ML-DSA-65 key and,
   * with `expectedPeer`, fails with PeerMismatchError for anyone else. Resolves with the PeerId and a
   * measured round trip. A connection to a peer this node was already connected to is closed after the
   * check (the existing one carries on); a new peer's connection stays open for direct messages.
   */
  connect(addr: string, options?: AbortOptions & { expectedPeer?: PeerId }): Promise<{ peerId: PeerId; rttMs: number }>
  subscribe(topic: string, options?: AbortOptions): Subscription
  publish(topic: string, payload: Uint8Array, options?: AbortOptions): Promise<PublishResult>
  topics(): string[]
  /** Each joined topic's Plumtree tree as this node holds it: the neighbours it pushes to eagerly and those it only announces to. */
  topicTrees(): TopicTree[]
  peers(): PeerInfo[]
  status(): NodeStatus
  /** Monotonic transport counters since start, for metrics (`createMetrics`). */
  networkStats(): NetworkStats
  listenAddrs(): string[]
  stop(options?: AbortOptions): Promise<void>
  addEventListener<K extends keyof NodeEvents>(type: K, listener: (event: NodeEvents[K]) => void, options?: { once?: boolean; signal?: AbortSignal }): void
  removeEventListener<K extends keyof NodeEvents>(type: K, listener: (event: NodeEvents[K]) => void): void
}

export interface NetworkStats {
  /** Open authenticated connections. */
  connections: number
  /** Handshakes that completed (both directions) since start. */
  handshakes: number
  /** Inbound handshakes that failed (bad input, timeout) since start. */
  failedHandshakes: number
  /** Inbound pipes refused at the connection or pending-handshake cap. */
  refusedPipes: number
  /** Transport frames dropped, by reason, since start. */
  drops: Record<string, number>
  /** Encrypted record bytes over every connection since start, closed ones included. */
  bytesSent: number
  bytesReceived: number
  /** Frame bytes by direction, stream class and protocol since start (the transport's `stats().traffic`). */
  traffic: readonly TrafficEntry[]
}
