/**
 * HyParView wire messages as plain data (Leitao, Pereira, Rodrigues, "HyParView: a membership
 * protocol for reliable gossip-based broadcast", DSN 2007, section 4). The codec in `../codec.ts`
 * encodes exactly these shapes; the core in `hyparview.ts` consumes and produces them.
 * Peer addresses are opaque strings to the core (the driver dials them; the simulator leaves them empty).
 */
import { LIMITS } from '@saorsa-gossip/types'
import type { PeerId } from '@saorsa-gossip/types'

/** A peer as carried in membership messages: its id and at most `LIMITS.maxAddressesPerPeer` addresses. */
export interface PeerInfo {
  readonly id: PeerId
  readonly addrs: readonly string[]
}

/** Keeps at most `LIMITS.maxAddressesPerPeer` addresses of at most `LIMITS.maxAddressLength` characters. */
export function capAddrs(addrs: readonly string[]): string[] {
  return addrs.filter((a) => typeof a === 'string' && a.length <= LIMITS.maxAddressLength).slice(0, LIMITS.maxAddressesPerPeer)
}

/** A copy of a received PeerInfo with its addresses capped. */
export function toInfo(info: PeerInfo): PeerInfo {
  return { id: info.id, addrs: capAddrs(info.addrs) }
}

/** Sent by a newcomer to its contact node (paper section 4.2). */
export interface JoinMessage {
  readonly type: 'join'
  /** The newcomer's own addresses, so the contact can advertise it in FORWARD_JOIN walks. */
  readonly addrs: readonly string[]
}

/** A random walk announcing a newcomer; `ttl` starts at ARWL and is decremented per hop. */
export interface ForwardJoinMessage {
  readonly type: 'forward-join'
  readonly peer: PeerInfo
  readonly ttl: number
}

/**
 * Request to enter the receiver's active view. `high` priority (the sender's active view is empty)
 * must be accepted; `low` is accepted only if the receiver has a free active slot (section 4.3).
 */
export interface NeighborMessage {
  readonly type: 'neighbor'
  readonly priority: 'high' | 'low'
  readonly addrs: readonly string[]
}

export interface NeighborReplyMessage {
  readonly type: 'neighbor-reply'
  readonly accepted: boolean
}

/** A random walk carrying a sample of the origin's views; `ttl` starts at PRWL (section 4.4). */
export interface ShuffleMessage {
  readonly type: 'shuffle'
  readonly origin: PeerInfo
  readonly ttl: number
  /** At most `LIMITS.maxShuffleIds` entries. */
  readonly peers: readonly PeerInfo[]
}

/**
 * A sample of the receiver's passive view for the shuffle origin: sent straight to it when it is a
 * neighbour, otherwise back along the walk, each hop passing it to the one it had the walk from.
 */
export interface ShuffleReplyMessage {
  readonly type: 'shuffle-reply'
  /** At most `LIMITS.maxShuffleIds` entries. */
  readonly peers: readonly PeerInfo[]
  /** The shuffle origin, on a reply travelling back along the walk; absent on one sent straight to it. */
  readonly origin?: PeerId
}

/**
 * The sender removes the receiver from its active view. `alive: true` means the sender stays up
 * and the receiver may keep it in its passive view; `alive: false` means the sender is leaving.
 */
export interface DisconnectMessage {
  readonly type: 'disconnect'
  readonly alive: boolean
}

export type HyParViewMessage =
  | JoinMessage
  | ForwardJoinMessage
  | NeighborMessage
  | NeighborReplyMessage
  | ShuffleMessage
  | ShuffleReplyMessage
  | DisconnectMessage

export type HyParViewMessageType = HyParViewMessage['type']
