/**
 * createMembership with the composite core over real transports on an in-memory network, with fake
 * timers for the driver: views form through one contact, a killed node (transport closed) is seen
 * as peer:down at once and the views repair from the passive view, and a hung node (connection open,
 * membership frames unanswered) is found by SWIM, declared dead and evicted.
 */
import { describe, expect, it } from 'vitest'
import { Identity } from '@saorsa-gossip/identity'
import { SeededRng } from '@saorsa-gossip/types'
import type { Clock, PeerId } from '@saorsa-gossip/types'
import { createMemoryNetwork, createTransport, type MemoryNetwork, type Transport } from '@saorsa-gossip/transport'
import { createMembership, MEMBERSHIP_LOCAL, type Membership, type MembershipConfig } from '../src/index.ts'
import { run, useFakeTimersAndStop } from './memory-harness.ts'

const clock: Clock = { now: () => Date.now(), wallNow: () => Date.now() }
const identities = Array.from({ length: 5 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(120 + i) }))
const nameOf = (p: PeerId): string => String(identities.findIndex((id) => id.peerId.equals(p)))

/** Active views of 2 (at most 3) so five nodes are not all neighbours and a loss needs a real repair. */
const SMALL_VIEWS: MembershipConfig = {
  ...MEMBERSHIP_LOCAL,
  hyparview: { ...MEMBERSHIP_LOCAL.hyparview, activeViewSize: 2, activeViewMax: 3 },
}

interface Node { index: number; transport: Transport; addr: string; membership: Membership; events: string[] }

async function makeNode(net: MemoryNetwork, index: number, config: MembershipConfig): Promise<Node> {
  const transport = createTransport({ identity: identities[index]!, carriers: [net.carrier()] })
  const addr = await transport.listen(`mem://svc-${index}`)
  const membership = createMembership({ transport, config, rng: new SeededRng(200 + index), clock })
  const events: string[] = []
  membership.addEventListener('peer:up', (e) => events.push(`up ${nameOf(e.detail.peer)}`))
  membership.addEventListener('peer:down', (e) => events.push(`down ${nameOf(e.detail.peer)}`))
  membership.addEventListener('peer:suspect', (e) => events.push(`suspect ${nameOf(e.detail.peer)}`))
  membership.addEventListener('peer:alive', (e) => events.push(`alive ${nameOf(e.detail.peer)}`))
  membership.addEventListener('peer:dead', (e) => events.push(`dead ${nameOf(e.detail.peer)}`))
  await membership.start()
  return { index, transport, addr, membership, events }
}


/** Runs until `predicate` holds or `maxMs` of virtual time passed; returns the virtual ms it took. */
async function until(predicate: () => boolean, maxMs: number): Promise<number> {
  let waited = 0
  while (!predicate() && waited < maxMs) {
    await run(100)
    waited += 100
  }
  expect(predicate()).toBe(true)
  return waited
}

const neighbourNames = (n: Node): string[] => n.membership.neighbors().map(nameOf).sort()

/** Every node's neighbours name it back. */
function symmetric(nodes: readonly Node[]): boolean {
  return nodes.every((n) => n.membership.neighbors().every((p) => {
    const other = nodes.find((m) => m.transport.peerId.equals(p))
    return other !== undefined && other.membership.neighbors().some((q) => q.equals(n.transport.peerId))
  }))
}

async function joinAll(nodes: readonly Node[]): Promise<void> {
  const [contact, ...rest] = nodes as [Node, ...Node[]]
  for (const n of rest) {
    await n.membership.join([contact.addr])
    await until(() => n.membership.neighbors().length > 0, 5_000)
  }
}

describe('membership service with the composite core', () => {
  let nodes: Node[] = []

  useFakeTimersAndStop(() => nodes)

  it('forms symmetric active views through one contact, then repairs them from the passive view when a node is killed', async () => {
    const net = createMemoryNetwork()
    nodes = []
    for (let i = 0; i < 5; i++) nodes.push(await makeNode(net, i, SMALL_VIEWS))
    await joinAll(nodes)
    // Two LOCAL shuffle periods fill the passive views.
    await run(12_000)
    expect(symmetric(nodes)).toBe(true)
    for (const n of nodes) expect(n.membership.neighbors().length).toBeGreaterThanOrEqual(1)

    const victim = nodes.find((n) => n.index === 0)!
    const survivors = nodes.filter((n) => n !== victim)
    const hadVictim = survivors.filter((n) => neighbourNames(n).includes('0'))
    expect(hadVictim.length).toBeGreaterThan(0)
    for (const n of survivors) n.events.length = 0
    await victim.membership.stop()
    const closing = victim.transport.close()
    await run(200)
    await closing
    // The closed connection is the failure signal: peer:down without any SWIM suspicion first.
    for (const n of hadVictim) expect(n.events[0]).toBe('down 0')
    await until(() => survivors.every((n) => n.membership.neighbors().length >= 2 && !neighbourNames(n).includes('0')), 20_000)
    expect(symmetric(survivors)).toBe(true)
    for (const n of survivors) expect(n.events.filter((e) => e.startsWith('suspect') || e.startsWith('dead'))).toEqual([])
  })

  it('finds a hung node with SWIM (suspect, then dead), evicts it from every view and closes its connections', async () => {
    const net = createMemoryNetwork()
    nodes = []
    for (let i = 0; i < 4; i++) nodes.push(await makeNode(net, i, MEMBERSHIP_LOCAL))
    await joinAll(nodes)
    await until(() => nodes.every((n) => n.membership.neighbors().length === 3), 10_000)
    for (const n of nodes) n.events.length = 0

    // The hung node keeps its transport (connections stay open) but no longer handles mship frames.
    const hung = nodes[3]!
    const others = nodes.slice(0, 3)
    await hung.membership.stop()
    await until(() => others.every((n) => !neighbourNames(n).includes('3')), 40_000)
    for (const n of others) {
      const about = n.events.filter((e) => e.endsWith(' 3'))
      // Each saw the suspicion and the death (its own or gossiped) before dropping the neighbour.
      expect(about.indexOf('suspect 3')).toBeGreaterThanOrEqual(0)
      expect(about.indexOf('dead 3')).toBeGreaterThan(about.indexOf('suspect 3'))
      expect(about.at(-1)).toBe('down 3')
      expect(neighbourNames(n)).toEqual(others.filter((o) => o !== n).map((o) => String(o.index)))
    }
    await run(1_000)
    for (const n of others) expect(n.transport.connectionTo(hung.transport.peerId)).toBeUndefined()
    expect(symmetric(others)).toBe(true)
  })
})
