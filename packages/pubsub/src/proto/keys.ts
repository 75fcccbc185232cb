/**
 * Origin public keys, learned once per origin and bound to its PeerId (docs/architecture.md section 4):
 * direct neighbours' keys come from the authenticated transport handshake; a remote origin's key is
 * fetched with KEY_REQUEST from the neighbour that forwarded its message (which has verified it and
 * so holds the key). A key is accepted only when BLAKE3(key) equals an origin we are waiting for.
 * Messages wait here, bounded per origin and in total, while their origin's key is fetched; and a
 * forwarder attaches an origin's key to the first of its messages sent over each link, unless the
 * neighbour has shown it holds the key: it is the origin, it listed the origin in its `sub` for a
 * topic we share, or it forwarded or announced (IHAVE) one of that origin's messages, which it could
 * do only after verifying it. A neighbour that claims a key it lacks only makes itself ask for it
 * (KEY_REQUEST). Held pairs are keyed by the origin's first 8 bytes, the form a `sub` lists them in.
 */
import { PeerId, bytesEqual, fromHex, toHex } from '@saorsa-gossip/types'
import { BoundedMap } from './caches.ts'
import type { PublishMessage } from './messages.ts'

/** Origin key prefixes a `sub` may list: 2 KiB, about one key (1,952 bytes) sent needlessly. */
export const MAX_HELD_KEY_PREFIXES = 256
export const HELD_KEY_PREFIX_BYTES = 8
const PREFIX_HEX = 2 * HELD_KEY_PREFIX_BYTES

export interface ParkedMessage {
  readonly from: PeerId
  readonly message: PublishMessage
  readonly idHex: string
}

interface PendingOrigin {
  readonly origin: PeerId
  readonly generation: number
  readonly messages: ParkedMessage[]
}

export type ParkResult = 'request-key' | 'parked' | 'already-parked' | 'full'

export class KeyBook {
  readonly #keys: BoundedMap<Uint8Array>
  readonly #pending = new Map<string, PendingOrigin>()
  /** Ids of all parked messages: an IHAVE for one of them needs no graft, its key is on the way. */
  readonly #parkedIds = new Set<string>()
  readonly #maxPending: number
  readonly #maxPerOrigin: number
  /** (neighbour, origin prefix) pairs where the neighbour holds the origin's key: we sent it, or it showed it. */
  readonly #held: BoundedMap<true>
  /** Origins whose messages we delivered, most recent last, with the topics they came on. */
  readonly #recent: BoundedMap<Set<string>>
  #pendingCount = 0
  #generation = 0

  readonly #attach: boolean

  constructor(options: { capacity: number; maxPending: number; maxPerOrigin: number; attach?: boolean }) {
    this.#attach = options.attach ?? true
    this.#keys = new BoundedMap(options.capacity)
    this.#maxPending = options.maxPending
    this.#maxPerOrigin = options.maxPerOrigin
    this.#held = new BoundedMap(options.capacity * 4)
    this.#recent = new BoundedMap(options.capacity)
  }

