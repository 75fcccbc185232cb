import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DecodeError, LIMITS, PeerId, encodeCbor } from '@saorsa-gossip/types'
import { decodeMembershipMessage, encodeMembershipMessage, type MembershipMessage } from '../src/codec.ts'
import { GOLDEN, membershipMessageArb } from './codec-fixtures.ts'

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const wireUpdate = { peer: id(1), state: 'alive', incarnation: 0, from: id(1) }

describe('membership codec', () => {
  it('round-trips every valid message: decode(encode(m)) equals m and re-encoding gives the same bytes', () => {
    fc.assert(fc.property(membershipMessageArb, (m) => {
      const bytes = encodeMembershipMessage(m)
      const back = decodeMembershipMessage(bytes)
      expect(back).toEqual(m)
      expect(encodeMembershipMessage(back)).toEqual(bytes)
    }), { numRuns: 1000, seed: 61 })
  })

  it.each(GOLDEN)('round-trips the %s example', (_name, m) => {
    expect(decodeMembershipMessage(encodeMembershipMessage(m))).toEqual(m)
  })

  it('rejects a frame over LIMITS.maxMshipFrameBytes before parsing it', () => {
    const big = new Uint8Array(LIMITS.maxMshipFrameBytes + 1)
    expect(() => decodeMembershipMessage(big)).toThrow(/exceeds cap/)
  })

  it('rejects one update over LIMITS.maxSwimUpdates', () => {
    const at = encodeCbor({ layer: 'swim', type: 'gossip', updates: Array(LIMITS.maxSwimUpdates).fill(wireUpdate) })
    const over = encodeCbor({ layer: 'swim', type: 'gossip', updates: Array(LIMITS.maxSwimUpdates + 1).fill(wireUpdate) })
    expect(decodeMembershipMessage(at).msg).toMatchObject({ type: 'gossip' })
    expect(() => decodeMembershipMessage(over)).toThrow(DecodeError)
  })

  it('rejects one peer over LIMITS.maxShuffleIds', () => {
    const peer = { id: id(2), addrs: [] }
    const over = encodeCbor({ layer: 'hyparview', type: 'shuffle-reply', peers: Array(LIMITS.maxShuffleIds + 1).fill(peer) })
    expect(() => decodeMembershipMessage(over)).toThrow(DecodeError)
  })

  it('rejects too many addresses and addresses that are too long', () => {
    const many = encodeCbor({ layer: 'hyparview', type: 'join', addrs: Array(LIMITS.maxAddressesPerPeer + 1).fill('mem://a') })
    const long = encodeCbor({ layer: 'hyparview', type: 'join', addrs: ['m'.repeat(LIMITS.maxAddressLength + 1)] })
    expect(() => decodeMembershipMessage(many)).toThrow(DecodeError)
    expect(() => decodeMembershipMessage(long)).toThrow(DecodeError)
  })

  it('rejects unknown layers, unknown types, unknown fields, missing fields and short ids', () => {
    const bad = [
      { layer: 'plumtree', type: 'ping', seq: 1, updates: [] },
      { layer: 'swim', type: 'pong', seq: 1, updates: [] },
      { layer: 'swim', type: 'nack', seq: 1, extra: 1 },
      { layer: 'swim', type: 'ping', updates: [] },
      { layer: 'swim', type: 'ping-req', seq: 1, target: new Uint8Array(31), nack: true, updates: [] },
      { layer: 'hyparview', type: 'forward-join', peer: { id: id(1), addrs: [] }, ttl: 256 },
      { layer: 'swim', type: 'ping', seq: -1, updates: [] },
      { layer: 'swim', type: 'ack', seq: 1, updates: [{ ...wireUpdate, state: 'zombie' }] },
    ]
    for (const value of bad) expect(() => decodeMembershipMessage(encodeCbor(value))).toThrow(DecodeError)
  })

  it('refuses to encode a message with a field over its cap', () => {
    const peer = PeerId.fromBytes(id(3))
    const updates = Array(LIMITS.maxSwimUpdates + 1).fill({ peer, state: 'alive', incarnation: 0, from: peer })
    const tooMany: MembershipMessage = { layer: 'swim', msg: { type: 'gossip', updates } }
    expect(() => encodeMembershipMessage(tooMany)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    const badTtl: MembershipMessage = { layer: 'hyparview', msg: { type: 'forward-join', peer: { id: peer, addrs: [] }, ttl: 300 } }
    expect(() => encodeMembershipMessage(badTtl)).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
  })
})
