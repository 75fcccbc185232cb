/**
 * The coordinator layer's figures (SPEC.md section 9, docs/benchmarks.md), fixed seeds, asserted:
 * 1,000 nodes and 10 coordinators, a fresh advert reaches at least 99 % of nodes within 2 s (p95 of
 * delivery latency under 2 s); a new node that knows one live contact and no coordinator finds one
 * through FOAF in at least 95 % of trials when 10 % of nodes cache adverts, a query touches at most 39
 * nodes and no node handles a query twice.
 */
import { describe, expect, it } from 'vitest'
import { COORDINATOR_DOMAIN, validateAdvert } from '@saorsa-gossip/coordinator'
import { encodeCbor, encodeSignedEnvelope, shuffled, type PeerId } from '@saorsa-gossip/types'
import { CoordinatorNetwork, simVerify } from '../src/scenarios/coordinator-network.ts'
import { distribution } from '../src/stats.ts'

const COORDINATORS = 10

describe('coordinator adverts over Plumtree, 1,000 nodes', () => {
  it('a fresh advert reaches at least 99 % of nodes within 2 s, p95 latency under 2 s (seed 7)', async () => {
    const net = new CoordinatorNetwork({ seed: 7, nodes: 1_000 })
    net.joinAdvertTopic()
    await net.sim.runForAsync(10_000)
    const rng = net.sim.forkRng('coordinators')
    const coordinators = shuffled(rng, net.ids).slice(0, COORDINATORS)
    const publishedAt = new Map<string, number>()
    for (const [i, c] of coordinators.entries()) {
      net.sim.at(net.sim.now + i * 300, () => {
        publishedAt.set(c.toHex(), net.sim.now)
        net.advertise(c)
      })
    }
    await net.sim.runForAsync(COORDINATORS * 300 + 5_000)
    const latencies: number[] = []
    const coverageAt2s: number[] = []
    for (const c of coordinators) {
      const t0 = publishedAt.get(c.toHex())!
      const times = net.events.filter((e) => e.event.type === 'advert-accepted' && e.event.publisher.equals(c)).map((e) => e.time - t0)
      latencies.push(...times)
      coverageAt2s.push(times.filter((t) => t <= 2_000).length / (net.ids.length - 1))
    }
    const d = distribution(latencies)
    const report = { minCoverageAt2s: Math.min(...coverageAt2s), p50: d.p50, p95: d.p95, max: d.max, dropped: net.events.filter((e) => e.event.type === 'advert-dropped').length }
    console.log(`coordinator adverts 1000 nodes ${JSON.stringify(report)}`)
    expect(report.minCoverageAt2s).toBeGreaterThanOrEqual(0.99)
    expect(report.p95).toBeLessThanOrEqual(2_000)
    expect(report.dropped).toBe(0)
  })
})

describe('FOAF FIND_COORDINATOR, 1,000 nodes, 10 % caching adverts', () => {
  it('a new node with one live contact finds a coordinator in at least 95 % of trials, touching at most 39 nodes, each once (seed 11)', async () => {
    const net = new CoordinatorNetwork({ seed: 11, nodes: 1_000 })
    await net.sim.runForAsync(10_000)
    const rng = net.sim.forkRng('roles')
    const order = shuffled(rng, net.ids)
    const coordinators = order.slice(0, COORDINATORS)
    const caching = order.slice(COORDINATORS, COORDINATORS + net.ids.length / 10)
    const adverts = coordinators.map((c) => net.advert(c))
    for (const node of caching) {
      for (const bytes of adverts) {
        const verdict = validateAdvert(bytes, { nowMs: net.wallNow, verify: simVerify })
        if (verdict.ok) net.stack(node).coordinator.cache.insert(verdict.advert, net.wallNow)
      }
    }
    const trials = 100
    const newcomers: PeerId[] = []
    // A newcomer asks 1.5 s after it joins; the next joins 500 ms later, so a few trials overlap, as
    // arrivals do in a real network, and 100 trials take 55 s of virtual time instead of 205.
    for (let t = 0; t < trials; t++) {
      net.sim.at(net.sim.now + t * 500, () => {
        const id = net.addNode()
        newcomers.push(id)
        net.join(id, net.ids[rng.nextInt(net.ids.length)]!)
        net.sim.at(net.sim.now + 1_500, () => net.findCoordinator(id, t))
      })
    }
    await net.sim.runForAsync(trials * 500 + 5_000)
    const found = new Set<number>()
    for (const e of net.events) {
      if (e.event.type === 'coordinator-found' && e.node.equals(newcomers[e.event.ref]!)) found.add(e.event.ref)
    }
    const touched = [...net.handled.values()].map((nodes) => nodes.size)
    const handledTwice = [...net.handled.values()].reduce((n, nodes) => n + [...nodes.values()].filter((k) => k > 1).length, 0)
    const report = {
      trials, queries: net.handled.size, successRate: found.size / trials, maxTouched: Math.max(...touched),
      meanTouched: Number((touched.reduce((a, b) => a + b, 0) / touched.length).toFixed(1)), handledTwice,
    }
    console.log(`coordinator FOAF 1000 nodes ${JSON.stringify(report)}`)
    expect(report.queries).toBe(trials)
    expect(report.successRate).toBeGreaterThanOrEqual(0.95)
    expect(report.maxTouched).toBeLessThanOrEqual(39)
    expect(report.handledTwice).toBe(0)
  })
})

