/**
 * 32-byte identifiers: PeerId (BLAKE3 of an ML-DSA-65 public key), TopicId (BLAKE3 of a topic
 * name under a domain tag) and MessageId (BLAKE3 of origin, sequence and payload hash).
 * Values are immutable, compare by content, print as 64 hex characters or an 8-character short form.
 * SPEC.md section "Identifiers" fixes the derivations and has golden vectors.
 */
import { blake3 } from './blake3.ts'
import { bytesEqual, compareBytes, concatBytes, copyBytes, fromHex, toHex, u64be, utf8 } from './bytes.ts'
import { InvalidParametersError } from './errors.ts'
import { LIMITS } from './limits.ts'

export const ID_LENGTH = 32

abstract class Id32 {
  /** The 32 raw bytes. Treat as read-only: the instance owns a private copy. */
  readonly bytes: Uint8Array
  #hex: string | undefined

  protected constructor(bytes: Uint8Array) {
    this.bytes = bytes
  }

  /** Full lower-case hex (64 characters). */
  toHex(): string {
    this.#hex ??= toHex(this.bytes)
    return this.#hex
  }

  /** First 8 hex characters, for logs and humans. */
  toShortString(): string {
    return this.toHex().slice(0, 8)
  }

  toString(): string {
    return this.toHex()
  }

  toJSON(): string {
    return this.toHex()
  }

  equals(other: Id32 | null | undefined): boolean {
    return other != null && other.constructor === this.constructor && bytesEqual(this.bytes, other.bytes)
  }

  compare(other: Id32): number {
    return compareBytes(this.bytes, other.bytes)
  }
}

function checkedCopy(kind: string, bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new InvalidParametersError(`${kind}: expected Uint8Array of ${ID_LENGTH} bytes`)
  if (bytes.length !== ID_LENGTH) throw new InvalidParametersError(`${kind}: expected ${ID_LENGTH} bytes, got ${bytes.length}`)
  return copyBytes(bytes)
}

function parseHex(kind: string, text: unknown): Uint8Array {
  if (typeof text !== 'string') throw new InvalidParametersError(`${kind}: expected a hex string, got ${typeof text}`)
  if (text.length !== ID_LENGTH * 2) {
    throw new InvalidParametersError(`${kind}: expected ${ID_LENGTH * 2} hex characters, got ${text.length}`)
  }
  try {
    return fromHex(text, kind)
  } catch (err) {
    throw new InvalidParametersError(`${kind}: not a hex string`, { cause: err })
  }
}

/** Identity of a peer: BLAKE3-256 of its ML-DSA-65 public key. */
export class PeerId extends Id32 {
  readonly kind = 'peer-id' as const
  static fromBytes(bytes: Uint8Array): PeerId {
    return new PeerId(checkedCopy('PeerId', bytes))
  }
  static fromHex(hex: string): PeerId {
    return new PeerId(parseHex('PeerId', hex))
  }
  /** PeerId = BLAKE3(publicKey). */
  static fromPublicKey(publicKey: Uint8Array): PeerId {
    if (!(publicKey instanceof Uint8Array) || publicKey.length === 0) {
      throw new InvalidParametersError('PeerId.fromPublicKey: publicKey must be a non-empty Uint8Array')
    }
    return new PeerId(blake3(publicKey))
  }
}

const TOPIC_DOMAIN = utf8('saorsa-gossip/topic/v1')

/** Identity of a pubsub topic. */
export class TopicId extends Id32 {
  readonly kind = 'topic-id' as const
  static fromBytes(bytes: Uint8Array): TopicId {
    return new TopicId(checkedCopy('TopicId', bytes))
  }
  static fromHex(hex: string): TopicId {
    return new TopicId(parseHex('TopicId', hex))
  }
  /** TopicId = BLAKE3("saorsa-gossip/topic/v1" || 0x00 || utf8(name)); names are 1 to `LIMITS.maxTopicNameBytes` bytes. */
  static fromName(name: string): TopicId {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidParametersError('TopicId.fromName: name must be a non-empty string')
    }
    const encoded = utf8(name)
    if (encoded.length > LIMITS.maxTopicNameBytes) {
      throw new InvalidParametersError(`TopicId.fromName: name is ${encoded.length} bytes of UTF-8, over ${LIMITS.maxTopicNameBytes}`)
    }
    return new TopicId(blake3(concatBytes(TOPIC_DOMAIN, new Uint8Array([0]), encoded)))
  }
}

const MESSAGE_DOMAIN = utf8('saorsa-gossip/message-id/v1')

/** Identity of a published message. */
export class MessageId extends Id32 {
  readonly kind = 'message-id' as const
  static fromBytes(bytes: Uint8Array): MessageId {
    return new MessageId(checkedCopy('MessageId', bytes))
  }
  static fromHex(hex: string): MessageId {
    return new MessageId(parseHex('MessageId', hex))
  }
  /**
   * MessageId = BLAKE3("saorsa-gossip/message-id/v1" || origin || u64be(seq) || payloadHash).
   * The same payload published twice gets two ids, because the sequence number differs.
   */
  static derive(origin: PeerId, seq: number, payloadHash: Uint8Array): MessageId {
    if (payloadHash.length !== ID_LENGTH) throw new InvalidParametersError('MessageId.derive: payloadHash must be 32 bytes')
    return new MessageId(blake3(concatBytes(MESSAGE_DOMAIN, origin.bytes, u64be(seq), payloadHash)))
  }
}

/** BLAKE3-256 of a payload, the hash that message headers carry. */
export function payloadHash(payload: Uint8Array): Uint8Array {
  return blake3(payload)
}
