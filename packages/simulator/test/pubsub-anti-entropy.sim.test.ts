/**
 * Steady-state anti-entropy on the shipped stack (SPEC.md section 7.4): 100 nodes, LAN preset,
 * random senders at 2 msg/s, real wire sizes. Periodic rounds open with a window digest, so nodes in
 * sync answer nothing; the bytes anti-entropy costs per node, the share of rounds that matched and
 * the missed deliveries are asserted on fixed seeds. Healing after a partition is in pubsub-faults.
 */
import { describe, expect, it } from 'vitest'
import { TopicId, type PeerId } from '@saorsa-gossip/types'
import { PubSubNetwork } from '../src/stacks/pubsub-network.ts'

const TOPIC = TopicId.fromName('sim/anti-entropy')
/** One passive-view shuffle and one anti-entropy period of the LAN preset. */
const WARM_UP_MS = 40_000
/** Four anti-entropy periods (30 s each, with jitter): every node runs about four rounds. */
const MEASURE_MS = 120_000
const ANTI_ENTROPY_KINDS = ['p:digest', 'p:have', 'p:sketch']

function antiEntropyBytes(net: PubSubNetwork): number {
  const perKind = net.sim.report().perKind
  return ANTI_ENTROPY_KINDS.reduce((sum, kind) => sum + (perKind[kind]?.bytes ?? 0), 0)
}

describe('anti-entropy in a steady state', () => {
  it.each([1, 2])('costs under 40 bytes a second per node at 2 msg/s on 100 nodes, most rounds matching by digest (seed %i)', async (seed) => {
    const net = new PubSubNetwork({ seed, nodes: 100, realSizes: true })
    net.join(TOPIC)
    await net.sim.runForAsync(WARM_UP_MS)
    const rng = net.sim.forkRng('senders')
    const published: Array<{ idHex: string; origin: PeerId }> = []
    const bytes0 = antiEntropyBytes(net)
    for (let t = 0; t < MEASURE_MS; t += 500) {
      const origin = net.ids[rng.nextInt(net.ids.length)]!
      published.push({ idHex: net.publish(origin, TOPIC, new Uint8Array([t & 0xff, t >> 8])), origin })
      await net.sim.runForAsync(500)
    }
    const perNodePerS = (antiEntropyBytes(net) - bytes0) / net.ids.length / (MEASURE_MS / 1_000)
    await net.sim.runForAsync(5_000)
    const counters = net.ids.map((id) => net.stack(id).pubsub.repairCounters)
    const matched = counters.reduce((n, c) => n + c.digestsMatched, 0)
    const differed = counters.reduce((n, c) => n + c.digestsDiffered, 0)
    const metrics = net.metrics(published, 0)
    const report = { messages: published.length, missed: metrics.missed, antiEntropyBytesPerNodePerS: Math.round(perNodePerS), digestsMatched: matched, digestsDiffered: differed }
    console.log(`pubsub anti-entropy steady state seed ${seed}: ${JSON.stringify(report)}`)
    expect(report.missed).toBe(0)
    expect(matched / (matched + differed)).toBeGreaterThanOrEqual(0.9)
    expect(perNodePerS).toBeLessThan(40)
  })

  it('a node cut off for 3 s, too short for anyone to drop a link, gets what it missed through a digest that differs (seed 3)', async () => {
    const net = new PubSubNetwork({ seed: 3, nodes: 100, realSizes: true })
    net.join(TOPIC)
    await net.sim.runForAsync(WARM_UP_MS)
    const isolated = net.ids[17]!
    const others = net.ids.filter((id) => !id.equals(isolated))
    const rng = net.sim.forkRng('senders')
    net.sim.partition([[isolated], others])
    const published: Array<{ idHex: string; origin: PeerId }> = []
    for (let t = 0; t < 3_000; t += 500) {
      const origin = others[rng.nextInt(others.length)]!
      published.push({ idHex: net.publish(origin, TOPIC, new Uint8Array([t & 0xff, t >> 8])), origin })
      await net.sim.runForAsync(500)
    }
    net.sim.heal()
    const healedAt = net.sim.now
    const differedBefore = net.ids.reduce((n, id) => n + net.stack(id).pubsub.repairCounters.digestsDiffered, 0)
    const done = await net.sim.runUntilAsync(() => published.every((m) => net.missing(m.idHex, m.origin).length === 0), { timeoutMs: 60_000, checkEveryMs: 250 })
    const differed = net.ids.reduce((n, id) => n + net.stack(id).pubsub.repairCounters.digestsDiffered, 0) - differedBefore
    console.log(`pubsub anti-entropy isolated node: ${JSON.stringify({ publishedWhileCut: published.length, healMs: net.sim.now - healedAt, digestsDiffered: differed, duplicates: net.duplicateDeliveries })}`)
    expect(done).toBe(true)
    expect(differed).toBeGreaterThan(0)
    expect(net.duplicateDeliveries).toBe(0)
  })
})
