/**
 * Documents bound to an MLS group (SPEC.md 12.7) on the real transport and pubsub: two members of a
 * group (`@saorsa-gossip/groups`, stock suite) edit one document, a third node on the same topic and
 * protocols without the group sees only ciphertext and applies nothing, a commit to a new epoch
 * keeps the members in sync, and a plain frame aimed at the bound document is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { MlsGroup, STANDARD_SUITE, createKeyPackage, loadSuite, openKeyPackage } from '@saorsa-gossip/groups'
import { createPubSub, type PubSub } from '@saorsa-gossip/pubsub'
import { createMemoryNetwork, createTransport, type Transport } from '@saorsa-gossip/transport'
import { SeededRng, TopicId } from '@saorsa-gossip/types'
import { encodeSyncFrame } from '../src/codec.ts'
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

interface Node { transport: Transport; pubsub: PubSub; crdt: CrdtSyncService; identity: Identity }
const root = mkdtempSync(join(tmpdir(), 'crdt-group-'))
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
    const identity = Identity.generate({ seed: new Uint8Array(32).fill(80 + i), backend })
    const transport = createTransport({ identity, carriers: [network.carrier()], backend })
    await transport.listen(`mem://crdt-group-${i}`)
    const pubsub = createPubSub({}, { transport, identity, backend, rng: new SeededRng(i) })
    pubsub.start()
    const crdt = new CrdtSyncService({ config: CRDT_LOCAL, storeDir: mkdtempSync(join(root, `node-${i}-`)) }, { peerId: identity.peerId, transport, pubsub, rng: new SeededRng(i) })
    crdt.start()
    nodes.push({ transport, pubsub, crdt, identity })
  }
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) await nodes[i]!.transport.dial(`mem://crdt-group-${j}`, { expectedPeer: nodes[j]!.identity.peerId })
  }
  await until(() => nodes.every((n) => n.transport.connections().length === size - 1), 'full mesh')
  for (const n of nodes) for (const m of nodes) if (m !== n) n.pubsub.neighborUp(m.identity.peerId)
  return nodes
}

/** A two-member group of `a` and `b` through the groups package's public API. */
async function twoMemberGroup(a: Identity, b: Identity): Promise<[MlsGroup, MlsGroup]> {
  const suite = await loadSuite(STANDARD_SUITE)
  const now = Date.now()
  const creator = await MlsGroup.create(a, suite, { nowMs: now })
  const bundle = await createKeyPackage(b, suite, now)
  const { keyPackage } = await openKeyPackage(bundle.bytes, suite, now)
  const pending = await creator.prepareCommit({ add: [keyPackage] })
  creator.merge(pending)
  return [creator, await MlsGroup.join(b, suite, bundle, pending.welcome!.welcome, pending.welcome!.ratchetTree)]
}

describe('a document bound to a group', () => {
  it('is readable by members only, across an epoch change, and refuses plain frames', async () => {
    const [a, b, c] = await mesh(3)
    const [ga, gb] = await twoMemberGroup(a!.identity, b!.identity)
    const topic = TopicId.fromName('crdt/plans')
    const seenByOutsider: Uint8Array[] = []
    c!.pubsub.addEventListener('message', (e) => { if (e.detail.topic.equals(topic)) seenByOutsider.push(e.detail.payload) })

    // The outsider first reads the topic raw, as any relay on it can.
    c!.pubsub.join(topic)
    const ra = await a!.crdt.open('plans', { type: 'map', group: ga })
    const rb = await b!.crdt.open('plans', { type: 'map', group: gb })
    ra.doc.set('venue', 'harbour hall')
    await until(() => rb.doc.get('venue') === 'harbour hall', 'the member received the edit')
    await until(() => seenByOutsider.length > 0, 'the outsider received the delta')
    const secret = Buffer.from('harbour hall')
    for (const payload of seenByOutsider) expect(Buffer.from(payload).includes(secret)).toBe(false)
    c!.pubsub.leave(topic)

    // Opening the document without the group, it applies nothing: anti-entropy is sealed too, and
    // its own plain frames are refused by the members.
    const rc = await c!.crdt.open('plans', { type: 'map' })
    const aBefore = a!.crdt.metrics().drops['not-sealed']
    await until(() => {
      c!.crdt.syncNow('plans')
      a!.crdt.syncNow('plans')
      return c!.crdt.metrics().drops.sealed > 0 && a!.crdt.metrics().drops['not-sealed'] > aBefore
    }, 'sealed rounds refused both ways')
    expect(rc.doc.keys()).toEqual([])

    // A commit moves both members to a new epoch (a new document key); edits keep flowing.
    const update = await gb.prepareCommit()
    gb.merge(update)
    await ga.processCommit(update.commit)
    expect(ga.epoch).toBe(2)
    rb.doc.set('time', '19:00')
    await until(() => ra.doc.get('time') === '19:00', 'the edit after the commit arrived')

    // A plain delta on the bound document's topic, even from a member, is refused by its validator.
    const before = b!.crdt.metrics().drops['not-sealed']
    const forged = encodeSyncFrame({ doc: topic, msg: { type: 'delta', bundle: { cover: [[a!.identity.peerId.toHex(), 100, 101]], deps: [], payload: new Uint8Array([0xa0]) } } })
    await a!.pubsub.publish(topic, forged).catch(() => {})
    await until(() => b!.crdt.metrics().drops['not-sealed'] > before, 'the plain delta refused')
    expect(rb.doc.keys().sort()).toEqual(['time', 'venue'])
  }, 60_000)
})
