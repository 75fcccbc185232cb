/**
 * SWIM wire messages as plain data (Das, Gupta, Motivala, "SWIM: Scalable Weakly-consistent
 * Infection-style Process Group Membership Protocol", DSN 2002, sections 3 and 4; nack from
 * Lifeguard, arXiv:1707.00788, section IV-A). The codec in `../codec.ts` encodes exactly these
 * shapes; the core in `swim.ts` consumes and produces them.
 */
import type { PeerId } from '@saorsa-gossip/types'

/** What a membership update asserts about a member. */
export type SwimState = 'alive' | 'suspect' | 'dead'

/**
 * One piggybacked membership update (SWIM section 4.1). Incarnation numbers order updates about the
 * same member: only the member itself raises its incarnation, to refute a suspicion (section 4.2).
 * `from` is the member that raised the update; distinct `from`s of one suspicion are independent
 * confirmations (Lifeguard LHA-Suspicion).
 */
export interface SwimUpdate {
  readonly peer: PeerId
  readonly state: SwimState
  readonly incarnation: number
  readonly from: PeerId
}

/** Direct probe; the receiver answers with an ACK carrying the same `seq`. */
export interface PingMessage {
  readonly type: 'ping'
  readonly seq: number
  /** At most `LIMITS.maxSwimUpdates` entries. */
  readonly updates: readonly SwimUpdate[]
}

/** Answer to a PING, or an indirect ack relayed by a PING-REQ helper with the prober's `seq`. */
export interface AckMessage {
  readonly type: 'ack'
  readonly seq: number
  readonly updates: readonly SwimUpdate[]
}

/**
 * Asks the receiver to probe `target` and relay its ack under `seq` (SWIM section 3.1, indirect
 * probing). With `nack` set the helper answers NACK when the target stays silent (Lifeguard).
 */
export interface PingReqMessage {
  readonly type: 'ping-req'
  readonly seq: number
  readonly target: PeerId
  readonly nack: boolean
  readonly updates: readonly SwimUpdate[]
}

/** A PING-REQ helper heard nothing from the target in time: proof that the prober is being heard. */
export interface NackMessage {
  readonly type: 'nack'
  readonly seq: number
}

/**
 * Membership updates pushed to a few random members every gossip interval while any are pending
 * (memberlist's gossip loop), so news spreads in sub-second rounds rather than probe periods.
 */
export interface GossipMessage {
  readonly type: 'gossip'
  readonly updates: readonly SwimUpdate[]
}

export type SwimMessage = PingMessage | AckMessage | PingReqMessage | NackMessage | GossipMessage

export type SwimMessageType = SwimMessage['type']
