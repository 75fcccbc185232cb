/**
 * PubSub wire messages, timers, commands and events as plain data (Plumtree: Leitao, Pereira,
 * Rodrigues, "Epidemic Broadcast Trees", SRDS 2007, section 3; anti-entropy after the IBLT set
 * reconciliation of Eppstein et al., "What's the Difference?", SIGCOMM 2011). `../codec.ts` encodes
 * exactly these shapes and `pubsub.ts` consumes and produces them. SPEC.md section 7 fixes the bytes.
 */
import type { CoreInput, CoreOutput, MessageHeader, MessageId, Outbox, PeerId, TopicId } from '@saorsa-gossip/types'

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
  /**
   * A neighbour broadcast (iroh-gossip's `broadcast_neighbors`): sent by the origin to its direct
   * topic neighbours only, signed under its own domain (`DOMAIN.pubsubNeighbor`), never forwarded,
   * cached or repaired. Travels as the `nbr` kind; `hop` is always 1.
   */
  readonly neighborsOnly?: true
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
  /**
   * First 8 bytes of the PeerIds of origins of these topics whose keys the sender holds (at most
   * 256, most recent first, concatenated), so the receiver attaches none of them on this link.
   */
  readonly heldKeys?: Uint8Array
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

/**
 * Anti-entropy: a digest of the ids the sender holds whose digest time (`digestTimeMs`) lies in
 * [`fromMs`, `toMs`) of its wall clock, so a receiver holding the same ids answers nothing
 * (SPEC.md section 7.4).
 */
export interface DigestMessage {
  readonly type: 'digest'
  readonly topic: TopicId
  readonly fromMs: number
  readonly toMs: number
  /** How many ids the window holds. */
  readonly count: number
  /** `windowDigest` of those ids (32 bytes). */
  readonly hash: Uint8Array
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
  | DigestMessage

/** Timers are data; none is ever cancelled (a stale one is recognised and ignored when it fires). */
export type PubSubTimer =
  | { readonly type: 'graft'; readonly id: MessageId; readonly attempt: number }
  /** The deadline of the promise `peer` made when we grafted it for `id`. */
  | { readonly type: 'promise'; readonly id: MessageId; readonly peer: PeerId }
  | { readonly type: 'ihave-flush' }
  | { readonly type: 'anti-entropy' }
  | { readonly type: 'key-timeout'; readonly origin: PeerId; readonly generation: number }
  /** A message held for its topic's validator is ignored once this fires without a verdict. */
  | { readonly type: 'validation-timeout'; readonly validationId: number }
  /** A message whose signature is out for checking is checked by the core itself once this fires without a verdict. */
  | { readonly type: 'verification-timeout'; readonly verificationId: number }

/** A topic validator's verdict (gossipsub's accept / reject / ignore). */
export type ValidationResult = 'accept' | 'reject' | 'ignore'

export type PubSubCommand =
  | { readonly type: 'join'; readonly topic: TopicId }
  | { readonly type: 'leave'; readonly topic: TopicId }
  /**
   * Publishes a message the driver built and signed (see `../publisher.ts`); `requestId` matches the
   * 'published' event. A message with `neighborsOnly` goes to the topic's direct neighbours only.
   */
  | { readonly type: 'publish'; readonly topic: TopicId; readonly message: PublishMessage; readonly requestId: number }
  /**
   * From now on, verified messages of `topic` are held and offered to the driver's validator (a
   * 'validate' event) before delivery and forwarding; without a verdict after `timeoutMs` they are ignored.
   */
  | { readonly type: 'set-validator'; readonly topic: TopicId; readonly timeoutMs: number }
  | { readonly type: 'remove-validator'; readonly topic: TopicId }
  /** The validator's verdict on the held message `validationId` (a stale id is a no-op). */
  | { readonly type: 'validated'; readonly validationId: number; readonly result: ValidationResult }
  /** The driver's check of the signature offered by the 'verify' event `verificationId` (a stale id is a no-op). */
  | { readonly type: 'verified'; readonly verificationId: number; readonly valid: boolean }
  /** The driver's wall clock (Unix ms); timestamps are checked against it. */
  | { readonly type: 'wall-clock'; readonly wallMs: number }
  /** The authenticated public key of a peer, as learned by the transport handshake. */
  | { readonly type: 'learn-key'; readonly peer: PeerId; readonly publicKey: Uint8Array }
  /**
   * How late the driver's event loop runs (ms), sampled periodically: repair timers widen and
   * lateness stops counting against peers while it is high (`local-health.ts`).
   */
  | { readonly type: 'local-lag'; readonly lagMs: number }

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
  /** Set for a neighbour broadcast: the origin sent it to its direct neighbours only. */
  readonly neighborsOnly?: true
}

/** What a topic validator sees of a verified message (gossipsub's validator input). */
export interface ValidationRequest {
  readonly topic: TopicId
  readonly id: MessageId
  readonly origin: PeerId
  readonly seq: number
  /** The neighbour it arrived from: the one penalised if the validator rejects it. */
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
  /** Run the topic's validator on `request`, then answer with the 'validated' command. */
  | { readonly type: 'validate'; readonly validationId: number; readonly request: ValidationRequest }
  /**
   * Check an origin signature as `VerifyHeader` would, then answer with the 'verified' command
   * (only with `maxPendingVerifications` above 0; the message waits meanwhile).
   */
  | {
    readonly type: 'verify'
    readonly verificationId: number
    readonly publicKey: Uint8Array
    readonly headerBytes: Uint8Array
    readonly signature: Uint8Array
    readonly neighborsOnly: boolean
  }
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
  /** A neighbour broadcast that did not come straight from its origin. */
  | 'not-from-origin'
  /** The topic validator rejected it (the forwarder is penalised), ignored it, or gave no verdict in time. */
  | 'validation-rejected'
  | 'validation-ignored'
  | 'validation-timeout'
  /** Already `maxPendingValidations` messages wait for a verdict. */
  | 'validation-overloaded'

export type PubSubInput = CoreInput<PubSubMessage, PubSubTimer, PubSubCommand>
export type PubSubOutput = CoreOutput<PubSubMessage, PubSubTimer, PubSubEvent>
export type PubSubOutbox = Outbox<PubSubOutput>
