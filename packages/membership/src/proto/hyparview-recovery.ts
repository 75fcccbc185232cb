/**
 * Two repairs of cut-off HyParView nodes that the paper (DSN 2007) leaves out. Reconnection to
 * failed neighbours after Serf (hashicorp/serf `reconnect`: failed members are kept, and every
 * ReconnectInterval of 30 s one of them is tried at random), so two halves of a healed partition
 * find each other again. And the escape of a stuck node: section 4.3 lets only a node with no
 * neighbour send a high-priority NEIGHBOR request, so a pair or clique whose passive peers are all
 * full stays cut off for good; a node with at most half of activeViewSize neighbours that gained
 * none for STUCK_MAINTENANCE_ROUNDS maintenance periods sends one high-priority request.
 */
import type { PeerId, Rng } from '@saorsa-gossip/types'
import type { PeerInfo } from './hyparview-messages.ts'

/**
 * Failed neighbours kept at once (oldest forgotten first): five full active views (activeViewMax
 * 12 in LAN), so a partition that takes every neighbour at once leaves all of them to try.
 */
export const MAX_FAILED_PEERS = 64

/**
 * A failed neighbour is kept 120 merge intervals (1 h in LAN, 2 h in WAN, 10 min in LOCAL). Serf
 * keeps failed members 24 h (ReconnectTimeout) but asks them with a probability numFailed / numAlive
 * that needs the cluster size, which a partial view does not know; the shorter age bounds the asks
 * of a peer that is gone for good (at most 13 in LAN with the backoff below).
 */
export const FAILED_RETENTION_MERGE_INTERVALS = 120

/** A failed peer asked in vain waits mergeIntervalMs * 2^(asks - 1), at most 2^4 = 16 intervals (8 min in LAN). */
export const RECONNECT_BACKOFF_MAX_DOUBLINGS = 4

/**
 * Maintenance periods (10 s each in LAN) a node may keep at most half of activeViewSize without gaining a
 * neighbour before it escapes. One period already asks every passive peer once (a refused peer is
 * asked again after one period); two keep the escape away from a survivor of a mass failure that is
 * still refilling (the 80 % kill refills within 30 s) and from a node whose requests are in flight.
 */
export const STUCK_MAINTENANCE_ROUNDS = 2

interface FailedPeer {
  readonly info: PeerInfo
  readonly failedAtMs: number
  asks: number
  nextAskMs: number
}

/** The next reconnection attempt; the second ask has high priority, as the merge check's (a full peer refuses low). */
export interface ReconnectAsk {
  readonly peer: PeerInfo
  readonly priority: 'low' | 'high'
}

/** Neighbours lost to a failure (connection loss or SWIM's verdict), kept to be asked again. */
export class FailedPeers {
  readonly #peers = new Map<string, FailedPeer>()
  readonly #mergeIntervalMs: number
  readonly #rng: Rng

  constructor(mergeIntervalMs: number, rng: Rng) {
    this.#mergeIntervalMs = mergeIntervalMs
    this.#rng = rng
  }

  get size(): number {
    return this.#peers.size
  }

  /** A neighbour failed: it becomes due at the next merge tick; beyond MAX_FAILED_PEERS the oldest goes. */
  add(info: PeerInfo, nowMs: number): void {
    const key = info.id.toHex()
    this.#peers.delete(key)
    this.#peers.set(key, { info, failedAtMs: nowMs, asks: 0, nextAskMs: nowMs })
    if (this.#peers.size > MAX_FAILED_PEERS) this.#peers.delete(this.#peers.keys().next().value!)
  }

  /** It is a neighbour again, or it left on purpose: nothing to reconnect. */
  delete(id: PeerId): void {
    this.#peers.delete(id.toHex())
  }

  /** Forgets peers failed longer than FAILED_RETENTION_MERGE_INTERVALS ago. */
  expire(nowMs: number): void {
    const oldest = nowMs - FAILED_RETENTION_MERGE_INTERVALS * this.#mergeIntervalMs
    for (const [key, peer] of this.#peers) if (peer.failedAtMs < oldest) this.#peers.delete(key)
  }

  /** One due peer at random (Serf picks one failed member at random), which then waits its backoff. */
  next(nowMs: number, skip: (id: PeerId) => boolean): ReconnectAsk | undefined {
    const due = [...this.#peers.values()].filter((p) => p.nextAskMs <= nowMs && !skip(p.info.id))
    if (due.length === 0) return undefined
    const peer = due[this.#rng.nextInt(due.length)]!
    peer.asks++
    peer.nextAskMs = nowMs + this.#mergeIntervalMs * 2 ** Math.min(peer.asks - 1, RECONNECT_BACKOFF_MAX_DOUBLINGS)
    return { peer: peer.info, priority: peer.asks === 2 ? 'high' : 'low' }
  }

  has(id: PeerId): boolean {
    return this.#peers.has(id.toHex())
  }
}

/** Counts maintenance periods that ended with the node short of neighbours and none gained. */
export class StuckWatch {
  #rounds = 0
  #gained = false

  /** A neighbour entered the active view. */
  gained(): void {
    this.#gained = true
  }

  /** Ends a maintenance period; true when the node has been stuck STUCK_MAINTENANCE_ROUNDS periods (the count restarts). */
  endPeriod(short: boolean): boolean {
    this.#rounds = short && !this.#gained ? this.#rounds + 1 : 0
    this.#gained = false
    if (this.#rounds < STUCK_MAINTENANCE_ROUNDS) return false
    this.#rounds = 0
    return true
  }
}
