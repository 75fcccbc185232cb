/**
 * Idle connections to non-neighbours close (`idle-connections.ts`), over real transports on the
 * in-memory network with fake timers: neighbours stay, a connection nobody uses closes after
 * `idleMs`, and one that carries a pending request or an open stream stays until it is done.
 */
import { describe, expect, it } from 'vitest'
import { Identity } from '@saorsa-gossip/identity'
import { SeededRng } from '@saorsa-gossip/types'
import type { Clock } from '@saorsa-gossip/types'
import { createMemoryNetwork, createTransport, STREAM_IDLE_TIMEOUT_MS, type MemoryNetwork, type Transport } from '@saorsa-gossip/transport'
import {
  createMembership, IDLE_CONNECTIONS_LAN, MEMBERSHIP_LOCAL, validateIdleConnectionConfig, validateMembershipConfig, type Membership,
} from '../src/index.ts'
import { run, useFakeTimersAndStop } from './memory-harness.ts'

const clock: Clock = { now: () => Date.now(), wallNow: () => Date.now() }
const identities = Array.from({ length: 3 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(120 + i) }))
const SLOW = Object.freeze({ name: '/test/slow/1', streamClass: 'mship' } as const)
const BULK = Object.freeze({ name: '/test/bulk/1', maxBytes: 1024 * 1024 } as const)
const { idleMs, sweepMs } = IDLE_CONNECTIONS_LAN

interface Node { transport: Transport; addr: string; membership: Membership }

async function makeNode(net: MemoryNetwork, index: number): Promise<Node> {
  const transport = createTransport({ identity: identities[index]!, carriers: [net.carrier()] })
  const addr = await transport.listen(`mem://idle-${index}`)
  const membership = createMembership({ transport, config: MEMBERSHIP_LOCAL, rng: new SeededRng(index), clock })
  await membership.start()
  return { transport, addr, membership }
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await run(50)
  expect(predicate()).toBe(true)
}

describe('idle connections to non-neighbours', () => {
  let nodes: Node[] = []
  useFakeTimersAndStop(() => nodes)

  it('closes a connection nobody uses after idleMs and keeps the neighbours', async () => {
    const net = createMemoryNetwork()
    nodes = [await makeNode(net, 0), await makeNode(net, 1)]
    const [a, b] = nodes as [Node, Node]
    await b.membership.join([a.addr])
    await until(() => a.membership.neighbors().length === 1)
    // A peer outside the overlay connects and then says nothing (as after a shuffle reply or an indirect ping).
    const outsider = createTransport({ identity: identities[2]!, carriers: [net.carrier()] })
    nodes.push({ transport: outsider, addr: '', membership: createMembership({ transport: outsider, clock }) })
    await outsider.dial(a.addr)
    await run(100)
    expect(a.transport.connections()).toHaveLength(2)
    await run(idleMs - sweepMs)
    expect(a.transport.connectionTo(outsider.peerId)).toBeDefined()
    await run(2 * sweepMs)
    expect(a.transport.connectionTo(outsider.peerId)).toBeUndefined()
    expect(outsider.connections()).toHaveLength(0)
    expect(a.membership.metrics().idleConnectionsClosed).toBe(1)
    // Neighbours stay connected, however long the run.
    await run(2 * idleMs)
    expect(a.transport.connectionTo(b.transport.peerId)).toBeDefined()
    expect(a.membership.neighbors()).toHaveLength(1)
    expect(a.membership.metrics().idleConnectionsClosed).toBe(1)
  })

  it('never closes a connection while it carries a request being answered or an open stream', async () => {
    const net = createMemoryNetwork()
    nodes = [await makeNode(net, 0)]
    const [a] = nodes as [Node]
    let answer: (bytes: Uint8Array) => void = () => {}
    a.transport.handleDirect(SLOW, () => new Promise<Uint8Array>((resolve) => { answer = resolve }))
    const received: number[] = []
    a.transport.handleStream(BULK, (stream) => {
      void (async () => { for await (const chunk of stream) received.push(chunk.length) })()
    })
    const outsider = createTransport({ identity: identities[2]!, carriers: [net.carrier()] })
    nodes.push({ transport: outsider, addr: '', membership: createMembership({ transport: outsider, clock }) })
    const connection = await outsider.dial(a.addr)
    const response = connection.request(SLOW, new Uint8Array([1]), { timeoutMs: 4 * idleMs })
    await run(3 * idleMs)
    expect(a.transport.connectionTo(outsider.peerId)).toBeDefined()
    answer(new Uint8Array([2]))
    await run(100)
    expect([...await response]).toEqual([2])

    // A stream that stays open without data (shorter than the transport's 30 s stream idle timeout).
    const stream = await connection.openStream(BULK)
    await stream.write(new Uint8Array(100))
    await run(STREAM_IDLE_TIMEOUT_MS - 2 * sweepMs)
    expect(received).toEqual([100])
    expect(a.transport.connectionTo(outsider.peerId)).toBeDefined()
    await stream.close()
    await run(idleMs + 2 * sweepMs)
    expect(a.transport.connectionTo(outsider.peerId)).toBeUndefined()
  })

  it('validates its settings by name and can be turned off', () => {
    expect(() => validateIdleConnectionConfig({ idleMs: -1, sweepMs: 10 })).toThrow(/idleConnections\.idleMs/)
    expect(() => validateIdleConnectionConfig({ idleMs: 1000, sweepMs: 0 })).toThrow(/idleConnections\.sweepMs/)
    expect(() => validateMembershipConfig({ ...MEMBERSHIP_LOCAL, idleConnections: { idleMs: 0, sweepMs: 0 } })).not.toThrow()
  })
})
