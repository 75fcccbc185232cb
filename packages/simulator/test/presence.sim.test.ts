/**
 * Presence over 100 simulated nodes (HyParView + Plumtree, beacons validated by the presence core
 * in pubsub's topic validator): how fast a member coming online is seen by the group, and that
 * 10 % message loss for an hour of virtual time never makes a member look offline.
 */
import { describe, expect, it } from 'vitest'
import { payloadHash, pick, utf8 } from '@saorsa-gossip/types'
import { activeView, FoafFinder, overlayDistances } from '../src/scenarios/presence-find.ts'
import { PresenceNetwork } from '../src/stacks/presence-network.ts'

const GROUP = 'sim-group'
const SECRET = payloadHash(utf8('sim presence secret'))

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

describe('Presence, 100 members', () => {
  it('shows a member coming online to at least 99 % of the group within 2 s at p95 (seed 7, 30 members)', async () => {
    const p = new PresenceNetwork({ seed: 7, nodes: 100 })
    p.addGroup(GROUP, SECRET)
    await p.net.sim.runForAsync(15_000)
    const times: number[] = []
    const others = p.ids.length - 1
    for (const member of p.ids.slice(0, 30)) {
      const start = p.net.sim.now
      p.announce(member, GROUP)
      const seenBy = () => p.events.filter((e) => e.time >= start && e.event.type === 'member-online' && e.event.member.equals(member)).length
      await p.net.sim.runUntilAsync(() => seenBy() >= Math.ceil(0.99 * others), { timeoutMs: 10_000, checkEveryMs: 10 })
      times.push(seenBy() >= Math.ceil(0.99 * others) ? p.net.sim.now - start : Infinity)
      await p.net.sim.runForAsync(1_000)
    }
    const p95 = percentile(times, 95)
    console.log(`presence online 100 nodes: ${JSON.stringify({ p50: percentile(times, 50), p95, max: Math.max(...times), verdicts: p.verdicts })}`)
    expect(p95).toBeLessThanOrEqual(2_000)
    expect(p.verdicts.reject).toBe(0)
  })

  it('never reports a member offline under 10 % message loss for an hour of virtual time (seed 11, default interval and TTL)', async () => {
    const p = new PresenceNetwork({ seed: 11, nodes: 100 })
    p.addGroup(GROUP, SECRET)
    await p.net.sim.runForAsync(15_000)
    // The overlay forms on a clean network (joins ride on reliable connections); then every message,
    // membership and pubsub alike, is lost with probability 0.1 for the whole hour.
    p.net.sim.setLossRate(0.1)
    for (const id of p.ids) p.announce(id, GROUP)
    await p.net.sim.runForAsync(3_600_000)
    const expired = p.events.filter((e) => e.event.type === 'member-offline').length
    const seen = p.ids.map((id) => p.core(id).online(GROUP, p.net.sim.now).length)
    const dropped = p.net.sim.report().messages.dropped
    console.log(`presence 10 % loss 1 h: ${JSON.stringify({ offlineEvents: expired, minSeen: Math.min(...seen), onlineEvents: p.events.filter((e) => e.event.type === 'member-online').length, verdicts: p.verdicts, lost: dropped['loss'] ?? 0 })}`)
    expect(dropped['loss'] ?? 0).toBeGreaterThan(0)
    expect(expired).toBe(0)
    expect(Math.min(...seen)).toBe(p.ids.length - 1)
  // About 70 s of CPU for an hour of 100 stacks; the limit leaves room for a loaded machine.
  }, 900_000)

  it('finds a user two overlay hops away in at least 80 % of 50 trials, touching at most 39 nodes (seed 5)', async () => {
    const p = new PresenceNetwork({ seed: 5, nodes: 100 })
    await p.net.sim.runForAsync(15_000)
    const rng = p.net.sim.forkRng('find-trials')
    const finder = new FoafFinder(p, p.net.sim.forkRng('foaf-keys'))
    const trials = []
    const targets = new Set<string>()
    for (let i = 0; i < 50; i++) {
      // The target's friends: its overlay neighbours, in one group with it, who hear its beacons.
      const target = pick(rng, p.ids)!
      targets.add(target.toHex())
      const friends = activeView(p, target)
      const group = `friends-${i}`
      p.addGroup(group, payloadHash(utf8(group)), [target, ...friends])
      p.setAddrs(target, [`tcp://10.1.0.${i}:4001`])
      p.announce(target, group)
      await p.net.sim.runForAsync(3_000)
      const twoHops = [...overlayDistances(p, target)].filter(([, d]) => d === 2).map(([hex]) => p.ids.find((id) => id.toHex() === hex)!)
      const requester = pick(rng, twoHops)
      if (requester === undefined) continue
      trials.push(await finder.find(requester, target, rng))
    }
    const found = trials.filter((t) => t.found).length / trials.length
    const maxTouched = Math.max(...trials.map((t) => t.touched))
    const meanTouched = trials.reduce((a, t) => a + t.touched, 0) / trials.length
    console.log(`presence find-user 100 nodes: ${JSON.stringify({ trials: trials.length, found, maxTouched, meanTouched })}`)
    // Nobody has heard a node that never announced: the same query finds nothing.
    const silent = p.ids.find((id) => !targets.has(id.toHex()))!
    const asker = p.ids.find((id) => !id.equals(silent))!
    expect((await finder.find(asker, silent, rng)).found).toBe(false)
    expect(trials.length).toBeGreaterThanOrEqual(45)
    expect(found).toBeGreaterThanOrEqual(0.8)
    expect(maxTouched).toBeLessThanOrEqual(39)
  })
})
