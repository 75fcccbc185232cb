/**
 * Wire encoding of membership messages (SPEC.md section 6): one CBOR map per message (RFC 8949, the
 * shared fixed cbor-x configuration from @saorsa-gossip/types) tagged by `layer` ('hyparview' or
 * 'swim') and `type`, with every repeated field capped and the frame cap LIMITS.maxMshipFrameBytes
 * checked before parsing. Decoding throws only `DecodeError`; encoding rejects values over a cap.
 */
import { InvalidParametersError, LIMITS, decodeCbor, encodeCbor, schema } from '@saorsa-gossip/types'
import type { PeerId, Schema } from '@saorsa-gossip/types'
import type { HyParViewMessage, PeerInfo } from './proto/hyparview-messages.ts'
import type { MembershipMessage } from './proto/membership.ts'
import type { SwimMessage, SwimUpdate } from './proto/swim-messages.ts'

/** Everything that travels on the 'mship' stream class (defined beside the core that speaks it). */
export type { MembershipMessage }

/** Random-walk hop counts above this are rejected (the presets use at most 6). */
export const MAX_WALK_TTL = 255

const { array, bool, literal, object, optional, peerId, text, transform, uint, variant } = schema

const addrs = array(text({ max: LIMITS.maxAddressLength }), { max: LIMITS.maxAddressesPerPeer })
const peerInfo: Schema<PeerInfo> = object({ id: peerId(), addrs })
const peerInfos = array(peerInfo, { max: LIMITS.maxShuffleIds })
const ttl = uint({ max: MAX_WALK_TTL })
const seq = uint()
const update: Schema<SwimUpdate> = object({
  peer: peerId(), state: literal('alive', 'suspect', 'dead'), incarnation: uint(), from: peerId(),
})
const updates = array(update, { max: LIMITS.maxSwimUpdates })

type Field = Schema<unknown> | schema.OptionalSchema<unknown>
type FieldValue<S> = S extends Schema<infer V> ? V : S extends schema.OptionalSchema<infer V> ? V | undefined : never

/** One variant: the map holds `layer`, `type` and exactly `fields` (optional ones may be absent); the result drops `layer`. */
function message<L extends string, T extends string, F extends Record<string, Field>, R>(
  layer: L, type: T, fields: F, build: (o: { [K in keyof F]: FieldValue<F[K]> }) => R,
): Schema<R> {
  const shape = object({ layer: literal(layer), type: literal(type), ...fields }) as unknown as
    Schema<{ [K in keyof F]: FieldValue<F[K]> }>
  return transform(shape, build)
}

const hyparview = variant('type', {
  join: message('hyparview', 'join', { addrs }, (o) => ({ type: 'join', addrs: o.addrs })),
  'forward-join': message('hyparview', 'forward-join', { peer: peerInfo, ttl }, (o) => ({ type: 'forward-join', peer: o.peer, ttl: o.ttl })),
  neighbor: message('hyparview', 'neighbor', { priority: literal('high', 'low'), addrs }, (o) => ({ type: 'neighbor', priority: o.priority, addrs: o.addrs })),
  'neighbor-reply': message('hyparview', 'neighbor-reply', { accepted: bool() }, (o) => ({ type: 'neighbor-reply', accepted: o.accepted })),
  shuffle: message('hyparview', 'shuffle', { origin: peerInfo, ttl, peers: peerInfos }, (o) => ({ type: 'shuffle', origin: o.origin, ttl: o.ttl, peers: o.peers })),
  'shuffle-reply': message('hyparview', 'shuffle-reply', { peers: peerInfos, origin: optional(peerId()) },
    (o) => (o.origin === undefined ? { type: 'shuffle-reply', peers: o.peers } : { type: 'shuffle-reply', peers: o.peers, origin: o.origin })),
  disconnect: message('hyparview', 'disconnect', { alive: bool() }, (o) => ({ type: 'disconnect', alive: o.alive })),
}) as Schema<HyParViewMessage>

const swim = variant('type', {
  ping: message('swim', 'ping', { seq, updates }, (o) => ({ type: 'ping', seq: o.seq, updates: o.updates })),
  ack: message('swim', 'ack', { seq, updates }, (o) => ({ type: 'ack', seq: o.seq, updates: o.updates })),
  'ping-req': message('swim', 'ping-req', { seq, target: peerId(), nack: bool(), updates },
    (o) => ({ type: 'ping-req', seq: o.seq, target: o.target, nack: o.nack, updates: o.updates })),
  nack: message('swim', 'nack', { seq }, (o) => ({ type: 'nack', seq: o.seq })),
  gossip: message('swim', 'gossip', { updates }, (o) => ({ type: 'gossip', updates: o.updates })),
}) as Schema<SwimMessage>

