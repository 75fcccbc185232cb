/**
 * The rendezvous edge of the shipped stack, on one node's outbox: providing a target joins its
 * shard topic through pubsub (the subscription reaches the neighbour), registers the summary with
 * the shard's server over `/saorsa/rendezvous/1`, and surfaces the rendezvous event.
 */
import { describe, expect, it } from 'vitest'
import { shardOf, shardTopicName } from '@saorsa-gossip/rendezvous/proto'
import { decodeSignedSummary } from '@saorsa-gossip/rendezvous/wire'
import { PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { GossipStack, STACK_PRESETS, type StackInput, type StackOutput } from '../src/proto/stack.ts'

const keyOf = (n: number) => new Uint8Array(1952).fill(n)
const A = PeerId.fromPublicKey(keyOf(1))
const B = PeerId.fromPublicKey(keyOf(2))
const WALL = 1_767_225_600_000

function feed(stack: GossipStack, input: StackInput, nowMs = 1_000): StackOutput[] {
  const out: StackOutput[] = []
  stack.handle(input, nowMs, out)
  return out
}

describe('the shipped stack with rendezvous', () => {
  it('provide: joins the shard topic through pubsub, registers with the shard server, and emits provided', () => {
    const stack = new GossipStack({
      self: { id: A, publicKey: keyOf(1) }, verify: () => true, rng: new SeededRng(5), config: STACK_PRESETS.lan,
      revealedKey: (peer) => (peer.equals(B) ? keyOf(2) : undefined),
      rendezvous: { signSummary: () => new Uint8Array(8), signHeader: () => new Uint8Array(8), verifySummary: () => true, wallOffsetMs: WALL },
    })
    feed(stack, { type: 'command', command: { layer: 'membership', command: { type: 'join', contacts: [{ id: B, addrs: [] }] } } })
    feed(stack, { type: 'recv', from: B, msg: { layer: 'membership', msg: { layer: 'hyparview', msg: { type: 'neighbor-reply', accepted: true } } } })
    feed(stack, { type: 'command', command: { layer: 'rendezvous', command: { type: 'servers', peers: [B] } } })
    const target = new Uint8Array(32).fill(9)
    const out = feed(stack, { type: 'command', command: { layer: 'rendezvous', command: {
      type: 'provide', target, capabilities: ['DOC'], addressHints: [], lifetimeMs: 3_600_000,
    } } })
    const topic = TopicId.fromName(shardTopicName(shardOf(target)))
    const subscribe = out.find((o) => o.type === 'send' && o.to.equals(B) && o.msg.layer === 'pubsub' && o.msg.msg.type === 'subscribe')
    expect(subscribe).toBeDefined()
    expect((subscribe as unknown as { msg: { msg: { topics: TopicId[] } } }).msg.msg.topics.map((t) => t.toHex())).toContain(topic.toHex())
    const register = out.find((o) => o.type === 'send' && o.to.equals(B) && o.msg.layer === 'rendezvous')
    expect(register).toMatchObject({ msg: { layer: 'rendezvous', msg: { type: 'register' } } })
    const summary = decodeSignedSummary((register as unknown as { msg: { msg: { summary: Uint8Array } } }).msg.msg.summary).summary
    // The rendezvous core reads Unix time: the stack's time plus the wall offset.
    expect(summary.issuedAtMs).toBe(WALL + 1_000)
    expect(out.some((o) => o.type === 'emit' && o.event.layer === 'rendezvous' && o.event.event.type === 'provided')).toBe(true)
  })
})