describe('bad adverts, 1,000 nodes', () => {
  it('rejects forged, expired, over-long, oversized, too-many-hints and replayed adverts at the first hop, 100 % (seed 5)', async () => {
    const net = new CoordinatorNetwork({ seed: 5, nodes: 1_000 })
    net.joinAdvertTopic()
    await net.sim.runForAsync(10_000)
    const rng = net.sim.forkRng('roles')
    const [coordinator, attacker] = shuffled(rng, net.ids) as [PeerId, PeerId]
    const genuine = net.advert(coordinator)
    net.publishAdvert(coordinator, genuine)
    await net.sim.runForAsync(3_000)
    const accepted = (): number => net.events.filter((e) => e.event.type === 'advert-accepted').length
    const genuineReach = accepted()
    const signer = net.signer(attacker)
    const now = net.wallNow
    const body = (overrides: Record<string, unknown>): Record<string, unknown> => ({
      v: 1, id: attacker.bytes, pk: signer.publicKey, r: ['coordinator'], a: ['tcp://198.51.100.9:7000'], nat: 'eim',
      nb: now, na: now + 3_600_000, s: now, ...overrides,
    })
    const sign = (fields: Record<string, unknown>, tamper = false): Uint8Array => {
      const b = encodeCbor(body(fields))
      const sig = signer.sign(COORDINATOR_DOMAIN.advert, b)
      if (tamper) sig[0]! ^= 1
      return encodeSignedEnvelope({ body: b, sig })
    }
    const bad: Array<[string, Uint8Array]> = [
      ['forged', sign({}, true)],
      ['expired', sign({ nb: now - 7_200_000, na: now - 3_600_000 })],
      ['over-long validity', sign({ na: now + 25 * 3_600_000 })],
      ['oversized', sign({ a: Array.from({ length: 10 }, (_, i) => `tcp://${'x'.repeat(110)}${i}.example:7000`) })],
      ['too many hints', sign({ a: Array.from({ length: 11 }, (_, i) => `tcp://198.51.100.${i}:7000`) })],
      ['replayed', genuine],
    ]
    let forwarded = 0
    net.sim.on('send', (m) => {
      if (m.msg.layer === 'pubsub' && m.msg.msg.type === 'publish' && m.msg.msg.header.origin.equals(attacker) && !m.from.equals(attacker)) forwarded++
    })
    for (const [i, [, bytes]] of bad.entries()) net.sim.at(net.sim.now + i * 500, () => net.publishAdvert(attacker, bytes))
    await net.sim.runForAsync(bad.length * 500 + 5_000)
    const reasons: Record<string, number> = {}
    for (const e of net.events) if (e.event.type === 'advert-dropped') reasons[e.event.reason] = (reasons[e.event.reason] ?? 0) + 1
    const report = { genuineReach, acceptedAfterAttack: accepted() - genuineReach, forwardedBeyondFirstHop: forwarded, droppedByReason: reasons }
    console.log(`coordinator bad adverts 1000 nodes ${JSON.stringify(report)}`)
    expect(genuineReach).toBe(net.ids.length - 1)
    expect(report.acceptedAfterAttack).toBe(0)
    expect(report.forwardedBeyondFirstHop).toBe(0)
    expect(Object.keys(reasons).sort()).toEqual(['expired', 'origin-mismatch', 'oversized', 'bad-signature', 'too-many-hints', 'validity-too-long'].sort())
  })
})