const membershipMessage: Schema<MembershipMessage> = variant('layer', {
  hyparview: transform(hyparview, (msg) => ({ layer: 'hyparview' as const, msg })),
  swim: transform(swim, (msg) => ({ layer: 'swim' as const, msg })),
})

/** Decodes one 'mship' message. Throws `DecodeError` for anything but a well-formed, capped message. */
export function decodeMembershipMessage(bytes: Uint8Array): MembershipMessage {
  return decodeCbor(bytes, membershipMessage, { maxBytes: LIMITS.maxMshipFrameBytes })
}

/** Encodes one 'mship' message. Throws `InvalidParametersError` when a field is over its cap. */
export function encodeMembershipMessage(message: MembershipMessage): Uint8Array {
  const body = message.layer === 'hyparview' ? hyparviewFields(message.msg) : swimFields(message.msg)
  const bytes = encodeCbor({ layer: message.layer, ...body })
  if (bytes.length > LIMITS.maxMshipFrameBytes) {
    throw new InvalidParametersError(`membership message of ${bytes.length} bytes exceeds LIMITS.maxMshipFrameBytes`)
  }
  return bytes
}

function capped<T>(items: readonly T[], max: number, name: string): readonly T[] {
  if (items.length > max) throw new InvalidParametersError(`${name}: ${items.length} entries exceed the cap of ${max}`)
  return items
}

function wireAddrs(list: readonly string[]): string[] {
  for (const a of capped(list, LIMITS.maxAddressesPerPeer, 'addrs')) {
    if (a.length > LIMITS.maxAddressLength) throw new InvalidParametersError(`addrs: address longer than ${LIMITS.maxAddressLength}`)
  }
  return [...list]
}

const wirePeer = (p: PeerInfo): Record<string, unknown> => ({ id: p.id.bytes, addrs: wireAddrs(p.addrs) })
const wirePeers = (list: readonly PeerInfo[]): unknown[] => capped(list, LIMITS.maxShuffleIds, 'peers').map(wirePeer)
const wireTtl = (n: number): number => {
  if (!Number.isInteger(n) || n < 0 || n > MAX_WALK_TTL) throw new InvalidParametersError(`ttl must be an integer in [0, ${MAX_WALK_TTL}]`)
  return n
}
const wireUpdates = (list: readonly SwimUpdate[]): unknown[] =>
  capped(list, LIMITS.maxSwimUpdates, 'updates').map((u) => ({ peer: u.peer.bytes, state: u.state, incarnation: u.incarnation, from: u.from.bytes }))
const idBytes = (id: PeerId): Uint8Array => id.bytes

function hyparviewFields(m: HyParViewMessage): Record<string, unknown> {
  switch (m.type) {
    case 'join': return { type: m.type, addrs: wireAddrs(m.addrs) }
    case 'forward-join': return { type: m.type, peer: wirePeer(m.peer), ttl: wireTtl(m.ttl) }
    case 'neighbor': return { type: m.type, priority: m.priority, addrs: wireAddrs(m.addrs) }
    case 'neighbor-reply': return { type: m.type, accepted: m.accepted }
    case 'shuffle': return { type: m.type, origin: wirePeer(m.origin), ttl: wireTtl(m.ttl), peers: wirePeers(m.peers) }
    case 'shuffle-reply': return m.origin === undefined ? { type: m.type, peers: wirePeers(m.peers) } : { type: m.type, peers: wirePeers(m.peers), origin: idBytes(m.origin) }
    case 'disconnect': return { type: m.type, alive: m.alive }
  }
}

function swimFields(m: SwimMessage): Record<string, unknown> {
  switch (m.type) {
    case 'ping':
    case 'ack': return { type: m.type, seq: m.seq, updates: wireUpdates(m.updates) }
    case 'ping-req': return { type: m.type, seq: m.seq, target: idBytes(m.target), nack: m.nack, updates: wireUpdates(m.updates) }
    case 'nack': return { type: m.type, seq: m.seq }
    case 'gossip': return { type: m.type, updates: wireUpdates(m.updates) }
  }
}
