/**
 * createMembership over the in-memory carrier with fake timers: a node whose bootstrap peer is not
 * up yet keeps redialling it with capped backoff and joins once it appears, within one backoff cap;
 * and a node given several contacts keeps them all, so its merge check bridges two overlays.
 */
import { describe, expect, it, vi } from 'vitest'
import { Identity } from '@saorsa-gossip/identity'
import { SeededRng } from '@saorsa-gossip/types'
import type { Clock } from '@saorsa-gossip/types'
import { createMemoryNetwork, createTransport, type MemoryNetwork, type Transport } from '@saorsa-gossip/transport'
import { createMembership, MEMBERSHIP_LAN, MEMBERSHIP_LOCAL, type Membership, type MembershipConfig } from '../src/index.ts'
import { run, useFakeTimersAndStop } from './memory-harness.ts'

const clock: Clock = { now: () => Date.now(), wallNow: () => Date.now() }
const identities = Array.from({ length: 6 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(160 + i) }))

interface Node { transport: Transport; addr: string; membership: Membership }

async function makeNode(net: MemoryNetwork, index: number, config: MembershipConfig): Promise<Node> {
  const transport = createTransport({ identity: identities[index]!, carriers: [net.carrier()] })
  const addr = await transport.listen(`mem://redial-${index}`)
  const membership = createMembership({ transport, config, rng: new SeededRng(300 + index), clock })
  await membership.start()
  return { transport, addr, membership }
}

async function runUntil(predicate: () => boolean, maxMs: number): Promise<number> {
  let waited = 0
  while (!predicate() && waited < maxMs) {
    await run(100)
    waited += 100
  }
  return waited
}

describe('membership: a node that starts before its bootstrap peer', () => {
  let nodes: Node[] = []
  useFakeTimersAndStop(() => nodes)

  it('redials with capped backoff and joins within one backoff cap of the peer appearing', async () => {
    const net = createMemoryNetwork()
    nodes = []
    const early = await makeNode(net, 0, MEMBERSHIP_LAN)
    nodes.push(early)
    const dial = vi.spyOn(early.transport, 'dial')
    await expect(early.membership.join(['mem://redial-1'])).rejects.toMatchObject({ name: 'JoinError' })
    // Alone for ten minutes of virtual time: 1, 2, 4, 8 and 16 s, then every 15-30 s (the jittered cap).
    await run(600_000)
    expect(early.membership.neighbors()).toEqual([])
    const redials = dial.mock.calls.length - 1
    expect(redials).toBeGreaterThanOrEqual(5 + Math.floor((600_000 - 31_000) / 30_000))
    expect(redials).toBeLessThanOrEqual(5 + Math.ceil((600_000 - 15_500) / 15_000))
    expect(dial.mock.calls.every(([addr]) => addr === 'mem://redial-1')).toBe(true)

    const late = await makeNode(net, 1, MEMBERSHIP_LAN)
    nodes.push(late)
    const waited = await runUntil(() => early.membership.neighbors().length > 0, 60_000)
    expect(early.membership.neighbors().map((p) => p.toHex())).toEqual([late.transport.peerId.toHex()])
    expect(late.membership.neighbors().map((p) => p.toHex())).toEqual([early.transport.peerId.toHex()])
    expect(waited).toBeLessThanOrEqual(MEMBERSHIP_LAN.hyparview.redialMaxMs)
  })

  it('redials again once it becomes isolated later, starting from the shortest delay', async () => {
    const net = createMemoryNetwork()
    nodes = []
    const a = await makeNode(net, 2, MEMBERSHIP_LOCAL)
    let b = await makeNode(net, 3, MEMBERSHIP_LOCAL)
    nodes.push(a, b)
    await a.membership.join([b.addr])
    expect(await runUntil(() => a.membership.neighbors().length === 1, 5_000)).toBeLessThan(5_000)
    // b goes away for a minute and comes back at the same address with the same identity.
    await b.membership.stop()
    await b.transport.close()
    nodes = [a]
    await runUntil(() => a.membership.neighbors().length === 0, 5_000)
    expect(a.membership.neighbors()).toEqual([])
    await run(60_000)
    b = await makeNode(net, 3, MEMBERSHIP_LOCAL)
    nodes.push(b)
    const waited = await runUntil(() => a.membership.neighbors().length === 1, 20_000)
    expect(a.membership.neighbors().length).toBe(1)
    expect(waited).toBeLessThanOrEqual(MEMBERSHIP_LOCAL.hyparview.redialMaxMs)
  })
})

describe('membership: every contact stays known', () => {
  let nodes: Node[] = []
  useFakeTimersAndStop(() => nodes)

  it('two overlays formed apart merge through the merge check of a node given contacts in both', async () => {
    const net = createMemoryNetwork()
    nodes = []
    for (let i = 0; i < 6; i++) nodes.push(await makeNode(net, i, MEMBERSHIP_LOCAL))
    const [a0, a1, a2, b0, b1, b2] = nodes as [Node, Node, Node, Node, Node, Node]
    await a1.membership.join([a0.addr])
    await a2.membership.join([a0.addr])
    await b1.membership.join([b0.addr])
    // b2 answers through its first contact (b0) and keeps a0 for later.
    await b2.membership.join([b0.addr, a0.addr])
    const oneOverlay = (): boolean => {
      const seen = new Set([nodes[0]!.transport.peerId.toHex()])
      for (let grew = true; grew;) {
        grew = false
        for (const n of nodes) {
          if (!seen.has(n.transport.peerId.toHex())) continue
          for (const p of n.membership.neighbors()) {
            if (seen.has(p.toHex())) continue
            seen.add(p.toHex())
            grew = true
          }
        }
      }
      return seen.size === nodes.length
    }
    const waited = await runUntil(oneOverlay, 30_000)
    expect(oneOverlay()).toBe(true)
    // The first merge tick comes within one interval; the dial and the NEIGHBOR exchange take milliseconds.
    expect(waited).toBeLessThanOrEqual(2 * MEMBERSHIP_LOCAL.hyparview.mergeIntervalMs)
  })
})
