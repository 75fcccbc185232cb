/**
 * crdt-sync on the real stack: three nodes, each with `createTransport` (post-quantum handshake over
 * the in-memory carrier), `createPubSub` (Plumtree, ML-DSA-65 origin signatures, validators) and the
 * crdt-sync service. A text document edited on one node reaches the others through its topic; a
 * node whose service stopped while the others edited reloads its store and catches up by anti-entropy over
 * `/saorsa/crdt/sync/1`, and a change too large for a pubsub payload reaches the others as a snapshot
 * over the bulk stream. IO runs on real event-loop turns, awaited with a bounded number of turns (never a sleep).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createPubSub, type PubSub } from '@saorsa-gossip/pubsub'
import { createMemoryNetwork, createTransport, type Transport } from '@saorsa-gossip/transport'
import { SeededRng } from '@saorsa-gossip/types'
import { CRDT_LOCAL } from '../src/config.ts'
import { CrdtSyncService } from '../src/service.ts'

const MAX_TURNS = 20_000
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < MAX_TURNS; i++) {
    if (done()) return
    await turn()
  }
  throw new Error(`not reached within ${MAX_TURNS} event-loop turns: ${what}`)
}

/** Starts one anti-entropy round as soon as the document has a topic neighbour. */
async function syncOnce(node: Node, doc: string): Promise<void> {
  await until(() => {
    node.crdt.syncNow(doc)
    return (node.crdt.docMetrics(doc)?.rounds ?? 0) > 0
  }, `a topic neighbour for ${doc}`)
}

interface Node { transport: Transport; pubsub: PubSub; crdt: CrdtSyncService; identity: Identity; storeDir: string }
const root = mkdtempSync(join(tmpdir(), 'crdt-stack-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const nodes: Node[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    await n.crdt.stop()
    n.pubsub.stop()
    await n.transport.close()
  }
})

async function mesh(size: number): Promise<Node[]> {
  const backend = await loadMlDsa65Backend()
  const network = createMemoryNetwork()
  for (let i = 0; i < size; i++) {
    const identity = Identity.generate({ seed: new Uint8Array(32).fill(60 + i), backend })
    const transport = createTransport({ identity, carriers: [network.carrier()], backend })
    await transport.listen(`mem://crdt-${i}`)
    const pubsub = createPubSub({}, { transport, identity, backend, rng: new SeededRng(i) })
    pubsub.start()
    const storeDir = mkdtempSync(join(root, `node-${i}-`))
    const crdt = new CrdtSyncService({ config: CRDT_LOCAL, storeDir }, { peerId: identity.peerId, transport, pubsub, rng: new SeededRng(i) })
    crdt.start()
    nodes.push({ transport, pubsub, crdt, identity, storeDir })
  }
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) await nodes[i]!.transport.dial(`mem://crdt-${j}`, { expectedPeer: nodes[j]!.identity.peerId })
  }
  await until(() => nodes.every((n) => n.transport.connections().length === size - 1), 'full mesh')
  for (const n of nodes) for (const m of nodes) if (m !== n) n.pubsub.neighborUp(m.identity.peerId)
  return nodes
}

describe('crdt-sync on the real transport and pubsub', () => {
  it('spreads edits on the topic, restarts a stopped node from its store and catches it up, and sends an oversized change as a snapshot', async () => {
    const [a, b, c] = await mesh(3)
    const ra = await a!.crdt.open('essay', { type: 'text' })
    const rb = await b!.crdt.open('essay', { type: 'text' })
    let rc = await c!.crdt.open('essay', { type: 'text' })
    ra.doc.insert(0, 'hello')
    await until(() => rb.doc.toString() === 'hello' && rc.doc.toString() === 'hello', 'the first edit everywhere')

    // C's service stops (as a stopped node would) while A and B keep editing, then restarts from
    // its store and catches up by anti-entropy.
    await rc.flushed()
    await c!.crdt.stop()
    rb.doc.insert(5, ' world')
    ra.doc.insert(0, '> ')
    await until(() => ra.doc.toString() === '> hello world' && rb.doc.toString() === '> hello world', 'A and B agree')
    c!.crdt = new CrdtSyncService({ config: CRDT_LOCAL, storeDir: c!.storeDir }, { peerId: c!.identity.peerId, transport: c!.transport, pubsub: c!.pubsub, rng: new SeededRng(9) })
    c!.crdt.start()
    rc = await c!.crdt.open('essay', { type: 'text' })
    expect(rc.doc.toString()).toBe('hello')
    await syncOnce(c!, 'essay')
    await until(() => rc.doc.toString() === '> hello world', 'C caught up by anti-entropy')

    // One change larger than a pubsub payload cannot be published; peers get it as a snapshot over
    // the bulk stream when anti-entropy finds them behind.
    const notes = await b!.crdt.open('notes', { type: 'text' })
    const late = await a!.crdt.open('notes', { type: 'text' })
    notes.doc.insert(0, 'x'.repeat(100_000))
    await until(() => b!.crdt.metrics().drops['send-failed'] === 1, 'the oversized publish refused')
    await syncOnce(a!, 'notes')
    await until(() => late.doc.toString().length === 100_000, 'the other replica received the document')
    expect(a!.crdt.docMetrics('notes')?.snapshotsApplied).toBe(1)
    for (const n of nodes) {
      expect(n.crdt.metrics().drops.decode).toBe(0)
      expect(n.crdt.metrics().drops['core-error']).toBe(0)
      expect(n.crdt.metrics().drops['wrong-origin']).toBe(0)
    }
  }, 60_000)
})
