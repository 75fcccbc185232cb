/**
 * Plumtree's lazy push (SRDS 2007, section 3.1): IHAVE announcements queued per lazy peer and topic
 * and sent together `ihaveFlushMs` after the first (iroh-gossip's dispatch batching), at most
 * LIMITS.maxIhaveIds ids per message. An id the peer has announced to us or sent us before the
 * flush is withdrawn: both ends of a lazy link queue an IHAVE when a message reaches them close
 * together, and the later of the two tells the other nothing.
 */
import { LIMITS } from '@saorsa-gossip/types'
import type { MessageId, PeerId, TopicId } from '@saorsa-gossip/types'
import type { PubSubOutbox } from './messages.ts'

interface LazyBatch {
  readonly topic: TopicId
  readonly ids: MessageId[]
  readonly idHexes: string[]
  readonly hops: number[]
}

/** IHAVEs queued for one lazy peer until the next flush, and the queued ids it has shown it holds since. */
interface LazyPeer {
  readonly peer: PeerId
  readonly batches: Map<string, LazyBatch>
  readonly holds: Set<string>
}

export class LazyPush {
  readonly #flushMs: number
  readonly #peers = new Map<string, LazyPeer>()
  #armed = false

  constructor(flushMs: number) {
    this.#flushMs = flushMs
  }

  /** Queues `id` for `peer`, arming the flush timer if it is not armed. */
  queue(peer: PeerId, topic: TopicId, id: MessageId, hop: number, out: PubSubOutbox): void {
    const key = peer.toHex()
    let entry = this.#peers.get(key)
    if (entry === undefined) {
      entry = { peer, batches: new Map(), holds: new Set() }
      this.#peers.set(key, entry)
    }
    const topicKey = topic.toHex()
    let batch = entry.batches.get(topicKey)
    if (batch === undefined) {
      batch = { topic, ids: [], idHexes: [], hops: [] }
      entry.batches.set(topicKey, batch)
    }
    batch.ids.push(id)
    batch.idHexes.push(id.toHex())
    batch.hops.push(hop)
    if (!this.#armed) {
      this.#armed = true
      out.push({ type: 'schedule', delayMs: this.#flushMs, timer: { type: 'ihave-flush' } })
    }
  }

  /** `peerHex` announced or sent `idHex`: an IHAVE for it queued to that peer is withdrawn. */
  holds(peerHex: string, idHex: string): void {
    this.#peers.get(peerHex)?.holds.add(idHex)
  }

  /** Sends every queued batch to peers that are still neighbours; returns how many ids were withdrawn. */
  flush(isNeighbor: (peerHex: string) => boolean, out: PubSubOutbox): number {
    this.#armed = false
    let withdrawn = 0
    for (const [key, { peer, batches, holds }] of this.#peers) {
      if (!isNeighbor(key)) continue
      for (const batch of batches.values()) {
        const ids: MessageId[] = []
        const hops: number[] = []
        batch.ids.forEach((id, i) => {
          if (holds.has(batch.idHexes[i]!)) withdrawn++
          else {
            ids.push(id)
            hops.push(batch.hops[i]!)
          }
        })
        for (let i = 0; i < ids.length; i += LIMITS.maxIhaveIds) {
          const msg = { type: 'ihave' as const, topic: batch.topic, ids: ids.slice(i, i + LIMITS.maxIhaveIds), hops: hops.slice(i, i + LIMITS.maxIhaveIds) }
          out.push({ type: 'send', to: peer, msg })
        }
      }
    }
    this.#peers.clear()
    return withdrawn
  }

  forget(peerHex: string): void {
    this.#peers.delete(peerHex)
  }
}
