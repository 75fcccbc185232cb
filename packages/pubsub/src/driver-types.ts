/**
 * The public contract of the PubSub driver (docs/architecture.md section 7, js-libp2p shape): the
 * slices of transport and membership it runs on, its `Init` options and `Components`, its typed
 * event map, and the counters it exposes (traffic, drops by reason).
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import type { Clock, MessageId, PeerId, Rng, TopicId } from '@saorsa-gossip/types'
import type { PubSubConfig } from './proto/config.ts'
import type { Delivery, PublishOutcome } from './proto/messages.ts'
import type { PubSubProtocol } from './protocol.ts'

/** The slice of a Transport connection the driver uses. */
export interface PubSubConnection {
  readonly remotePeer: PeerId
  readonly remotePublicKey: Uint8Array
  send(protocol: PubSubProtocol, message: Uint8Array): Promise<void>
  close(): Promise<void>
  /** Charges the remote for a message that failed to decode (the transport disconnects and graylists at its limit). */
  reportInvalid?(): void
}

/** The slice of @saorsa-gossip/transport's Transport the driver uses. */
export interface PubSubTransport extends EventTarget {
  handle(protocol: PubSubProtocol, handler: (message: Uint8Array, connection: PubSubConnection) => void): void
  unhandle(protocol: PubSubProtocol): void
  connectionTo(peer: PeerId): PubSubConnection | undefined
}

/** Membership as a source of neighbour events: detail is the PeerId or `{ peer }`. */
export interface NeighborSource {
  addEventListener(type: 'peer:up' | 'peer:down', listener: (event: Event) => void): void
  removeEventListener(type: 'peer:up' | 'peer:down', listener: (event: Event) => void): void
}

/** Options (js-libp2p `Init`): how this pubsub behaves. */
export interface PubSubInit {
  /** PUBSUB_LAN (the default), PUBSUB_WAN, PUBSUB_LOCAL, or overrides of DEFAULT_CONFIG. */
  readonly config?: Partial<PubSubConfig>
  /** Deliveries buffered per subscription before the oldest are dropped (counted as `lagged`). Default 1,024. */
  readonly subscriptionBuffer?: number
  /**
   * How often the event loop's lag is sampled for the core's local health (ms; 0 turns sampling
   * off). Default 100: a lag spike reaches the graft timers within a tenth of a second, at the cost
   * of ten host timers a second.
   */
  readonly lagSampleMs?: number
  /**
   * `publish` rejects with PublishBackpressureError while the sampled lag exceeds this (ms).
   * Default 2,000: a message accepted then would wait behind two seconds of this node's own work
   * before its first copy left, and every lagging forwarder adds its own queue to that. 0 never refuses.
   */
  readonly maxPublishLagMs?: number
  /**
   * A file that keeps this origin's publish sequence restart-safe (`sequence-file.ts`): a high-water
   * mark reserved in blocks of 65,536 and written atomically before use, so no restart, crash or
   * clock step ever reuses a sequence number. Without it numbers start from wall-clock ms x 1024,
   * which a clock stepped back across a restart can repeat.
   */
  readonly sequenceFile?: string
}

/**
 * Checks ML-DSA-65 signatures off the event loop: `createVerifyPool()` of
 * `@saorsa-gossip/identity/verify-pool`, or anything with its `verify`. Must resolve false, never
 * reject, for a bad signature.
 */
export interface AsyncVerifier {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>
}

/** Dependencies (js-libp2p `Components`): what this pubsub runs on. */
export interface PubSubComponents {
  readonly transport: PubSubTransport
  readonly identity: Identity
  /** ML-DSA-65 backend for verification. */
  readonly backend: SignatureBackend
  /**
   * Origin signatures are checked here instead of inline, while the message waits (up to the
   * config's `maxPendingVerifications`, 4,096; past it they are checked inline). The
   * verifier's threads then carry the largest per-message cost, so a relay's event loop keeps up
   * with about twice the messages on two cores (docs/benchmarks.md).
   */
  readonly verifier?: AsyncVerifier
  /** Neighbour events (`createMembership`); without it call `neighborUp` / `neighborDown` yourself. */
  readonly membership?: NeighborSource
  readonly clock?: Clock
  readonly rng?: Rng
}

export interface PublishResult {
  readonly outcome: PublishOutcome
  readonly id: MessageId | undefined
  /** Topic neighbours the message or its IHAVE went to. */
  readonly peers: number
}

export interface TopicPeerDetail { readonly topic: TopicId; readonly peer: PeerId }

export interface PubSubEvents {
  /** A verified (and, where the topic has a validator, accepted) message; `neighborsOnly` for a neighbour broadcast. */
  'message': CustomEvent<Delivery>
  'peer:graylisted': CustomEvent<{ readonly peer: PeerId; readonly score: number }>
  /** A neighbour joined this node's tree for a topic (iroh-gossip's NeighborUp). */
  'topic:peer-up': CustomEvent<TopicPeerDetail>
  /** A neighbour left this node's tree for a topic (iroh-gossip's NeighborDown). */
  'topic:peer-down': CustomEvent<TopicPeerDetail>
}

/** Bytes and frames this node exchanged on the pubsub protocol (encoded frames, before transport framing). */
export interface PubSubTraffic {
  bytesSent: number
  bytesReceived: number
  framesSent: number
  framesReceived: number
}

/** A topic's tree neighbours by role (Plumtree's eager push and lazy IHAVE sets). */
export interface TopicPeerCounts {
  readonly eager: number
  readonly lazy: number
}

/** Frames and calls the driver dropped, by reason. */
export interface DriverDrops {
  decode: number
  'no-connection': number
  'send-failed': number
  /** Deliveries a slow subscription reader lost (its buffer was full). */
  lagged: number
  /** Inputs whose handling threw inside the core. */
  'core-error': number
  /** Validators that threw or answered something other than accept / reject / ignore. */
  'validator-error': number
  /** Early reservations of publish sequence numbers that failed to write (retried before the block runs out). */
  'sequence-write': number
}
