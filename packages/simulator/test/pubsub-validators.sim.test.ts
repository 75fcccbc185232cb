/**
 * Topic validators over 100 simulated nodes (Plumtree over HyParView): a message every node's
 * validator rejects is validated only by the publisher's direct topic neighbours, delivered and
 * forwarded by nobody, never repaired by IHAVE/GRAFT or anti-entropy, and costs its publisher
 * score at each of those neighbours; an accepted message still reaches everyone.
 */
import { describe, expect, it } from 'vitest'
import { TopicId, type PeerId } from '@saorsa-gossip/types'
import { PubSubNetwork } from '../src/stacks/pubsub-network.ts'

const TOPIC = TopicId.fromName('sim/validated')
const BAD = 0xff

describe('Topic validators, 100 nodes', () => {
  it('stops a rejected message at the publisher\'s direct neighbours and lowers their scores for it (seed 21)', async () => {
    const net = new PubSubNetwork({ seed: 21, nodes: 100, validate: (_node, request) => (request.payload[0] === BAD ? 'reject' : 'accept') })
    net.join(TOPIC)
    for (const id of net.ids) net.sim.command(id, { layer: 'pubsub', command: { type: 'set-validator', topic: TOPIC, timeoutMs: 1_000 } })
    await net.sim.runForAsync(10_000)
    const publisher = net.ids[17]!

    // An accepted message still reaches every node through the validators.
    const good = net.round([publisher], TOPIC)
    expect(good.missed).toBe(0)

    const core = (id: PeerId) => net.stack(id).pubsub
    const neighbours = [...core(publisher).eagerPeers(TOPIC), ...core(publisher).lazyPeers(TOPIC)]
    const scoreBefore = new Map(neighbours.map((n) => [n.toHex(), core(n).peers.peek(publisher)?.score.score(net.sim.now) ?? 0]))
    const badId = net.publish(publisher, TOPIC, new Uint8Array([BAD]))
    const validatedBy = () => new Set(
      net.events.filter((e) => e.event.type === 'validate' && e.event.request.id.toHex() === badId).map((e) => e.node.toHex()),
    )
    // Graft timers have long fired after 2 s; scores decay (0.9 per second), so read them now.
    await net.sim.runForAsync(2_000)
    const early = validatedBy()
    expect(early.size).toBeGreaterThan(0)
    for (const n of neighbours.filter((p) => early.has(p.toHex()))) {
      const state = core(n).peers.peek(publisher)!
      expect(state.score.counter('rejected', net.sim.now)).toBeGreaterThan(0)
      expect(state.score.score(net.sim.now)).toBeLessThan(scoreBefore.get(n.toHex())!)
      expect(core(n).drops['validation-rejected']).toBe(1)
    }
    // Then every node's anti-entropy round (30 s +- 25 %) passes twice: nothing spreads it further.
    // The publisher's neighbours change meanwhile (shuffles, SWIM), and its anti-entropy offers its
    // own message to new ones, so "direct neighbours" is every peer that was one during the window.
    const neighbourKeys = new Set(neighbours.map((n) => n.toHex()))
    for (let t = 0; t < 78; t++) {
      await net.sim.runForAsync(1_000)
      for (const n of [...core(publisher).eagerPeers(TOPIC), ...core(publisher).lazyPeers(TOPIC)]) neighbourKeys.add(n.toHex())
    }
    const all = validatedBy()
    console.log(`pubsub validators 100 nodes: ${JSON.stringify({ neighbours: neighbourKeys.size, validatedBy: all.size, delivered: net.deliveries.get(badId)?.size ?? 0 })}`)
    expect([...all].every((n) => neighbourKeys.has(n))).toBe(true)
    expect(all.size).toBeLessThan(20)
    expect(net.deliveries.get(badId)?.size ?? 0).toBe(0)
    // Nobody else ever held it: every other node's validator never saw it and nothing was rejected there.
    for (const id of net.ids) {
      if (!all.has(id.toHex())) expect(core(id).drops['validation-rejected']).toBe(0)
    }
  })
})
