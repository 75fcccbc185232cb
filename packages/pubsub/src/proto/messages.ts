/**
 * PubSub wire messages, timers, commands and events as plain data (Plumtree: Leitao, Pereira,
 * Rodrigues, "Epidemic Broadcast Trees", SRDS 2007, section 3; anti-entropy after the IBLT set
 * reconciliation of Eppstein et al., "What's the Difference?", SIGCOMM 2011). `../codec.ts` encodes
 * exactly these shapes and `pubsub.ts` consumes and produces them. SPEC.md section 7 fixes the bytes.
 */
import type { MessageHeader, MessageId, PeerId, TopicId } from '@saorsa-gossip/types'

/** Largest hop count on the wire; a copy that reached it is delivered but not pushed further. */
export const MAX_HOP = 255

/** A published message as it travels: the origin's signed header, the payload and the hop count. */
export interface PublishMessage {
  readonly type: 'publish'
  /** The exact header bytes the origin signed (never re-encoded). */
  readonly headerBytes: Uint8Array
  /** The header decoded from `headerBytes` by the codec. */
  readonly header: MessageHeader
  /** The origin's ML-DSA-65 signature over `signingInput(DOMAIN.pubsubMessage, headerBytes)`. */
  readonly signature: Uint8Array
  readonly payload: Uint8Array
  /** Links this copy has travelled, including the one it arrived on (the origin sends 1). */
  readonly hop: number
  /**
   * The origin's public key, attached to the first message of each origin sent over a link, so a
   * receiver verifies without a key round trip. Accepted only if BLAKE3(originKey) == header.origin.
   */
  readonly originKey?: Uint8Array
}

/** Lazy push: ids the sender delivered, with the hop count it received each at (Plumtree IHAVE). */
export interface IHaveMessage {
  readonly type: 'ihave'
  readonly topic: TopicId
  readonly ids: readonly MessageId[]
  readonly hops: readonly number[]
}

/** Request for payloads without changing the tree (anti-entropy fetches). */
export interface IWantMessage {
  readonly type: 'iwant'
  readonly topic: TopicId
  readonly ids: readonly MessageId[]
}

/** Makes the sender an eager peer of the receiver for `topic`, and asks for `ids` (Plumtree GRAFT). */
export interface GraftMessage {
  readonly type: 'graft'
  readonly topic: TopicId
  readonly ids: readonly MessageId[]
}

/** Moves the sender to the receiver's lazy set for `topic` (Plumtree PRUNE). */
export interface PruneMessage {
  readonly type: 'prune'
  readonly topic: TopicId
}

/** The sender joined these topics; `reply` asks the receiver to answer with its own joined topics among them. */
export interface SubscribeMessage {
  readonly type: 'subscribe'
  readonly topics: readonly TopicId[]
  readonly reply: boolean
}

export interface UnsubscribeMessage {
  readonly type: 'unsubscribe'
  readonly topics: readonly TopicId[]
}

/** Asks for the public keys of origins whose messages the sender forwarded to us. */
export interface KeyRequestMessage {
  readonly type: 'key-request'
  readonly origins: readonly PeerId[]
}

/** Public keys; each is accepted only if BLAKE3(key) is an origin we asked for. */
export interface KeyResponseMessage {
  readonly type: 'key-response'
  readonly keys: readonly Uint8Array[]
}

/** Anti-entropy: an IBLT of the sender's recent message ids for `topic` (see `iblt.ts`). */
export interface SketchMessage {
  readonly type: 'sketch'
  readonly topic: TopicId
  /** How many ids went into the sketch. */
  readonly count: number
  readonly cells: Uint8Array
}

/**
 * Anti-entropy: ids the sender holds. `complete` means this is the sender's whole recent set
 * (the fallback when a sketch did not decode), so the receiver may also offer what the sender lacks.
 */
export interface HaveMessage {
  readonly type: 'have'
  readonly topic: TopicId
  readonly ids: readonly MessageId[]
  readonly complete: boolean
}

export type PubSubMessage =
  | PublishMessage
  | IHaveMessage
  | IWantMessage
  | GraftMessage
  | PruneMessage
  | SubscribeMessage
  | UnsubscribeMessage
  | KeyRequestMessage
  | KeyResponseMessage
  | SketchMessage
  | HaveMessage

/** Timers are data; none is ever cancelled (a stale one is recognised and ignored when it fires). */
export type PubSubTimer =
  | { readonly type: 'graft'; readonly id: MessageId; readonly attempt: number }
  | { readonly type: 'ihave-flush' }
  | { readonly type: 'anti-entropy' }
  | { readonly type: 'key-timeout'; readonly origin: PeerId; readonly generation: number }

export type PubSubCommand =
  | { readonly type: 'join'; readonly topic: TopicId }
  | { readonly type: 'leave'; readonly topic: TopicId }
  /** Publishes a message the driver built and signed (see `../publisher.ts`); `requestId` matches the 'published' event. */
  | { readonly type: 'publish'; readonly topic: TopicId; readonly message: PublishMessage; readonly requestId: number }
  /** The driver's wall clock (Unix ms); timestamps are checked against it. */
  | { readonly type: 'wall-clock'; readonly wallMs: number }
  /** The authenticated public key of a peer, as learned by the transport handshake. */
  | { readonly type: 'learn-key'; readonly peer: PeerId; readonly publicKey: Uint8Array }

/** Why a publish was or was not handed to the network. */
export type PublishOutcome = 'sent' | 'no-peers' | 'not-subscribed'

/** A verified message handed to the application. */
export interface Delivery {
  readonly topic: TopicId
  readonly id: MessageId
  readonly origin: PeerId
  readonly seq: number
  readonly timestampMs: number
  readonly hop: number
  /** The neighbour it arrived from. */
  readonly from: PeerId
  readonly payload: Uint8Array
}

export type PubSubEvent =
  | { readonly type: 'message'; readonly delivery: Delivery }
  | {
    readonly type: 'published'
    readonly requestId: number
    readonly topic: TopicId
    readonly outcome: PublishOutcome
    /** Set when the message was built and signed (outcome 'sent' or 'no-peers'). */
    readonly id?: MessageId
    /** Neighbours the message (or its IHAVE) was sent to. */
    readonly peers: number
  }
  | { readonly type: 'graylisted'; readonly peer: PeerId; readonly score: number }
  | { readonly type: 'topic-peer-up'; readonly topic: TopicId; readonly peer: PeerId }
  | { readonly type: 'topic-peer-down'; readonly topic: TopicId; readonly peer: PeerId }

/** Reasons a received message was dropped; each has a counter (`PubSubCore.drops`). */
export type DropReason =
  | 'graylisted'
  | 'rate-limited'
  | 'not-subscribed'
  | 'duplicate'
  | 'expired'
  | 'future'
  | 'replayed'
  | 'length-mismatch'
  | 'payload-hash-mismatch'
  | 'bad-signature'
  | 'unknown-key'
  | 'unsolicited-key'
  | 'too-many-pending'
