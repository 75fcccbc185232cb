/**
 * Group-topic encryption with exporter-derived keys (SPEC.md 10.4): per epoch, base key =
 * MLS-Exporter("saorsa-gossip/group-topic/v1", "", 32) (RFC 9420 section 8.5); per sender, key =
 * keyed BLAKE3(base key, sender PeerId); ChaCha20-Poly1305 (RFC 8439) with a random 96-bit nonce.
 * The pubsub origin signature authenticates sender and bytes, so no second signature is made.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { blake3 } from '@noble/hashes/blake3.js'
import { concatBytes, u64be, utf8, type PeerId } from '@saorsa-gossip/types'
import { MAX_GROUP_PLAINTEXT_BYTES, NONCE_BYTES, TAG_BYTES, type GroupTopicPayload } from './codec.ts'
import { GroupMessageError } from './errors.ts'

/** Exporter label of the per-epoch group-topic key. */
export const GROUP_TOPIC_EXPORTER_LABEL = 'saorsa-gossip/group-topic/v1'
const AAD_PREFIX = utf8('saorsa-gossip/group-message/v1')
const MAX_SENDER_KEYS = 4096

/** How many epochs and for how long after an epoch ended its messages stay readable. */
export interface KeyRingOptions {
  /** Epochs kept, current included (matches the MLS key retention of 4 epochs). */
  readonly retainEpochs: number
  /**
   * Messages of an ended epoch are accepted this long after it ended: the pubsub maximum message
   * age (180 s, SPEC.md 7.2). Afterwards a removed member's old keys cannot inject anything.
   */
  readonly graceMs: number
}

export const DEFAULT_KEY_RING: KeyRingOptions = Object.freeze({ retainEpochs: 4, graceMs: 180_000 })

/** One epoch's base key, as persisted. */
export interface EpochKey {
  readonly epoch: number
  readonly key: Uint8Array
  /** When the next epoch started (local monotonic ms), or undefined for the current epoch. */
  readonly endedAtMs: number | undefined
}

function aad(groupId: Uint8Array, epoch: number): Uint8Array {
  return concatBytes(AAD_PREFIX, new Uint8Array([groupId.length]), groupId, u64be(epoch))
}

/** Base keys of the current and recent epochs of one group, and the sealing and opening of messages. */
export class EpochKeyRing {
  readonly #options: KeyRingOptions
  #epochs: EpochKey[] = []
  readonly #senderKeys = new Map<string, Uint8Array>()

  constructor(options: KeyRingOptions = DEFAULT_KEY_RING, entries: readonly EpochKey[] = []) {
    this.#options = options
    for (const entry of entries) this.#epochs.push({ ...entry, key: entry.key.slice() })
  }

  get currentEpoch(): number | undefined {
    return this.#epochs.at(-1)?.epoch
  }

  entries(): readonly EpochKey[] {
    return this.#epochs
  }

  /** Enters `epoch` with its exporter-derived base key; the previous epoch ends at `nowMs`. */
  advance(epoch: number, key: Uint8Array, nowMs: number): void {
    const last = this.#epochs.at(-1)
    if (last !== undefined && epoch <= last.epoch) {
      // A rollback to another branch: forget the abandoned epochs.
      this.#epochs = this.#epochs.filter((e) => e.epoch < epoch)
      this.#senderKeys.clear()
    }
    const previous = this.#epochs.at(-1)
    if (previous !== undefined && previous.endedAtMs === undefined) {
      this.#epochs[this.#epochs.length - 1] = { ...previous, endedAtMs: nowMs }
    }
    this.#epochs.push({ epoch, key: key.slice(), endedAtMs: undefined })
    while (this.#epochs.length > this.#options.retainEpochs) this.#epochs.shift()
  }

  /** Encrypts `plaintext` from `sender` under the current epoch. */
  seal(groupId: Uint8Array, sender: PeerId, plaintext: Uint8Array, nonce: Uint8Array = randomBytes(NONCE_BYTES)): GroupTopicPayload {
    if (plaintext.length > MAX_GROUP_PLAINTEXT_BYTES) {
      throw new RangeError(`plaintext: ${plaintext.length} bytes, over ${MAX_GROUP_PLAINTEXT_BYTES}`)
    }
    const current = this.#epochs.at(-1)
    if (current === undefined) throw new GroupMessageError('group: no epoch key yet')
    const cipher = createCipheriv('chacha20-poly1305', this.#senderKey(current, sender), nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(aad(groupId, current.epoch), { plaintextLength: plaintext.length })
    const ciphertext = concatBytes(cipher.update(plaintext), cipher.final(), cipher.getAuthTag())
    return { type: 'message', groupId, epoch: current.epoch, nonce: Uint8Array.from(nonce), ciphertext }
  }

  /**
   * Decrypts a message whose pubsub origin is `sender`. Throws `GroupMessageError` for an unknown or
   * expired epoch and for any forged or tampered byte.
   */
  open(groupId: Uint8Array, message: GroupTopicPayload & { type: 'message' }, sender: PeerId, nowMs: number): Uint8Array {
    const entry = this.#epochs.find((e) => e.epoch === message.epoch)
    if (entry === undefined) throw new GroupMessageError(`message: no key for epoch ${message.epoch}`)
    if (entry.endedAtMs !== undefined && nowMs - entry.endedAtMs > this.#options.graceMs) {
      throw new GroupMessageError(`message: epoch ${message.epoch} ended more than ${this.#options.graceMs} ms ago`)
    }
    const body = message.ciphertext.subarray(0, message.ciphertext.length - TAG_BYTES)
    const tag = message.ciphertext.subarray(message.ciphertext.length - TAG_BYTES)
    try {
      const decipher = createDecipheriv('chacha20-poly1305', this.#senderKey(entry, sender), message.nonce, { authTagLength: TAG_BYTES })
      decipher.setAAD(aad(groupId, message.epoch), { plaintextLength: body.length })
      decipher.setAuthTag(tag)
      return new Uint8Array(concatBytes(decipher.update(body), decipher.final()))
    } catch (err) {
      throw new GroupMessageError('message: authentication failed', { cause: err })
    }
  }

  #senderKey(entry: EpochKey, sender: PeerId): Uint8Array {
    const cacheKey = `${entry.epoch}:${sender.toHex()}`
    let key = this.#senderKeys.get(cacheKey)
    if (key === undefined) {
      if (this.#senderKeys.size >= MAX_SENDER_KEYS) this.#senderKeys.clear()
      key = blake3(sender.bytes, { key: entry.key })
      this.#senderKeys.set(cacheKey, key)
    }
    return key
  }
}
