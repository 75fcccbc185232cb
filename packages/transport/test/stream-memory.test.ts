/**
 * Stream memory under attack (SPEC.md sections 5.6 and 5.7): eight authenticated connections pushing
 * bulk stream data at a node. Without a registered stream protocol nothing is buffered or reserved;
 * with a consumer that never reads, the node's resident memory grows by at most its stream budget.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { createTransport } from '../src/transport.ts'
import type { IncomingStream } from '../src/streams/inbound.ts'
import type { Connection, Transport } from '../src/types.ts'
import { BULK } from './protocols.ts'
import { until } from './transport-suite.ts'

const CHUNK = 256 * 1024
const BUDGET = 16 * 1024 * 1024
const senders = Array.from({ length: 8 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(120 + i) }))
const nodeId = Identity.generate({ seed: new Uint8Array(32).fill(119) })
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50))
// Memory is read after a full collection on both sides, so only what the attack left held counts:
// without it, whatever garbage the collector had not reached yet varied the figure by 5 MiB and more.
setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void
/** Two full collections a turn apart, so backing stores freed by the first are released before reading. */
const collect = async (): Promise<void> => {
  gc()
  await settle()
  gc()
}

/**
 * Every connection opens `streamsEach` streams and writes `chunksEach` chunks into each, without
 * waiting for them to finish (writes past the credit granted wait forever; stopped streams reject).
 * Resolves once the node's stream memory has not changed for 500 ms.
 */
async function attack(node: Transport, connections: Connection[], streamsEach: number, chunksEach: number): Promise<void> {
  const chunk = new Uint8Array(CHUNK).fill(7)
  for (const c of connections) {
    for (let s = 0; s < streamsEach; s++) {
      void (async () => {
        const writer = await c.openStream(BULK)
        for (let i = 0; i < chunksEach; i++) await writer.write(chunk)
      })().catch(() => undefined)
    }
  }
  let last = ''
  let stableSince = performance.now()
  for (;;) {
    await settle()
    const now = JSON.stringify([node.stats().streamMemory, node.stats().drops])
    if (now !== last) { last = now; stableSince = performance.now() } else if (performance.now() - stableSince > 500) return
  }
}

describe('stream memory with eight attacking connections', () => {
  const transports: Transport[] = []
  afterEach(async () => { await Promise.all(transports.splice(0).map((t) => t.close())) })

  async function setup(): Promise<{ node: Transport; connections: Connection[] }> {
    await loadMlDsa65Backend()
    const network = createMemoryNetwork()
    const node = createTransport({ identity: nodeId, carriers: [network.carrier()], maxStreamMemoryBytes: BUDGET })
    transports.push(node)
    const addr = await node.listen('mem://stream-memory')
    const connections: Connection[] = []
    for (const identity of senders) {
      const sender = createTransport({ identity, carriers: [network.carrier()] })
      transports.push(sender)
      connections.push(await sender.dial(addr, { expectedPeer: nodeId.peerId }))
    }
    return { node, connections }
  }

  it('allocate nothing at a node without a registered stream protocol', async () => {
    const { node, connections } = await setup()
    let peak = 0
    const sampling = setInterval(() => { peak = Math.max(peak, node.stats().streamMemory.reserved, node.stats().streamMemory.buffered) }, 5)
    await attack(node, connections, 4, 8)
    clearInterval(sampling)
    await until(() => node.stats().drops['unknown-protocol'] >= 32)
    expect(peak).toBe(0)
    expect(node.stats().streamMemory).toMatchObject({ reserved: 0, buffered: 0 })
    expect(node.stats().drops['unknown-stream']).toBeGreaterThan(0)
  }, 30_000)

  it('grow resident memory by at most the stream budget when a consumer never reads', async () => {
    const { node, connections } = await setup()
    const held: IncomingStream[] = []
    node.handleStream(BULK, (stream) => { held.push(stream) })
    await collect()
    const before = process.memoryUsage()
    let peakBuffered = 0
    const sampling = setInterval(() => { peakBuffered = Math.max(peakBuffered, node.stats().streamMemory.buffered) }, 5)
    await attack(node, connections, 4, 16)
    clearInterval(sampling)
    await collect()
    const after = process.memoryUsage()
    const grown = after.arrayBuffers - before.arrayBuffers
    console.log(`8 connections x 4 streams x 4 MiB offered: node buffered peak ${(peakBuffered / 2 ** 20).toFixed(1)} MiB of a ${BUDGET / 2 ** 20} MiB budget; ` +
      `process ArrayBuffer memory +${(grown / 2 ** 20).toFixed(1)} MiB, RSS +${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MiB; ` +
      `${node.stats().drops['refused-stream']} streams refused as busy`)
    expect(held.length).toBeGreaterThan(0)
    expect(peakBuffered).toBeLessThanOrEqual(BUDGET)
    expect(node.stats().streamMemory.reserved).toBeLessThanOrEqual(BUDGET)
    expect(node.stats().drops['refused-stream']).toBeGreaterThan(0)
    // Both ends share this process: the senders' one reusable chunk and in-flight records add a little
    // (measured: the budget plus 0.3 MiB, every run).
    expect(grown).toBeLessThanOrEqual(BUDGET + 4 * 1024 * 1024)
  }, 30_000)
})
