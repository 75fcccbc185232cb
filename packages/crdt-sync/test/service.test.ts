/**
 * The service over an in-process hub standing in for pubsub (topic membership, validators,
 * deliveries) and the transport (the sync message protocol and the snapshot stream), so these tests
 * check the wiring: topics, validation, publish-after-durable, anti-entropy over the named
 * protocols, snapshots on the bulk stream, stores and the replica's events and iterator.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { CRDT_LOCAL } from '../src/config.ts'
import { encodeSyncFrame } from '../src/codec.ts'
import { CrdtSyncService, type CrdtPubSub, type CrdtTransport } from '../src/service.ts'

const dir = mkdtempSync(join(tmpdir(), 'crdt-service-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const settle = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)) }

type Validator = Parameters<CrdtPubSub['addValidator']>[1]

class Hub {
  readonly nodes = new Map<string, { peer: PeerId; events: EventTarget; topics: Set<string>; validators: Map<string, Validator>; handlers: Map<string, (bytes: Uint8Array, conn: { remotePeer: PeerId }) => void>; streams: Map<string, (s: { remotePeer: PeerId; bytes(): Promise<Uint8Array> }, c: unknown) => void> }>()
  /** Return false to lose a publish on its way to `to`. */
  deliver: (from: PeerId, to: PeerId) => boolean = () => true
  published = 0

  node(peer: PeerId): { pubsub: CrdtPubSub; transport: CrdtTransport } {
    const n = { peer, events: new EventTarget(), topics: new Set<string>(), validators: new Map<string, Validator>(), handlers: new Map(), streams: new Map() }
    this.nodes.set(peer.toHex(), n)
    const hub = this
    const pubsub: CrdtPubSub = {
      join(topic) {
        n.topics.add(topic.toHex())
        for (const other of hub.nodes.values()) {
          if (other === n || !other.topics.has(topic.toHex())) continue
          other.events.dispatchEvent(new CustomEvent('topic:peer-up', { detail: { topic, peer } }))
          n.events.dispatchEvent(new CustomEvent('topic:peer-up', { detail: { topic, peer: other.peer } }))
        }
      },
      leave(topic) { n.topics.delete(topic.toHex()) },
      addValidator(topic, v) { n.validators.set(topic.toHex(), v) },
      removeValidator(topic) { n.validators.delete(topic.toHex()) },
      async publish(topic, payload) {
        hub.published++
        for (const other of hub.nodes.values()) {
          if (other === n || !other.topics.has(topic.toHex()) || !hub.deliver(peer, other.peer)) continue
          const verdict = other.validators.get(topic.toHex())?.({ origin: peer, payload }) ?? 'accept'
          if (verdict === 'accept') other.events.dispatchEvent(new CustomEvent('message', { detail: { topic, from: peer, origin: peer, payload } }))
        }
      },
      addEventListener: (type, l) => n.events.addEventListener(type, l),
      removeEventListener: (type, l) => n.events.removeEventListener(type, l),
    }
    const transport: CrdtTransport = {
      handle: (p, h) => { n.handlers.set(p.name, h) },
      handleStream: (p, h) => { n.streams.set(p.name, h) },
      unhandle: (name) => { n.handlers.delete(name); n.streams.delete(name) },
      connectionTo: (to) => {
        const target = hub.nodes.get(to.toHex())
        if (target === undefined) return undefined
        return {
          send: async (p, bytes) => { queueMicrotask(() => target.handlers.get(p.name)?.(bytes.slice(), { remotePeer: peer })) },
          openStream: async (p) => {
            const chunks: Uint8Array[] = []
            return {
              write: async (c: Uint8Array) => { chunks.push(c.slice()) },
              close: async () => { target.streams.get(p.name)?.({ remotePeer: peer, bytes: async () => Buffer.concat(chunks) }, undefined) },
            }
          },
        }
      },
    }
    return { pubsub, transport }
  }
}

