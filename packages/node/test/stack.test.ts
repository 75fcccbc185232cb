/**
 * The shipped stack's cross-layer rules, checked on the whole outbox of one node's core: a
 * neighbour's handshake key reaches pubsub before the neighbour does, a lost neighbour leaves
 * pubsub, and a peer that pubsub's scoring disconnects leaves membership's active view.
 */
import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { GossipStack, STACK_PRESETS, onPubSubDisconnect, type StackInput, type StackOutput } from '../src/proto/stack.ts'

const TOPIC = TopicId.fromName('stack/rules')
const keyOf = (n: number) => new Uint8Array(32).fill(n)
const A = PeerId.fromPublicKey(keyOf(1))
const B = PeerId.fromPublicKey(keyOf(2))

function stackOf(): GossipStack {
  return new GossipStack({
    self: { id: A, publicKey: keyOf(1) }, verify: () => true, rng: new SeededRng(5), config: STACK_PRESETS.lan,
    revealedKey: (peer) => (peer.equals(B) ? keyOf(2) : undefined),
  })
}

function feed(stack: GossipStack, input: StackInput, nowMs = 1_000): StackOutput[] {
  const out: StackOutput[] = []
  stack.handle(input, nowMs, out)
  return out
}

/** A joins through B and B accepts: B becomes A's neighbour. */
function connected(): { stack: GossipStack; up: StackOutput[] } {
  const stack = stackOf()
  feed(stack, { type: 'command', command: { layer: 'pubsub', command: { type: 'join', topic: TOPIC } } })
  feed(stack, { type: 'command', command: { layer: 'membership', command: { type: 'join', contacts: [{ id: B, addrs: [] }] } } })
  const up = feed(stack, { type: 'recv', from: B, msg: { layer: 'membership', msg: { layer: 'hyparview', msg: { type: 'neighbor-reply', accepted: true } } } })
  return { stack, up }
}

const isNeighborEvent = (o: StackOutput, type: 'neighbor-up' | 'neighbor-down') =>
  o.type === 'emit' && o.event.layer === 'membership' && o.event.event.type === type && o.event.event.peer.equals(B)
const isSubscribeToB = (o: StackOutput) => o.type === 'send' && o.to.equals(B) && o.msg.layer === 'pubsub' && o.msg.msg.type === 'subscribe'

describe('the shipped stack', () => {
  it('gives pubsub the handshake key of a new neighbour, then the neighbour, after membership announced it', () => {
    const { stack, up } = connected()
    const upAt = up.findIndex((o) => isNeighborEvent(o, 'neighbor-up'))
    const subscribeAt = up.findIndex(isSubscribeToB)
    expect(upAt).toBeGreaterThanOrEqual(0)
    expect(subscribeAt).toBeGreaterThan(upAt)
    expect(stack.pubsub.keys.get(B)).toEqual(keyOf(2))
    expect(stack.pubsub.neighbors.has(B.toHex())).toBe(true)
    expect(stack.membership.activeView().map((p) => p.toHex())).toEqual([B.toHex()])
  })

  it('takes a neighbour that membership lost out of pubsub', () => {
    const { stack } = connected()
    const out = feed(stack, { type: 'recv', from: B, msg: { layer: 'membership', msg: { layer: 'hyparview', msg: { type: 'disconnect', alive: true } } } })
    expect(out.some((o) => isNeighborEvent(o, 'neighbor-down'))).toBe(true)
    expect(stack.pubsub.neighbors.has(B.toHex())).toBe(false)
  })

  it('drops from the active view a peer that pubsub scoring disconnects', () => {
    const { stack } = connected()
    let out: StackOutput[] = []
    // Unsolicited keys are stray traffic: each costs score until the disconnect threshold.
    for (let i = 0; i < 1_000 && !out.some((o) => o.type === 'disconnect'); i++) {
      out = feed(stack, { type: 'recv', from: B, msg: { layer: 'pubsub', msg: { type: 'key-response', keys: [keyOf(100 + (i % 100))] } } }, 1_000 + i)
    }
    const disconnectAt = out.findIndex((o) => o.type === 'disconnect' && o.peer.equals(B))
    expect(disconnectAt).toBeGreaterThanOrEqual(0)
    expect(out.findIndex((o) => isNeighborEvent(o, 'neighbor-down'))).toBeGreaterThan(disconnectAt)
    expect(stack.membership.isActive(B)).toBe(false)
    expect(stack.pubsub.neighbors.has(B.toHex())).toBe(false)
  })

  it('applies the disconnect rule to whatever membership side it is given', () => {
    const dropped: PeerId[] = []
    onPubSubDisconnect({ dropPeer: (peer) => dropped.push(peer) }, B)
    expect(dropped).toEqual([B])
  })
})