  /** `msg` with its origin's key attached the first time that origin's message goes to `peerHex`, unless `peerHex` holds it. */
  attachFor(peerHex: string, msg: PublishMessage, self: PeerId): PublishMessage {
    const origin = msg.header.origin
    // Neighbours learn our own key in the transport handshake; 'on-request' leaves every key to KEY_REQUEST.
    if (!this.#attach || origin.equals(self)) return msg
    const originHex = origin.toHex()
    const pair = `${peerHex}:${originHex.slice(0, PREFIX_HEX)}`
    if (originHex === peerHex || this.#held.has(pair)) return msg
    const key = this.get(origin)
    if (key === undefined) return msg
    this.#held.set(pair, true)
    return { ...msg, originKey: key }
  }

  /** `peerHex` forwarded or announced a message of `origin`, so it holds the origin's key. */
  heldBy(peerHex: string, origin: PeerId): void {
    if (this.#attach) this.#held.set(`${peerHex}:${origin.toHex().slice(0, PREFIX_HEX)}`, true)
  }

  /** `peerHex` listed these origin prefixes (a `sub`'s `heldKeys`) as keys it holds. */
  heldByPrefixes(peerHex: string, prefixes: Uint8Array): void {
    if (!this.#attach) return
    for (let i = 0; i + HELD_KEY_PREFIX_BYTES <= prefixes.length; i += HELD_KEY_PREFIX_BYTES) {
      this.#held.set(`${peerHex}:${toHex(prefixes.subarray(i, i + HELD_KEY_PREFIX_BYTES))}`, true)
    }
  }

  /** We delivered a message of `origin` on `topicHex` (so we hold its key). */
  delivered(origin: PeerId, topicHex: string): void {
    if (!this.#attach) return
    const originHex = origin.toHex()
    const topics = this.#recent.get(originHex) ?? new Set<string>()
    topics.add(topicHex)
    this.#recent.set(originHex, topics)
  }

  /**
   * Prefixes of the origins of `topicHexes` whose keys we hold, most recent first, at most
   * MAX_HELD_KEY_PREFIXES, none of `exceptHex`; undefined when there are none or keys go on request.
   */
  heldPrefixes(topicHexes: readonly string[], exceptHex: string): Uint8Array | undefined {
    if (!this.#attach) return undefined
    const recent = [...this.#recent.keys()]
    const out = new Uint8Array(MAX_HELD_KEY_PREFIXES * HELD_KEY_PREFIX_BYTES)
    let count = 0
    for (let i = recent.length - 1; i >= 0 && count < MAX_HELD_KEY_PREFIXES; i--) {
      const originHex = recent[i]!
      const topics = this.#recent.get(originHex)!
      if (originHex === exceptHex || !this.#keys.has(originHex) || !topicHexes.some((t) => topics.has(t))) continue
      out.set(fromHex(originHex.slice(0, PREFIX_HEX)), count * HELD_KEY_PREFIX_BYTES)
      count++
    }
    return count === 0 ? undefined : out.slice(0, count * HELD_KEY_PREFIX_BYTES)
  }

  get(origin: PeerId): Uint8Array | undefined {
    return this.#keys.get(origin.toHex())
  }

  /** Stores `publicKey` if it hashes to `peer`; returns whether it did. */
  learn(peer: PeerId, publicKey: Uint8Array): boolean {
    const hex = peer.toHex()
    // The key we hold for `peer` was checked when stored: the same bytes again need no second
    // BLAKE3 of 1,952 bytes (every carried key and every learn-key command would re-hash it).
    const held = this.#keys.get(hex)
    const known = held !== undefined && held.length === publicKey.length && bytesEqual(held, publicKey)
    if (!known && (publicKey.length === 0 || !PeerId.fromPublicKey(publicKey).equals(peer))) return false
    this.#keys.set(hex, publicKey)
    return true
  }

  isParked(idHex: string): boolean {
    return this.#parkedIds.has(idHex)
  }

  /** Parks a message whose origin key is unknown. 'request-key' means: ask `from`, arm a timeout. */
  park(origin: PeerId, parked: ParkedMessage): ParkResult {
    const key = origin.toHex()
    const entry = this.#pending.get(key)
    if (entry !== undefined) {
      if (entry.messages.some((m) => m.idHex === parked.idHex)) return 'already-parked'
      if (entry.messages.length >= this.#maxPerOrigin || this.#pendingCount >= this.#maxPending) return 'full'
      entry.messages.push(parked)
      this.#parkedIds.add(parked.idHex)
      this.#pendingCount++
      return 'parked'
    }
    if (this.#pendingCount >= this.#maxPending) return 'full'
    this.#pending.set(key, { origin, generation: ++this.#generation, messages: [parked] })
    this.#parkedIds.add(parked.idHex)
    this.#pendingCount++
    return 'request-key'
  }

  generationOf(origin: PeerId): number | undefined {
    return this.#pending.get(origin.toHex())?.generation
  }

  /**
   * Accepts a key from a KEY_RESPONSE: returns the messages it unlocks, or undefined when nobody
   * waits for that key (an unsolicited key is never stored, so keys cannot be stuffed into the cache).
   */
  accept(publicKey: Uint8Array): ParkedMessage[] | undefined {
    if (publicKey.length === 0) return undefined
    const origin = PeerId.fromPublicKey(publicKey)
    const entry = this.#pending.get(origin.toHex())
    if (entry === undefined) return undefined
    this.#keys.set(origin.toHex(), publicKey)
    return this.#release(origin)
  }

  /** Drops the parked messages of `origin` if the request of `generation` is still open; returns how many. */
  expire(origin: PeerId, generation: number): number {
    const entry = this.#pending.get(origin.toHex())
    if (entry === undefined || entry.generation !== generation) return 0
    return this.#release(origin).length
  }

  #release(origin: PeerId): ParkedMessage[] {
    const key = origin.toHex()
    const entry = this.#pending.get(key)
    if (entry === undefined) return []
    this.#pending.delete(key)
    this.#pendingCount -= entry.messages.length
    for (const m of entry.messages) this.#parkedIds.delete(m.idHex)
    return entry.messages
  }
}
