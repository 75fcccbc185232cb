/**
 * The presence layer's data as the core sees it (SPEC.md section 13): a beacon's plaintext body,
 * the sealed envelope published on a slice topic, and FIND_USER's query, reply and answer. The
 * encodings are in `../codec.ts`; the core receives them as a capability (`PresenceWire`), so it
 * never touches CBOR itself.
 */
import type { PeerId } from '@saorsa-gossip/types'

export type PresenceStatus = 'online' | 'away' | 'offline'

/** What a beacon says, encrypted for the group. */
export interface BeaconBody {
  /** The member that sent it; must equal the pubsub origin that signed the envelope. */
  readonly sender: PeerId
  readonly status: PresenceStatus
  /** Where the sender can be dialled (transport addresses, at most `LIMITS.maxAddressesPerPeer`). */
  readonly addrs: readonly string[]
  /** Unix ms the sender's current status began. */
  readonly since: number
  /** Unix ms after which receivers consider the sender gone unless a newer beacon arrived. */
  readonly expires: number
  /** Strictly increasing per sender (across restarts too: it starts at the wall clock in ms). */
  readonly seq: number
}

/** The pubsub payload: the sender's tag for the slice, a fresh nonce, and the sealed body. */
export interface BeaconEnvelope {
  readonly tag: Uint8Array
  readonly nonce: Uint8Array
  readonly ct: Uint8Array
}

/** FIND_USER, carried as the payload of a coordinator FOAF query with a user target. */
export interface FindUserQuery {
  readonly qid: Uint8Array
  readonly target: PeerId
  /** The requester's one-time ML-KEM-768 encapsulation key: the answer is sealed to it. */
  readonly kem: Uint8Array
}

/** The reply: an ML-KEM-768 ciphertext and the answer sealed under the shared secret. */
export interface FindUserReply {
  readonly qid: Uint8Array
  readonly kemCt: Uint8Array
  readonly nonce: Uint8Array
  readonly ct: Uint8Array
}

/** What only the requester reads. */
export interface FindUserAnswer {
  readonly target: PeerId
  readonly status: PresenceStatus
  readonly addrs: readonly string[]
  /** Unix ms the answering node last heard a beacon of the target. */
  readonly seenAt: number
}

/** The codec, handed to the core so `proto/` stays free of CBOR (see `../codec.ts`). */
export interface PresenceWire {
  encodeBody(body: BeaconBody): Uint8Array
  /** Throws on anything but a valid body (the core counts it as a drop). */
  decodeBody(bytes: Uint8Array): BeaconBody
  encodeEnvelope(envelope: BeaconEnvelope): Uint8Array
  decodeEnvelope(bytes: Uint8Array): BeaconEnvelope
}
