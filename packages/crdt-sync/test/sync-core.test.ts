import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { CRDT_LOCAL } from '../src/config.ts'
import { CounterDoc, SetDoc } from '../src/docs/crdt-docs.ts'
import { TextDoc } from '../src/docs/text-doc.ts'
import type { SyncOutput } from '../src/proto/messages.ts'
import { DocSyncCore } from '../src/proto/sync.ts'
import { TestNet } from './net.ts'

const peer = (n: number) => PeerId.fromPublicKey(new Uint8Array(32).fill(n))

describe('sync core outbox', () => {
  it('publishes a local change at once as a one-sequence delta whose deps are the remote changes seen since', () => {
    const a = new SetDoc(peer(1).toHex())
    const core = new DocSyncCore({ self: peer(1).toHex(), state: a, config: CRDT_LOCAL, rng: new SeededRng(1) })
    const out: SyncOutput[] = []
    a.onLocal = (payload) => core.handle({ type: 'command', command: { type: 'local', payload } }, 0, out)
    a.add('x')
    expect(out.map((o) => o.type)).toEqual(['emit', 'publish'])
    const pub = out[1]!
    if (pub.type !== 'publish') throw new Error('unreachable')
    expect(pub.msg.bundle.cover).toEqual([[peer(1).toHex(), 0, 1]])
    expect(pub.msg.bundle.deps).toEqual([])

    // A remote delta from peer 2 becomes a dependency of our next delta, and only of that one.
    const b = new SetDoc(peer(2).toHex())
    const remote: Uint8Array[] = []
    b.onLocal = (p) => remote.push(p)
    b.add('y')
    core.handle({ type: 'recv', from: peer(2), msg: { type: 'delta', bundle: { cover: [[peer(2).toHex(), 0, 1]], deps: [], payload: remote[0]! } } }, 1, out)
    out.length = 0
    a.add('z')
    a.add('w')
    const deps = out.filter((o) => o.type === 'publish').map((o) => (o.type === 'publish' ? o.msg.bundle.deps : []))
    expect(deps).toEqual([[[peer(2).toHex(), 1]], []])
    expect(a.values()).toEqual(['w', 'x', 'y', 'z'])
  })

  it('never applies a delta before its causal past: it parks it and asks the sender', () => {
    const net = new TestNet(2, (p) => new SetDoc(p.toHex()))
    const [a, b] = net.replicas
    const held: typeof net.queue = []
    net.filter = (w) => {
      if (w.msg.type === 'delta' && w.msg.bundle.cover[0]![2] === 1) { held.push(w); return false }
      return true
    }
    // Drained after each change, so each is its own published delta.
    a!.doc.add('first')
    net.collect()
    a!.doc.add('second')
    net.collect()
    a!.doc.remove('first')
    net.collect()
    // Delta 1 is held back; 2 and 3 arrive first and must not be applied.
    const queued = net.queue.splice(0)
    for (const w of queued) if (net.filter(w)) b!.handle({ type: 'recv', from: w.from, msg: w.msg })
    expect(b!.doc.values()).toEqual([])
    expect(b!.core.pendingCount).toBe(2)
    const asks = b!.drain().filter((o) => o.type === 'send')
    expect(asks).toHaveLength(1)
    expect(asks[0]).toMatchObject({ type: 'send', to: net.peers[0], msg: { type: 'want', vv: [] } })
    // The answer to the want carries everything; the parked deltas then drain as duplicates.
    net.filter = () => true
    a!.handle({ type: 'recv', from: net.peers[1]!, msg: { type: 'want', vv: [] } })
    net.run()
    expect(b!.doc.values()).toEqual(['second'])
    expect(b!.core.pendingCount).toBe(0)
    expect(b!.core.versionVector()).toEqual(a!.core.versionVector())
  })

  it('publishes the local changes of one tick as one bundle, and they apply as one', () => {
    const net = new TestNet(2, (p) => new CounterDoc(p.toHex()))
    for (let i = 0; i < 10; i++) net.replicas[0]!.doc.add(1)
    net.run()
    const deltas = net.sent.filter((w) => w.msg.type === 'delta')
    expect(deltas).toHaveLength(1)
    expect(deltas[0]!.msg.type === 'delta' && deltas[0]!.msg.bundle.cover).toEqual([[net.peers[0]!.toHex(), 0, 10]])
    expect(net.replicas[1]!.doc.value).toBe(10)
    expect(net.replicas[1]!.core.versionVector()).toEqual(net.replicas[0]!.core.versionVector())
  })

  it('spends one 16-byte-digest message and no reply on a round between replicas in sync', () => {
    const net = new TestNet(2, () => new TextDoc())
    net.connectAll()
    for (let i = 0; i < 500; i++) net.replicas[i % 2]!.doc.insert(0, 'ab')
    net.run()
    expect(net.replicas[0]!.doc.toString()).toBe(net.replicas[1]!.doc.toString())
    net.sent.length = 0
    net.replicas[0]!.handle({ type: 'command', command: { type: 'sync-now' } })
    net.run()
    expect(net.sent.map((w) => w.msg.type)).toEqual(['summary'])
    expect(net.sent[0]!.bytes).toBeLessThan(100)
  })

  it('reconciles replicas that diverged by exchanging only what each lacks', () => {
    const net = new TestNet(2, (p) => new CounterDoc(p.toHex()))
    net.connectAll()
    net.filter = () => false // a partition: every delta is lost
    for (let i = 0; i < 10; i++) net.replicas[0]!.doc.add(1)
    for (let i = 0; i < 5; i++) net.replicas[1]!.doc.add(-2)
    net.run()
    net.filter = () => true
    net.sent.length = 0
    net.replicas[0]!.handle({ type: 'command', command: { type: 'sync-now' } })
    net.run()
    expect(net.sent.map((w) => w.msg.type)).toEqual(['summary', 'want', 'bundles', 'want', 'bundles'])
    expect(net.replicas.map((r) => r.doc.value)).toEqual([0, 0])
    expect(net.replicas[0]!.core.digest()).toEqual(net.replicas[1]!.core.digest())
  })

  it('sends a snapshot when the missing deltas have left the log', () => {
    const tiny = { ...CRDT_LOCAL, logBudgetBytes: 200, maxBundleBytes: 100 }
    const net = new TestNet(2, (p) => new SetDoc(p.toHex()), tiny)
    net.filter = () => false
    for (let i = 0; i < 50; i++) net.replicas[0]!.doc.add(`element-${i}`)
    net.run()
    net.filter = () => true
    net.replicas[1]!.handle({ type: 'peer-up', peer: net.peers[0]! })
    net.replicas[1]!.handle({ type: 'command', command: { type: 'sync-now' } })
    net.run()
    expect(net.sent.some((w) => w.msg.type === 'snapshot')).toBe(true)
    expect(net.replicas[1]!.doc.values()).toEqual(net.replicas[0]!.doc.values())
    expect(net.replicas[1]!.core.digest()).toEqual(net.replicas[0]!.core.digest())
  })

  it('counts a malformed payload as a drop and leaves the state and version vector alone', () => {
    const b = new SetDoc(peer(2).toHex())
    const core = new DocSyncCore({ self: peer(2).toHex(), state: b, config: CRDT_LOCAL, rng: new SeededRng(1) })
    const out: SyncOutput[] = []
    core.handle({ type: 'recv', from: peer(1), msg: { type: 'delta', bundle: { cover: [[peer(1).toHex(), 0, 1]], deps: [], payload: new Uint8Array([0xff]) } } }, 0, out)
    expect(core.metrics().dropped['invalid-payload']).toBe(1)
    expect(core.versionVector()).toEqual([])
  })

  it('bounds the parked bundles and counts what it turns away', () => {
    const b = new SetDoc(peer(2).toHex())
    const core = new DocSyncCore({ self: peer(2).toHex(), state: b, config: { ...CRDT_LOCAL, maxPendingBundles: 3 }, rng: new SeededRng(1) })
    const out: SyncOutput[] = []
    for (let seq = 2; seq < 10; seq++) {
      core.handle({ type: 'recv', from: peer(1), msg: { type: 'delta', bundle: { cover: [[peer(1).toHex(), seq - 1, seq]], deps: [], payload: new Uint8Array() } } }, seq, out)
    }
    expect(core.pendingCount).toBe(3)
    expect(core.metrics().dropped['pending-full']).toBe(5)
    // Gap requests to the same peer are rate limited to one per gapRetryMs.
    expect(out.filter((o) => o.type === 'send')).toHaveLength(1)
  })

  it('re-arms anti-entropy with jitter and ignores a stale timer', () => {
    const core = new DocSyncCore({ self: peer(1).toHex(), state: new SetDoc(peer(1).toHex()), config: CRDT_LOCAL, rng: new SeededRng(3) })
    const out: SyncOutput[] = []
    core.handle({ type: 'peer-up', peer: peer(2) }, 0, out)
    core.handle({ type: 'command', command: { type: 'start' } }, 0, out)
    const first = out.pop()!
    if (first.type !== 'schedule') throw new Error('expected a schedule')
    expect(first.delayMs).toBeGreaterThanOrEqual(900)
    expect(first.delayMs).toBeLessThanOrEqual(1100)
    core.handle({ type: 'timer', timer: first.timer }, 1000, out)
    expect(out.map((o) => o.type)).toEqual(['send', 'schedule'])
    out.length = 0
    core.handle({ type: 'timer', timer: first.timer }, 2000, out)
    expect(out).toEqual([])
  })
})
