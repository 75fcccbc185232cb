/**
 * Plumtree broadcast quality on the shipped stack (HyParView + SWIM + pubsub, LAN preset) at 100 and
 * 1,000 nodes, against iroh-gossip's published simulation bars (tests/sim.rs): single sender
 * RMR < 0.2 and LDH < 15, random senders RMR < 1 and LDH < 18, all peers sending RMR < 3 and
 * LDH < 30, zero missed deliveries. Fixed seeds; the first round includes the tree's formation.
 *
 * The shipped LAN preset keeps 8 to 12 neighbours per node where iroh-gossip (and these scenarios on
 * bare HyParView with the LOCAL preset) keep 5: every extra link carries one more copy while a tree
 * forms and is pruned. Single-sender RMR went from about 0.08 to about 0.115 (bound 0.15, still
 * inside iroh's 0.2), and with all 100 peers sending at once, each of 100 trees forming together, from
 * below 3 to about 3.5 (bound 4, above iroh's bar of 3 for its 5-neighbour views).
 */
import { describe, expect, it } from 'vitest'
import { TopicId } from '@saorsa-gossip/types'
import { PubSubNetwork, type RoundMetrics } from '../src/stacks/pubsub-network.ts'

const TOPIC = TopicId.fromName('sim/broadcast')
const SEEDS = [0, 1, 42, 123]

const mean = (rounds: RoundMetrics[], f: (r: RoundMetrics) => number) => rounds.reduce((a, r) => a + f(r), 0) / rounds.length
const summary = (rounds: RoundMetrics[]) => ({
  rmr: Number(mean(rounds, (r) => r.rmr).toFixed(3)),
  ldh: Number(mean(rounds, (r) => r.ldh).toFixed(2)),
  maxLdh: Math.max(...rounds.map((r) => r.ldh)),
  missed: rounds.reduce((a, r) => a + r.missed, 0),
})

async function warmNetwork(seed: number, nodes: number): Promise<PubSubNetwork> {
  const net = new PubSubNetwork({ seed, nodes })
  net.join(TOPIC)
  await net.sim.runForAsync(10_000)
  return net
}

describe('Plumtree on the shipped stack, 100 nodes', () => {
  it.each(SEEDS)('keeps single-sender RMR below 0.15 and meets the iroh-gossip bars for random senders (seed %d)', async (seed) => {
    const net = await warmNetwork(seed, 100)
    const single: RoundMetrics[] = []
    for (let r = 0; r < 30; r++) single.push(await net.roundAsync([net.ids[0]!], TOPIC))
    const rng = net.sim.forkRng('senders')
    const random: RoundMetrics[] = []
    for (let r = 0; r < 30; r++) random.push(await net.roundAsync([net.ids[rng.nextInt(net.ids.length)]!], TOPIC))
    const all: RoundMetrics[] = []
    for (let r = 0; r < 3; r++) all.push(await net.roundAsync(net.ids, TOPIC, 10_000))
    const report = { seed, single: summary(single), random: summary(random), all: summary(all) }
    console.log(`pubsub broadcast 100 nodes ${JSON.stringify(report)}`)
    expect(report.single.rmr).toBeLessThan(0.15)
    expect(report.single.ldh).toBeLessThan(15)
    expect(report.single.missed).toBe(0)
    expect(report.random.rmr).toBeLessThan(1)
    expect(report.random.ldh).toBeLessThan(18)
    expect(report.random.missed).toBe(0)
    expect(report.all.rmr).toBeLessThan(4)
    expect(report.all.ldh).toBeLessThan(30)
    expect(report.all.missed).toBe(0)
    expect(net.duplicateDeliveries).toBe(0)
  })
})

describe('Plumtree on the shipped stack, 1,000 nodes', () => {
  it('delivers every single-sender message to every node with RMR below 0.4 and LDH below 15 (seed 0)', async () => {
    const net = await warmNetwork(0, 1_000)
    const single: RoundMetrics[] = []
    for (let r = 0; r < 10; r++) single.push(await net.roundAsync([net.ids[0]!], TOPIC))
    const report = { ...summary(single), firstRoundRmr: Number(single[0]!.rmr.toFixed(3)), laterRmr: summary(single.slice(1)).rmr }
    console.log(`pubsub broadcast 1000 nodes ${JSON.stringify(report)}`)
    // Ten rounds, so the tree's formation in round 1 weighs a tenth of the mean.
    expect(report.rmr).toBeLessThan(0.4)
    expect(report.laterRmr).toBeLessThan(0.15)
    expect(report.ldh).toBeLessThan(15)
    expect(report.missed).toBe(0)
    expect(net.duplicateDeliveries).toBe(0)
  })
})
