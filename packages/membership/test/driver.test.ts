/**
 * The membership driver and createMembership over real transports on an in-memory network, with
 * fake timers for the driver (setTimeout, Date) while the in-memory carrier's setImmediate stays real.
 */
import { describe, expect, it } from 'vitest'
import { Identity } from '@saorsa-gossip/identity'
import { SeededRng } from '@saorsa-gossip/types'
import type { Clock, PeerId } from '@saorsa-gossip/types'
import { createMemoryNetwork, createTransport, type MemoryNetwork, type Transport } from '@saorsa-gossip/transport'
import { createMembership, JoinError, MEMBERSHIP_LOCAL, MEMBERSHIP_PROTOCOL, type Membership } from '../src/index.ts'
import { run, useFakeTimersAndStop } from './memory-harness.ts'

const clock: Clock = { now: () => Date.now(), wallNow: () => Date.now() }
const identities = Array.from({ length: 3 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(90 + i) }))

interface Node { transport: Transport; addr: string; membership: Membership; events: string[] }

async function makeNode(net: MemoryNetwork, index: number): Promise<Node> {
  const transport = createTransport({ identity: identities[index]!, carriers: [net.carrier()] })
  const addr = await transport.listen(`mem://node-${index}`)
  const membership = createMembership({ transport, config: MEMBERSHIP_LOCAL, rng: new SeededRng(index), clock })
  const events: string[] = []
  const short = (p: PeerId): string => String(identities.findIndex((id) => id.peerId.equals(p)))
  membership.addEventListener('peer:up', (e) => events.push(`up ${short(e.detail.peer)}`))
  membership.addEventListener('peer:down', (e) => events.push(`down ${short(e.detail.peer)}`))
  membership.addEventListener('peer:suspect', (e) => events.push(`suspect ${short(e.detail.peer)}`))
  membership.addEventListener('peer:dead', (e) => events.push(`dead ${short(e.detail.peer)}`))
  await membership.start()
  return { transport, addr, membership, events }
}


async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await run(50)
  expect(predicate()).toBe(true)
}

describe('membership driver on an in-memory network', () => {
  let nodes: Node[] = []

  useFakeTimersAndStop(() => nodes)

  it('makes every joined peer a neighbour and a SWIM member, announces it with peer:up, and probes it without drops', async () => {
    const net = createMemoryNetwork()
    nodes = [await makeNode(net, 0), await makeNode(net, 1), await makeNode(net, 2)]
    const [a, b, c] = nodes as [Node, Node, Node]
    await b.membership.join([a.addr])
    await until(() => a.membership.neighbors().length === 1)
    await c.membership.join([a.addr])
    await until(() => nodes.every((n) => n.membership.neighbors().length === 2))
    await run(5000)
    // C's JOIN reaches B as a FORWARD_JOIN from A: B's only other neighbour, so B takes C too.
    expect(a.events).toEqual(['up 1', 'up 2'])
    expect(b.events).toEqual(['up 0', 'up 2'])
    expect(c.events.slice().sort()).toEqual(['up 0', 'up 1'])
    expect(b.membership.members().map((m) => m.state)).toEqual(['alive', 'alive'])
    const metrics = a.membership.metrics()
    expect(metrics).toMatchObject({ neighbors: 2, members: 2, suspect: 0, dead: 0, localHealth: 0 })
    expect(metrics.messagesSent).toBeGreaterThan(5)
    expect(metrics.messagesReceived).toBeGreaterThan(5)
    for (const n of nodes) expect(Object.values(n.membership.metrics().dropped).every((d) => d === 0)).toBe(true)
  })

  it('announces peer:down as soon as a neighbour\'s connection closes, without waiting for SWIM', async () => {
    const net = createMemoryNetwork()
    nodes = [await makeNode(net, 0), await makeNode(net, 1)]
    const [a, b] = nodes as [Node, Node]
    await b.membership.join([a.addr])
    await until(() => a.membership.neighbors().length === 1)
    await b.membership.stop()
    const closing = b.transport.close()
    await run(500)
    await closing
    await until(() => a.events.includes('down 1'))
    expect(a.events).toEqual(['up 1', 'down 1'])
    expect(a.membership.neighbors()).toEqual([])
    expect(a.membership.members()).toEqual([])
  })

  it('counts an undecodable mship message as a drop and keeps answering probes', async () => {
    const net = createMemoryNetwork()
    nodes = [await makeNode(net, 0), await makeNode(net, 1)]
    const [a, b] = nodes as [Node, Node]
    await b.membership.join([a.addr])
    await until(() => a.membership.neighbors().length === 1)
    const connection = b.transport.connectionTo(a.transport.peerId)!
    await connection.send(MEMBERSHIP_PROTOCOL, new Uint8Array([0xa1, 0x65, 0x6c, 0x61, 0x79, 0x65, 0x72, 0x00]))
    await until(() => a.membership.metrics().dropped.decode === 1)
    const before = a.membership.metrics().messagesReceived
    await run(3000)
    expect(a.membership.metrics().messagesReceived).toBeGreaterThan(before)
    expect(a.events).toEqual(['up 1'])
    expect(b.events).toEqual(['up 0'])
  })

  it('rejects join before start, with no reachable address, and when aborted', async () => {
    const net = createMemoryNetwork()
    nodes = [await makeNode(net, 0)]
    const transport = createTransport({ identity: identities[1]!, carriers: [net.carrier()] })
    const idle = createMembership({ transport, rng: new SeededRng(9), clock })
    await expect(idle.join(['mem://node-0'])).rejects.toMatchObject({ name: 'NotStartedError' })
    await transport.close()
    const [a] = nodes as [Node]
    const joining = a.membership.join(['mem://nobody-here']).catch((err: unknown) => err)
    await run(100)
    expect(await joining).toBeInstanceOf(JoinError)
    await expect(a.membership.join(['mem://node-1'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('stops cleanly: no timers stay armed and no more messages are sent', async () => {
    const net = createMemoryNetwork()
    nodes = [await makeNode(net, 0), await makeNode(net, 1)]
    const [a, b] = nodes as [Node, Node]
    await b.membership.join([a.addr])
    await until(() => a.membership.neighbors().length === 1)
    await run(2000)
    await a.membership.stop()
    await b.membership.stop()
    expect(a.membership.isStarted).toBe(false)
    const sent = a.membership.metrics().messagesSent
    await run(5000)
    expect(a.membership.metrics().messagesSent).toBe(sent)
  })
})
