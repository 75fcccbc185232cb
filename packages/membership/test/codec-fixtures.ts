/**
 * One fixed example of every membership message kind (the golden vectors of SPEC.md section 6)
 * and fast-check arbitraries producing any valid message, for the codec tests.
 */
import fc from 'fast-check'
import { LIMITS, PeerId } from '@saorsa-gossip/types'
import type { MembershipMessage } from '../src/codec.ts'
import type { PeerInfo } from '../src/proto/hyparview-messages.ts'
import type { SwimUpdate } from '../src/proto/swim-messages.ts'

const id = (n: number): PeerId => PeerId.fromBytes(new Uint8Array(32).fill(n))
const info = (n: number, addrs: string[]): PeerInfo => ({ id: id(n), addrs })

/** Named examples, one per kind, in SPEC.md order. */
export const GOLDEN: ReadonlyArray<readonly [string, MembershipMessage]> = [
  ['hyparview join', { layer: 'hyparview', msg: { type: 'join', addrs: ['tcp://192.0.2.1:4000'] } }],
  ['hyparview forward-join', { layer: 'hyparview', msg: { type: 'forward-join', peer: info(0x11, ['tcp://192.0.2.1:4000']), ttl: 6 } }],
  ['hyparview neighbor', { layer: 'hyparview', msg: { type: 'neighbor', priority: 'high', addrs: ['tcp://192.0.2.2:4000'] } }],
  ['hyparview neighbor-reply', { layer: 'hyparview', msg: { type: 'neighbor-reply', accepted: true } }],
  ['hyparview shuffle', { layer: 'hyparview', msg: { type: 'shuffle', origin: info(0x11, ['tcp://192.0.2.1:4000']), ttl: 3, peers: [info(0x22, ['mem://b']), info(0x33, [])] } }],
  ['hyparview shuffle-reply', { layer: 'hyparview', msg: { type: 'shuffle-reply', peers: [info(0x44, ['wt://[2001:db8::1]:443'])] } }],
  ['hyparview shuffle-reply along the walk', { layer: 'hyparview', msg: { type: 'shuffle-reply', peers: [info(0x44, ['wt://[2001:db8::1]:443'])], origin: id(0x11) } }],
  ['hyparview disconnect', { layer: 'hyparview', msg: { type: 'disconnect', alive: false } }],
  ['swim ping', { layer: 'swim', msg: { type: 'ping', seq: 7, updates: [{ peer: id(0x22), state: 'suspect', incarnation: 3, from: id(0x11) }] } }],
  ['swim ack', { layer: 'swim', msg: { type: 'ack', seq: 7, updates: [{ peer: id(0x22), state: 'alive', incarnation: 4, from: id(0x22) }] } }],
  ['swim ping-req', { layer: 'swim', msg: { type: 'ping-req', seq: 8, target: id(0x33), nack: true, updates: [] } }],
  ['swim nack', { layer: 'swim', msg: { type: 'nack', seq: 8 } }],
  ['swim gossip', { layer: 'swim', msg: { type: 'gossip', updates: [{ peer: id(0x33), state: 'dead', incarnation: 1, from: id(0x11) }] } }],
]

const peerIdArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => PeerId.fromBytes(b))
const addrArb = fc.string({ maxLength: LIMITS.maxAddressLength })
const addrsArb = fc.array(addrArb, { maxLength: LIMITS.maxAddressesPerPeer })
const peerInfoArb = fc.record({ id: peerIdArb, addrs: addrsArb })
const peersArb = fc.array(peerInfoArb, { maxLength: LIMITS.maxShuffleIds })
const ttlArb = fc.integer({ min: 0, max: 255 })
const seqArb = fc.maxSafeNat()
const updateArb: fc.Arbitrary<SwimUpdate> = fc.record({
  peer: peerIdArb, state: fc.constantFrom('alive' as const, 'suspect' as const, 'dead' as const), incarnation: fc.maxSafeNat(), from: peerIdArb,
})
const updatesArb = fc.array(updateArb, { maxLength: LIMITS.maxSwimUpdates })

/** Any valid membership message. */
export const membershipMessageArb: fc.Arbitrary<MembershipMessage> = fc.oneof(
  fc.record({ type: fc.constant('join' as const), addrs: addrsArb }),
  fc.record({ type: fc.constant('forward-join' as const), peer: peerInfoArb, ttl: ttlArb }),
  fc.record({ type: fc.constant('neighbor' as const), priority: fc.constantFrom('high' as const, 'low' as const), addrs: addrsArb }),
  fc.record({ type: fc.constant('neighbor-reply' as const), accepted: fc.boolean() }),
  fc.record({ type: fc.constant('shuffle' as const), origin: peerInfoArb, ttl: ttlArb, peers: peersArb }),
  fc.record({ type: fc.constant('shuffle-reply' as const), peers: peersArb }),
  fc.record({ type: fc.constant('shuffle-reply' as const), peers: peersArb, origin: peerIdArb }),
  fc.record({ type: fc.constant('disconnect' as const), alive: fc.boolean() }),
).map((msg): MembershipMessage => ({ layer: 'hyparview', msg })).chain((hv) => fc.oneof(
  fc.constant(hv),
  fc.oneof(
    fc.record({ type: fc.constant('ping' as const), seq: seqArb, updates: updatesArb }),
    fc.record({ type: fc.constant('ack' as const), seq: seqArb, updates: updatesArb }),
    fc.record({ type: fc.constant('ping-req' as const), seq: seqArb, target: peerIdArb, nack: fc.boolean(), updates: updatesArb }),
    fc.record({ type: fc.constant('nack' as const), seq: seqArb }),
    fc.record({ type: fc.constant('gossip' as const), updates: updatesArb }),
  ).map((msg): MembershipMessage => ({ layer: 'swim', msg })),
))
