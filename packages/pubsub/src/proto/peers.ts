/**
 * Per-peer protection state: the decaying score (`score.ts`), two token buckets (published messages
 * and control messages, `token-bucket.ts`) and the graylist / disconnect flags that thresholds set.
 * Kept after a peer disconnects (bounded, oldest forgotten first) so a misbehaving peer that
 * reconnects returns with its bad score rather than a clean slate.
 */
import type { PeerId } from '@saorsa-gossip/types'
import { BoundedMap } from './caches.ts'
import type { PubSubConfig } from './config.ts'
import type { PubSubOutbox } from './messages.ts'
import { PeerScore, type ScoreCounter, type ScoreLevel } from './score.ts'
import { TokenBucket } from './token-bucket.ts'
import type { TopicState } from './topic.ts'

export interface PeerState {
  readonly id: PeerId
  readonly key: string
  readonly score: PeerScore
  readonly publishBucket: TokenBucket
  readonly controlBucket: TokenBucket
  graylisted: boolean
  disconnected: boolean
}

/** Peers remembered at once; far above any honest neighbour count. */
const MAX_TRACKED_PEERS = 10_000

export class Peers {
  readonly #config: PubSubConfig
  readonly #states = new BoundedMap<PeerState>(MAX_TRACKED_PEERS)

  constructor(config: PubSubConfig) {
    this.#config = config
  }

  get(id: PeerId, nowMs: number): PeerState {
    const key = id.toHex()
    let state = this.#states.get(key)
    if (state === undefined) {
      const c = this.#config
      state = {
        id, key, score: new PeerScore(c.score, nowMs),
        publishBucket: new TokenBucket(c.publishRatePerSecond, c.publishBurst, nowMs),
        controlBucket: new TokenBucket(c.controlRatePerSecond, c.controlBurst, nowMs),
        graylisted: false, disconnected: false,
      }
      this.#states.set(key, state)
    }
    return state
  }

  /** Existing state only (for inspection). */
  peek(id: PeerId): PeerState | undefined {
    return this.#states.get(id.toHex())
  }

  record(peer: PeerState, counter: ScoreCounter, nowMs: number): ScoreLevel {
    peer.score.record(counter, nowMs)
    return peer.score.level(nowMs)
  }

  /** True while the peer's score stays below the graylist threshold; clears the flags once it recovers. */
  isGraylisted(peer: PeerState, nowMs: number): boolean {
    if (!peer.graylisted) return false
    const level = peer.score.level(nowMs)
    if (level === 'graylisted' || level === 'disconnect') return true
    peer.graylisted = false
    peer.disconnected = false
    return false
  }

  /** Records a penalty and applies the threshold actions: prune from `topics`, graylist, disconnect. */
  penalize(peer: PeerState, counter: Exclude<ScoreCounter, 'firstDelivery' | 'duplicate'>, nowMs: number, topics: Iterable<TopicState>, out: PubSubOutbox): void {
    const level = this.record(peer, counter, nowMs)
    if (level === 'ok') return
    for (const state of topics) {
      if (state.eager.has(peer.key)) {
        state.addLazy(peer.id)
        out.push({ type: 'send', to: peer.id, msg: { type: 'prune', topic: state.topic } })
      }
    }
    if ((level === 'graylisted' || level === 'disconnect') && !peer.graylisted) {
      peer.graylisted = true
      out.push({ type: 'emit', event: { type: 'graylisted', peer: peer.id, score: peer.score.score(nowMs) } })
    }
    if (level === 'disconnect' && !peer.disconnected) {
      peer.disconnected = true
      out.push({ type: 'disconnect', peer: peer.id })
    }
  }

  /** Peers scored below the prune threshold are kept out of eager sets. */
  canBeEager(peer: PeerState, nowMs: number): boolean {
    return peer.score.level(nowMs) === 'ok'
  }
}
