/**
 * Broadcast on the shipped stack at scale. At 10,000 nodes a join storm left a few nodes in small
 * overlay components (pairs and cliques) whose passive views held only full peers, which refuse the
 * low-priority requests of a node that has a neighbour, so no refill or shuffle ever left them and
 * every broadcast missed them: not a pubsub fault (their topic links were fine; no IHAVE, push or
 * GRAFT ever reached them). Membership now gets them out (SPEC 6.2): a node with at most half its
 * active view that gained no neighbour for two maintenance periods sends one high-priority NEIGHBOR request, and
 * neighbours lost to a failure are asked again at the merge ticks. The pair scenario cuts a pair
 * off on purpose and runs always; the 10,000-node broadcast runs with SIM_LARGE=1 (figures in
 * docs/benchmarks.md).
 */
import { describe, expect, it } from 'vitest'
import { TopicId, type PeerId } from '@saorsa-gossip/types'
import { STACK_PRESETS } from '@saorsa-gossip/node/stack'
import { PubSubNetwork, type RoundMetrics } from '../src/stacks/pubsub-network.ts'

const TOPIC = TopicId.fromName('sim/scale')
const join = (net: PubSubNetwork, id: PeerId, contact: PeerId) =>
  net.sim.command(id, { layer: 'membership', command: { type: 'join', contacts: [{ id: contact, addrs: [] }] } })

/** Nodes reachable from `from` over the active views. */
function component(net: PubSubNetwork, from: PeerId): Set<string> {
  const seen = new Set([from.toHex()])
  const queue = [from]
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    const stack = net.stack(id)
    if (!('membership' in stack)) continue
    for (const peer of stack.membership.activeView()) {
      if (!seen.has(peer.toHex())) {
        seen.add(peer.toHex())
        queue.push(peer)
      }
    }
  }
  return seen
}

describe('broadcast on the shipped stack at scale', () => {
  /**
   * Bound: the peers on both sides of the cut keep each other as failed neighbours and ask them at
   * their merge ticks (every 30 s); one asked in vain during the cut is due again within two ticks.
   */
  it('reconnects a pair cut off from the overlay through the neighbours it lost, so broadcasts reach it again (seed 5)', async () => {
    const net = new PubSubNetwork({ seed: 5, nodes: 200 })
    net.join(TOPIC)
    await net.sim.runForAsync(5_000)
    // Y joins through an overlay node, X through Y; then the pair is cut off until every link and
    // passive entry across the cut has failed, which leaves two nodes that only know each other.
    const rng = net.sim.forkRng('pair')
    const y = net.addNode({ publicKey: rng.fill(new Uint8Array(32)), secret: undefined })
    const x = net.addNode({ publicKey: rng.fill(new Uint8Array(32)), secret: undefined })
    net.join(TOPIC, [x, y])
    join(net, y, net.ids[1]!)
    await net.sim.runForAsync(2_000)
    join(net, x, y)
    await net.sim.runForAsync(5_000)
    net.sim.partition([[x, y]])
    await net.sim.runForAsync(60_000)
    const cutOff = !component(net, x).has(net.ids[0]!.toHex())
    net.sim.heal()
    const healedAt = net.sim.now
    const joined = await net.sim.runUntilAsync(() => component(net, x).has(net.ids[0]!.toHex()), { timeoutMs: 120_000, checkEveryMs: 100 })
    const joinedAfterMs = net.sim.now - healedAt
    const round = await net.roundAsync([net.ids[0]!], TOPIC)
    console.log(`pubsub pair cut off: ${JSON.stringify({ cutOff, joined, joinedAfterMs, missed: round.missed })}`)
    expect(cutOff).toBe(true)
    expect(joined).toBe(true)
    expect(joinedAfterMs).toBeLessThanOrEqual(2 * STACK_PRESETS.lan.membership.hyparview.mergeIntervalMs + 1_000)
    expect(round.missed).toBe(0)
  })

  /**
   * 45 s of warm-up: a node cut off by the join storm (over by 2 s) escapes once two maintenance
   * periods (10 s each in LAN) passed without a new neighbour, at its third maintenance tick after
   * joining at the latest (about 32 s), and a warm-up ending at 25 s left such cliques unreached.
   */
  it.runIf(process.env.SIM_LARGE === '1')('delivers every single-sender broadcast on 10,000 nodes joined through one contact each (seed 0)', async () => {
    const started = performance.now()
    const net = new PubSubNetwork({ seed: 0, nodes: 10_000 })
    net.join(TOPIC)
    await net.sim.runForAsync(45_000)
    const rounds: RoundMetrics[] = []
    for (let r = 0; r < 5; r++) rounds.push(await net.roundAsync([net.ids[0]!], TOPIC))
    const later = rounds.slice(1)
    const report = {
      missed: rounds.reduce((a, r) => a + r.missed, 0), deliveries: rounds.reduce((a, r) => a + r.deliveries, 0),
      firstRmr: Number(rounds[0]!.rmr.toFixed(3)), laterRmr: Number((later.reduce((a, r) => a + r.rmr, 0) / later.length).toFixed(3)),
      ldh: Math.max(...rounds.map((r) => r.ldh)), components: component(net, net.ids[0]!).size === 10_000 ? 1 : 'split',
      wallS: Number(((performance.now() - started) / 1_000).toFixed(1)), rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
    }
    console.log(`pubsub broadcast 10000 nodes ${JSON.stringify(report)}`)
    expect(report.missed).toBe(0)
    expect(net.duplicateDeliveries).toBe(0)
  }, 1_800_000)
})
