/**
 * The crdt-sync edge of the shipped stack, on two stacks wired to each other: opening a document
 * joins its topic, a local increment is published as a signed delta and applied by the other node,
 * the topic's tree neighbours become the document's anti-entropy neighbours, and a delta carrying
 * another origin's changes is refused by the validator (crdt-rules.ts, the rule the service applies).
 */
import { describe, expect, it } from 'vitest'
import { CounterDoc, CRDT_LOCAL, encodeSyncFrame } from '@saorsa-gossip/crdt-sync'
import { Publisher } from '@saorsa-gossip/pubsub/wire'
import { PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { GossipStack, STACK_PRESETS, type StackInput, type StackOutput } from '../src/proto/stack.ts'

const keyOf = (n: number) => new Uint8Array(1952).fill(n)
const ids = [PeerId.fromPublicKey(keyOf(1)), PeerId.fromPublicKey(keyOf(2))] as const
const DOC = TopicId.fromName('crdt/tally')

describe('the shipped stack with crdt-sync', () => {
  it('publishes a local change as a delta the other node applies, and refuses a delta of another origin', () => {
    const stacks = ids.map((id, i) => new GossipStack({
      self: { id, publicKey: keyOf(i + 1) }, verify: () => true, rng: new SeededRng(i), config: STACK_PRESETS.lan,
      revealedKey: (peer) => keyOf(peer.equals(ids[0]) ? 1 : 2),
      crdt: { config: CRDT_LOCAL, signHeader: () => new Uint8Array(8) },
    }))
    const queue: Array<{ to: number; input: StackInput }> = []
    const feed = (i: number, input: StackInput) => {
      const out: StackOutput[] = []
      stacks[i]!.handle(input, 1_000, out)
      for (const o of out) if (o.type === 'send') queue.push({ to: o.to.equals(ids[0]) ? 0 : 1, input: { type: 'recv', from: ids[i]!, msg: o.msg } })
      return out
    }
    const pump = () => {
      for (let n = 0; queue.length > 0 && n < 1_000; n++) {
        const { to, input } = queue.shift()!
        feed(to, input)
      }
    }
    feed(0, { type: 'peer-up', peer: ids[1] })
    feed(1, { type: 'peer-up', peer: ids[0] })
    feed(1, { type: 'command', command: { layer: 'membership', command: { type: 'join', contacts: [{ id: ids[0], addrs: [] }] } } })
    pump()
    const counters = ids.map((id, i) => {
      const counter = new CounterDoc(id.toHex())
      counter.onLocal = (payload) => feed(i, { type: 'command', command: { layer: 'crdt', command: { type: 'local', doc: DOC.toHex(), payload } } })
      feed(i, { type: 'command', command: { layer: 'crdt', command: { type: 'open', doc: DOC.toHex(), state: counter } } })
      return counter
    })
    pump()
    counters[0]!.add(3)
    pump()
    expect(counters[1]!.value).toBe(3)
    expect(stacks[1]!.crdt!.doc(DOC.toHex())!.versionVector()).toEqual([[ids[0].toHex(), 1]])
    // The topic neighbour is the document's anti-entropy neighbour: a round goes to node 1.
    const round = feed(0, { type: 'command', command: { layer: 'crdt', command: { type: 'sync-now', doc: DOC.toHex() } } })
    expect(round.some((o) => o.type === 'send' && o.to.equals(ids[1]) && o.msg.layer === 'crdt' && o.msg.msg.msg.type === 'summary')).toBe(true)
    pump()

    // Node 0 publishes, under its own signature, a delta claiming node 1's changes (with a fresh
    // sequence number: a reused one would be dropped earlier, by the anti-replay window).
    const forged = encodeSyncFrame({ doc: DOC, msg: { type: 'delta', bundle: { cover: [[ids[1].toHex(), 0, 1]], deps: [], payload: new CounterDoc(ids[1].toHex()).snapshot() } } })
    feed(0, { type: 'command', command: { layer: 'pubsub', command: { type: 'publish', topic: DOC, message: new Publisher(ids[0], () => new Uint8Array(8), 1_000).build(DOC, forged, 1_000), requestId: 1 } } })
    pump()
    expect(stacks[1]!.pubsub.drops['validation-rejected']).toBe(1)
    expect(stacks[1]!.crdt!.doc(DOC.toHex())!.versionVector()).toEqual([[ids[0].toHex(), 1]])
  })
})