const peer = (n: number) => PeerId.fromPublicKey(new Uint8Array(32).fill(n))
function service(hub: Hub, n: number, storeDir?: string): CrdtSyncService {
  const p = peer(n)
  const s = new CrdtSyncService({ config: CRDT_LOCAL, ...(storeDir === undefined ? {} : { storeDir }) }, { peerId: p, ...hub.node(p), rng: new SeededRng(n) })
  s.start()
  return s
}

describe('crdt-sync service', () => {
  it('publishes a change on the document topic and hands it to the other replica and its iterator', async () => {
    const hub = new Hub()
    const a = service(hub, 1)
    const b = service(hub, 2)
    const ra = await a.open('shopping', { type: 'set' })
    const rb = await b.open('shopping', { type: 'set' })
    const seen: boolean[] = []
    rb.addEventListener('change', (e) => seen.push((e as CustomEvent<{ local: boolean }>).detail.local))
    const changes = rb.changes()[Symbol.asyncIterator]()
    ra.doc.add('milk')
    await settle()
    expect(rb.doc.values()).toEqual(['milk'])
    expect(seen).toEqual([false])
    const next = await changes.next()
    expect(next.value).toMatchObject({ local: false, cover: [[peer(1).toHex(), 0, 1]] })
    await expect(b.open('shopping', { type: 'text' })).rejects.toMatchObject({ name: 'DocTypeError' })
    await a.stop()
    await b.stop()
  })

  it('repairs a lost publish by anti-entropy over the sync protocol, and a far-behind replica by snapshot', async () => {
    const hub = new Hub()
    const a = service(hub, 1)
    const b = service(hub, 2)
    const ra = await a.open('counter', { type: 'counter' })
    const rb = await b.open('counter', { type: 'counter' })
    hub.deliver = () => false
    for (let i = 0; i < 5; i++) { ra.doc.add(2); await settle() }
    expect(rb.doc.value).toBe(0)
    hub.deliver = () => true
    b.syncNow('counter')
    await settle()
    expect(rb.doc.value).toBe(10)
    // A text document beyond the bundle limit reaches a new replica as a snapshot on the stream.
    const c = service(hub, 3)
    const rt = await a.open('essay', { type: 'text' })
    hub.deliver = () => false
    for (let i = 0; i < 40; i++) { rt.doc.insert(0, 'x'.repeat(2_000)); await settle() }
    hub.deliver = () => true
    const rc = await c.open('essay', { type: 'text' })
    c.syncNow('essay')
    await settle()
    expect(rc.doc.toString()).toBe(rt.doc.toString())
    expect(rc.doc.toString().length).toBe(80_000)
    for (const s of [a, b, c]) await s.stop()
  })

  it('rejects a delta that carries the changes of another origin', async () => {
    const hub = new Hub()
    const a = service(hub, 1)
    const b = service(hub, 2)
    await a.open('doc', { type: 'counter' })
    const rb = await b.open('doc', { type: 'counter' })
    const topic = TopicId.fromName('crdt/doc')
    const forged = encodeSyncFrame({ doc: topic, msg: { type: 'delta', bundle: { cover: [[peer(9).toHex(), 0, 1]], deps: [], payload: new Uint8Array([0xa1, 0x61, 0x63, 0x80]) } } })
    await hub.node(peer(1)).pubsub.publish(topic, forged).catch(() => {})
    await settle()
    expect(rb.doc.value).toBe(0)
    expect(b.metrics().drops['wrong-origin']).toBe(1)
    await a.stop()
    await b.stop()
  })

  it('reloads a document from its store after a restart and keeps numbering its deltas', async () => {
    const hub = new Hub()
    const storeDir = mkdtempSync(join(dir, 'store-'))
    const a = service(hub, 1, storeDir)
    const ra = await a.open('notes', { type: 'map' })
    ra.doc.set('title', 'hello')
    ra.doc.set('body', 'world')
    await settle()
    await ra.flushed()
    await a.stop()
    const again = service(new Hub(), 1, storeDir)
    const rr = await again.open('notes', { type: 'map' })
    expect(rr.doc.get('title')).toBe('hello')
    expect(rr.doc.keys()).toEqual(['body', 'title'])
    await again.stop()
  })
})
