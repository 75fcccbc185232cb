/**
 * Per-topic Plumtree state (SRDS 2007, section 3.2): the eager and lazy peer sets of this node's
 * spanning tree for one topic, and the cache of messages it can serve to GRAFT, IWANT and
 * anti-entropy requests. A peer is in at most one of the two sets; membership neighbours that
 * joined the topic start eager and are pruned into the lazy set by the duplicates they send.
 */
import type { MessageId, PeerId, TopicId } from '@saorsa-gossip/types'
import { TimedMap } from './caches.ts'
import type { PublishMessage } from './messages.ts'

export interface CachedMessage {
  readonly id: MessageId
  readonly message: PublishMessage
  /** The hop count we received it at (0 for our own messages). */
  readonly hop: number
  /** The neighbour it came from; undefined for our own messages. */
  readonly from: PeerId | undefined
  /** Where anti-entropy digests place it in time (`digestTimeMs`, wall clock ms). */
  readonly digestMs: number
}

export class TopicState {
  readonly topic: TopicId
  readonly eager = new Map<string, PeerId>()
  readonly lazy = new Map<string, PeerId>()
  readonly cache: TimedMap<CachedMessage>

  constructor(topic: TopicId, cacheMs: number, cacheSize: number) {
    this.topic = topic
    this.cache = new TimedMap(cacheMs, cacheSize)
  }

  has(peerHex: string): boolean {
    return this.eager.has(peerHex) || this.lazy.has(peerHex)
  }

  addEager(peer: PeerId): void {
    const key = peer.toHex()
    this.lazy.delete(key)
    this.eager.set(key, peer)
  }

  addLazy(peer: PeerId): void {
    const key = peer.toHex()
    this.eager.delete(key)
    this.lazy.set(key, peer)
  }

  remove(peerHex: string): boolean {
    const had = this.has(peerHex)
    this.eager.delete(peerHex)
    this.lazy.delete(peerHex)
    return had
  }

  peers(): PeerId[] {
    return [...this.eager.values(), ...this.lazy.values()]
  }

  /** Ids of cached messages, oldest first. */
  ids(nowMs: number): MessageId[] {
    const out: MessageId[] = []
    for (const entry of this.cache.values(nowMs)) out.push(entry.id)
    return out
  }
}
