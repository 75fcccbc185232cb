/**
 * The JSON-safe shapes a node reports about itself: `status()`, `peers()` and received messages as
 * the control socket carries them. Kept separate from the node so the CLI can use the types without
 * pulling in the whole stack.
 */
import type { NatStatus } from '@saorsa-gossip/transport'

export interface NodeStatus {
  peerId: string
  state: 'stopped' | 'starting' | 'running' | 'stopping'
  listenAddrs: string[]
  /** HyParView active view (the overlay neighbours). */
  activePeers: number
  /** HyParView passive view (backup peers). */
  passivePeers: number
  /** Open secure connections. */
  connections: number
  topics: string[]
  uptimeMs: number
  published: number
  delivered: number
  /** Payload copies received again after the first (Plumtree redundancy: RMR = duplicates / delivered). */
  duplicates: number
  /** ML-DSA-65 signature checks performed (at most one per message, after deduplication). */
  signatureChecks: number
  /** Non-zero drop counters of pubsub (received messages refused, by reason) and its driver (`driver:` prefix). */
  dropped: Record<string, number>
  /** NAT traversal: reflexive address, NAT class, relayed addresses, how each peer is reached (while running). */
  nat?: NatStatus
}

export interface PeerInfo {
  peerId: string
  /** 'active' = overlay neighbour; 'passive' = known backup; 'connected' = connection without a view slot. */
  view: 'active' | 'passive' | 'connected'
  addrs: string[]
  /** SWIM state when known. */
  health?: 'alive' | 'suspect' | 'dead'
}

/** A delivered pubsub message in its JSON form (control socket, `pubsub subscribe --json`). */
export interface MessageJson {
  topic: string
  /** Message id (hex). */
  id: string
  /** PeerId of the author (hex): the signature was verified against its key. */
  origin: string
  /** PeerId of the neighbour it arrived from (hex); equals `origin` for a first hop. */
  from: string
  hops: number
  seq: number
  /** Author's wall-clock time at publish (ms since the epoch). */
  timestampMs: number
  /** Payload, base64. */
  payload: string
}

export interface PublishResultJson {
  topic: string
  id: string
  /** Neighbours the message was sent to eagerly. */
  sentTo: number
}

/** A joined topic's Plumtree tree at this node (Leitao et al. 2007): eager-push and lazy (IHAVE) neighbours, hex PeerIds. */
export interface TopicTree {
  topic: string
  eager: string[]
  lazy: string[]
}
