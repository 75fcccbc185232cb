/**
 * @packageDocumentation
 * Overlay membership for Saorsa Gossip: HyParView active and passive views (DSN 2007) watched by
 * SWIM failure detection with Lifeguard (Das, Gupta, Motivala, DSN 2002; arXiv:1707.00788), composed
 * in one sans-IO core (see the `./proto` export), run by a thin driver over the post-quantum
 * Transport's 'mship' stream class, with the wire codec of SPEC.md section 6. `peer:up` and
 * `peer:down` announce the active view: the neighbour set that gossip broadcasts over.
 *
 * @example
 * ```ts
 * import { Identity } from '@saorsa-gossip/identity'
 * import { createTransport } from '@saorsa-gossip/transport'
 * import { createMembership, MEMBERSHIP_LAN } from '@saorsa-gossip/membership'
 *
 * const transport = createTransport({ identity: Identity.generate() })
 * await transport.listen('tcp://127.0.0.1:0')
 * const membership = createMembership({ transport, config: MEMBERSHIP_LAN })
 * membership.addEventListener('peer:up', (e) => console.log('neighbour', e.detail.peer.toShortString(), e.detail.addrs))
 * membership.addEventListener('peer:down', (e) => console.log('gone', e.detail.peer.toShortString()))
 * membership.addEventListener('peer:dead', (e) => console.log('dead', e.detail.peer.toShortString()))
 * await membership.start()
 * await membership.join(['tcp://192.0.2.10:4000'], { signal: AbortSignal.timeout(10_000) })
 * console.log(membership.neighbors(), membership.metrics().dropped)
 * await membership.leave()
 * await membership.stop()
 * ```
 */
import { MembershipService, type Membership, type MembershipInit } from './service.ts'

/** Creates a membership service on a transport. Call `start()`, then `join()`. */
export function createMembership(init: MembershipInit): Membership {
  return new MembershipService(init)
}

export type {
  AbortOptions, Membership, MembershipEvents, MembershipInit, MembershipMetrics, PeerEventDetail, PeerHealthEventDetail,
} from './service.ts'
export { JoinError } from './errors.ts'
export { MEMBERSHIP_PROTOCOL } from './protocol.ts'
export { MEMBERSHIP_LAN, MEMBERSHIP_LOCAL, MEMBERSHIP_WAN, validateMembershipConfig, type MembershipConfig } from './config.ts'
export { SWIM_LAN, SWIM_LOCAL, SWIM_WAN, validateSwimConfig, type SwimConfig } from './proto/swim-config.ts'
export { IDLE_CONNECTIONS_LAN, IDLE_CONNECTIONS_WAN, IdleConnectionReaper, validateIdleConnectionConfig, type IdleConnectionConfig, type ConnectionCensus } from './idle-connections.ts'
export { decodeMembershipMessage, encodeMembershipMessage, MAX_WALK_TTL, type MembershipMessage } from './codec.ts'
export { MembershipDriver, type CoreBinding, type DriverMetrics, type DropReason } from './driver.ts'
export type { SwimMember, SwimEvent, SwimCommand } from './proto/swim.ts'
export type { SwimMessage, SwimUpdate, SwimState } from './proto/swim-messages.ts'
export type { HyParViewMessage, PeerInfo } from './proto/hyparview-messages.ts'
export type { MembershipEvent, MembershipCommand, MembershipTimer } from './proto/membership.ts'
