import { describe, expect, it } from 'vitest'
import { MessageId, TopicId } from '@saorsa-gossip/types'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import type { PublishMessage } from '../src/proto/messages.ts'
import { TOPIC, connect, emitted, makeNode, sends } from './helpers.ts'

const idOf = (m: PublishMessage) => MessageId.derive(m.header.origin, m.header.seq, m.header.payloadHash)

describe('PubSubCore Plumtree behaviour', () => {
  it('announces a join to every neighbour and treats subscribed neighbours as eager', () => {
    const a = makeNode(1)
    const b = makeNode(2)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'peer-up', peer: b.id }, 0, out)
    a.core.handle({ type: 'command', command: { type: 'join', topic: TOPIC } }, 0, out)
    expect(sends(out, 'subscribe')).toEqual([{ to: b.id, msg: { type: 'subscribe', topics: [TOPIC], reply: true } }])
    const reply: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'subscribe', topics: [TOPIC], reply: true } }, 1, reply)
    expect(sends(reply, 'subscribe')).toEqual([{ to: b.id, msg: { type: 'subscribe', topics: [TOPIC], reply: false } }])
    expect(a.core.eagerPeers(TOPIC)).toEqual([b.id])
    expect(emitted(reply, 'topic-peer-up')).toHaveLength(1)
  })

  it('reports no-peers when nobody subscribed to the topic is connected, and not-subscribed before a join', () => {
    const a = makeNode(1)
    const out: PubSubOutput[] = []
    const msg = a.publisher.build(TOPIC, new Uint8Array([1]), 0)
    a.core.handle({ type: 'command', command: { type: 'publish', topic: TOPIC, message: msg, requestId: 7 } }, 0, out)
    expect(emitted(out, 'published')[0]).toMatchObject({ requestId: 7, outcome: 'not-subscribed', peers: 0 })
    a.core.handle({ type: 'command', command: { type: 'join', topic: TOPIC } }, 0, out)
    a.core.handle({ type: 'command', command: { type: 'publish', topic: TOPIC, message: msg, requestId: 8 } }, 0, out)
    expect(emitted(out, 'published')[1]).toMatchObject({ requestId: 8, outcome: 'no-peers', peers: 0 })
  })

  it('delivers a first copy with origin, hop and sender, then pushes it eagerly with the hop incremented', () => {
    const a = makeNode(1)
    const b = makeNode(2)
    const c = makeNode(3)
    connect(a, [b, c])
    const msg = b.publisher.build(TOPIC, new Uint8Array([9, 9]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg }, 5, out)
    const [delivered] = emitted(out, 'message')
    expect(delivered?.delivery).toMatchObject({ origin: b.id, hop: 1, from: b.id, seq: 0, payload: new Uint8Array([9, 9]) })
    expect(delivered?.delivery.id.equals(idOf(msg))).toBe(true)
    // The first message of origin b sent to c carries b's key; the next one does not.
    expect(sends(out, 'publish')).toEqual([{ to: c.id, msg: { ...msg, hop: 2, originKey: b.publicKey } }])
    expect(a.verifier.calls()).toBe(1)
    const again: PubSubOutput[] = []
    const msg2 = b.publisher.build(TOPIC, new Uint8Array([3]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg: msg2 }, 6, again)
    expect(sends(again, 'publish')).toEqual([{ to: c.id, msg: { ...msg2, hop: 2 } }])
  })

  it('verifies with a key carried by the message when it hashes to the origin, and keeps it', () => {
    const [a, b, origin] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b])
    const msg = origin.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2, originKey: makeNode(4).publicKey } }, 0, out)
    expect(sends(out, 'key-request')).toHaveLength(1)
    const out2: PubSubOutput[] = []
    const msg2 = origin.publisher.build(TOPIC, new Uint8Array([2]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg2, hop: 2, originKey: origin.publicKey } }, 1, out2)
    expect(emitted(out2, 'message')).toHaveLength(1)
    expect(a.core.keys.get(origin.id)).toEqual(origin.publicKey)
  })

  it('prunes the sender of a duplicate without verifying the duplicate again', () => {
    const a = makeNode(1)
    const b = makeNode(2)
    const c = makeNode(3)
    connect(a, [b, c])
    const msg = b.publisher.build(TOPIC, new Uint8Array([1]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg }, 5, [])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { ...msg, hop: 2 } }, 6, out)
    expect(sends(out)).toEqual([{ to: c.id, msg: { type: 'prune', topic: TOPIC } }])
    expect(emitted(out, 'message')).toHaveLength(0)
    expect(a.core.lazyPeers(TOPIC)).toEqual([c.id])
    expect(a.verifier.calls()).toBe(1)
    expect(a.core.drops.duplicate).toBe(1)
  })

  it('sends batched IHAVE to lazy peers after the flush delay', () => {
    const a = makeNode(1)
    const b = makeNode(2)
    const c = makeNode(3)
    connect(a, [b, c])
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'prune', topic: TOPIC } }, 0, [])
    const out: PubSubOutput[] = []
    const m1 = b.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const m2 = b.publisher.build(TOPIC, new Uint8Array([2]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg: m1 }, 1, out)
    a.core.handle({ type: 'recv', from: b.id, msg: m2 }, 2, out)
    const timers = out.filter((o) => o.type === 'schedule' && o.timer.type === 'ihave-flush')
    expect(timers).toHaveLength(1)
    const flush: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'ihave-flush' } }, 10, flush)
    expect(sends(flush)).toEqual([{ to: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(m1), idOf(m2)], hops: [1, 1] } }])
  })

  it('grafts the first announcer after the first timeout, then the next one, and penalises a promise never kept', () => {
    const a = makeNode(1)
    const [b, c, d] = [makeNode(2), makeNode(3), makeNode(4)]
    connect(a, [b, c, d])
    const msg = d.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const id = idOf(msg)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [id], hops: [2] } }, 0, out)
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [id], hops: [3] } }, 1, out)
    expect(out.filter((o) => o.type === 'schedule')).toEqual([{ type: 'schedule', delayMs: 80, timer: { type: 'graft', id, attempt: 0 } }])
    const first: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'graft', id, attempt: 0 } }, 80, first)
    expect(sends(first)).toEqual([{ to: b.id, msg: { type: 'graft', topic: TOPIC, ids: [id] } }])
    expect(first.filter((o) => o.type === 'schedule').map((o) => o.type === 'schedule' && o.delayMs)).toEqual([3_000, 40])
    const second: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'graft', id, attempt: 1 } }, 120, second)
    expect(sends(second)).toEqual([{ to: c.id, msg: { type: 'graft', topic: TOPIC, ids: [id] } }])
    // Asking the next announcer is not yet a broken promise: b may still answer.
    expect(a.core.peers.peek(b.id)?.score.counter('brokenPromise', 120)).toBe(0)
    // The answer to a graft is delivered and a stale timer does nothing.
    const answer: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { ...msg, hop: 4 } }, 130, answer)
    expect(emitted(answer, 'message')).toHaveLength(1)
    const stale: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'graft', id, attempt: 2 } }, 160, stale)
    expect(stale).toEqual([])
    // b never sent a copy within promiseTimeoutMs: broken; c kept its promise.
    a.core.handle({ type: 'timer', timer: { type: 'promise', id, peer: b.id } }, 3_080, [])
    a.core.handle({ type: 'timer', timer: { type: 'promise', id, peer: c.id } }, 3_120, [])
    expect(a.core.peers.peek(b.id)?.score.counter('brokenPromise', 3_080)).toBe(1)
    expect(a.core.peers.peek(c.id)?.score.counter('brokenPromise', 3_120)).toBe(0)
  })

  it('serves a GRAFT from its cache and makes the grafting peer eager', () => {
    const a = makeNode(1)
    const b = makeNode(2)
    const c = makeNode(3)
    connect(a, [b, c])
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'prune', topic: TOPIC } }, 0, [])
    const msg = b.publisher.build(TOPIC, new Uint8Array([1]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg }, 1, [])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'graft', topic: TOPIC, ids: [idOf(msg)] } }, 2, out)
    expect(sends(out)).toEqual([{ to: c.id, msg: { ...msg, hop: 2, originKey: b.publicKey } }])
    expect(a.core.eagerPeers(TOPIC).map((p) => p.toHex()).sort()).toEqual([b.id.toHex(), c.id.toHex()].sort())
  })

  it("attaches no origin key for a neighbour that forwarded or announced one of that origin's messages, nor for the origin", () => {
    const [a, b, c, e, o] = [makeNode(1), makeNode(2), makeNode(3), makeNode(5), makeNode(9)]
    connect(a, [b, c, e, o])
    a.core.handle({ type: 'recv', from: e.id, msg: { type: 'prune', topic: TOPIC } }, 0, [])
    const [m1, m2] = [o.publisher.build(TOPIC, new Uint8Array([1]), 0), o.publisher.build(TOPIC, new Uint8Array([2]), 0)]
    /** Each pushed copy as [receiver, whether it carries the origin's key], sorted. */
    const keyed = (out: PubSubOutput[]) => sends(out, 'publish').map((s) => [s.to.toHex(), s.msg.type === 'publish' && s.msg.originKey !== undefined]).sort()
    // c forwards o's first message (with the key, to a that lacks it): c holds o's key. b gets the
    // key with the message; o, the origin, does not.
    const first: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { ...m1, hop: 2, originKey: o.publicKey } }, 1, first)
    expect(keyed(first)).toEqual([[b.id.toHex(), true], [o.id.toHex(), false]].sort())
    // e, lazy, announces it too: it verified it, so it holds the key as well.
    a.core.handle({ type: 'recv', from: e.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(m1)], hops: [2] } }, 2, [])
    const second: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m2, hop: 2 } }, 3, second)
    expect(keyed(second)).toEqual([[c.id.toHex(), false], [o.id.toHex(), false]].sort())
    const served: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: e.id, msg: { type: 'graft', topic: TOPIC, ids: [idOf(m2)] } }, 4, served)
    expect(sends(served, 'publish')).toEqual([{ to: e.id, msg: { ...m2, hop: 3 } }])
  })

  it("lists the origins it holds keys for in a new link's sub, and attaches none the neighbour listed", () => {
    const [a, b, d, e, o] = [makeNode(1), makeNode(2), makeNode(4), makeNode(5), makeNode(9)]
    connect(a, [b])
    const [m1, m2] = [o.publisher.build(TOPIC, new Uint8Array([1]), 0), o.publisher.build(TOPIC, new Uint8Array([2]), 0)]
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m1, hop: 2, originKey: o.publicKey } }, 1, [])
    const up: PubSubOutput[] = []
    a.core.handle({ type: 'peer-up', peer: d.id }, 2, up)
    a.core.handle({ type: 'peer-up', peer: e.id }, 2, up)
    // b is a neighbour that published nothing here; only o's key is listed.
    expect(sends(up, 'subscribe')).toEqual([
      { to: d.id, msg: { type: 'subscribe', topics: [TOPIC], reply: true, heldKeys: o.id.bytes.slice(0, 8) } },
      { to: e.id, msg: { type: 'subscribe', topics: [TOPIC], reply: true, heldKeys: o.id.bytes.slice(0, 8) } },
    ])
    // d answers that it holds o's key; e holds nothing.
    a.core.handle({ type: 'recv', from: d.id, msg: { type: 'subscribe', topics: [TOPIC], reply: false, heldKeys: o.id.bytes.slice(0, 8) } }, 3, [])
    a.core.handle({ type: 'recv', from: e.id, msg: { type: 'subscribe', topics: [TOPIC], reply: false } }, 3, [])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m2, hop: 2 } }, 4, out)
    const keyed = sends(out, 'publish').map((s) => [s.to.toHex(), s.msg.type === 'publish' && s.msg.originKey !== undefined]).sort()
    expect(keyed).toEqual([[d.id.toHex(), false], [e.id.toHex(), true]].sort())
  })

  it('pushes a message to no eager peer that announced it first', () => {
    const [a, b, c, d, o] = [makeNode(1), makeNode(2), makeNode(3), makeNode(4), makeNode(9)]
    connect(a, [b, c, d, o])
    const msg = o.publisher.build(TOPIC, new Uint8Array([1]), 0)
    // c announces the message before the eager copy reaches a (c holds a lazy link to a).
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(msg)], hops: [1] } }, 0, [])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2 } }, 5, out)
    expect(a.core.eagerPeers(TOPIC).map((p) => p.toHex())).toContain(c.id.toHex())
    expect(sends(out, 'publish').map((s) => s.to.toHex()).sort()).toEqual([d.id.toHex(), o.id.toHex()].sort())
  })

  it('replaces an eager path by a lazy one that is at least the threshold shorter', () => {
    const a = makeNode(1)
    const [b, c, d] = [makeNode(2), makeNode(3), makeNode(4)]
    connect(a, [b, c])
    const msg = d.publisher.build(TOPIC, new Uint8Array([1]), 0)
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(msg)], hops: [1] } }, 0, [])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'command', command: { type: 'learn-key', peer: d.id, publicKey: d.publicKey } }, 0, out)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 9 } }, 10, out)
    expect(sends(out, 'graft')).toEqual([{ to: c.id, msg: { type: 'graft', topic: TOPIC, ids: [] } }])
    expect(sends(out, 'prune')).toEqual([{ to: b.id, msg: { type: 'prune', topic: TOPIC } }])
    expect(a.core.eagerPeers(TOPIC)).toEqual([c.id])
  })

  it('keeps the eager path when the lazy one is less than the threshold shorter', () => {
    const a = makeNode(1)
    const [b, c, d] = [makeNode(2), makeNode(3), makeNode(4)]
    connect(a, [b, c])
    const msg = d.publisher.build(TOPIC, new Uint8Array([1]), 0)
    a.core.handle({ type: 'command', command: { type: 'learn-key', peer: d.id, publicKey: d.publicKey } }, 0, [])
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(msg)], hops: [2] } }, 0, [])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 9 } }, 10, out)
    expect(sends(out, 'graft')).toEqual([])
    expect(sends(out, 'prune')).toEqual([])
  })

  it('stops eager pushing to a peer that sent PRUNE and forgets a peer that went down', () => {
    const a = makeNode(1)
    const [b, c] = [makeNode(2), makeNode(3)]
    connect(a, [b, c])
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'prune', topic: TOPIC } }, 0, [])
    expect(a.core.lazyPeers(TOPIC)).toEqual([b.id])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'peer-down', peer: c.id }, 1, out)
    expect(emitted(out, 'topic-peer-down')).toEqual([{ type: 'topic-peer-down', topic: TOPIC, peer: c.id }])
    expect(a.core.eagerPeers(TOPIC)).toEqual([])
  })

  it('starts only the first initialEagerPeers topic links eager and the later ones lazy', () => {
    const a = makeNode(1, { initialEagerPeers: 2 })
    const [b, c, d, e] = [makeNode(2), makeNode(3), makeNode(4), makeNode(5)]
    connect(a, [b, c, d, e])
    expect(a.core.eagerPeers(TOPIC)).toEqual([b.id, c.id])
    expect(a.core.lazyPeers(TOPIC)).toEqual([d.id, e.id])
    // A pruned eager link frees a slot: the next new link starts eager again.
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'prune', topic: TOPIC } }, 1, [])
    const f = makeNode(6)
    connect(a, [f])
    expect(a.core.eagerPeers(TOPIC)).toEqual([c.id, f.id])
  })

  it('prunes the sender of a duplicate even when the link is already lazy on its own side', () => {
    const a = makeNode(1, { initialEagerPeers: 1 })
    const [b, c] = [makeNode(2), makeNode(3)]
    connect(a, [b, c])
    expect(a.core.lazyPeers(TOPIC)).toEqual([c.id])
    const msg = b.publisher.build(TOPIC, new Uint8Array([1]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg }, 5, [])
    // c still treats the link as eager and pushes; without the PRUNE it would keep doing so.
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { ...msg, hop: 2 } }, 6, out)
    expect(sends(out)).toEqual([{ to: c.id, msg: { type: 'prune', topic: TOPIC } }])
  })

  it('keeps a grafted link and prunes the eager one when the eager copy loses to the graft timeout', () => {
    const a = makeNode(1)
    const [b, c, d] = [makeNode(2), makeNode(3), makeNode(4)]
    connect(a, [b, c])
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'prune', topic: TOPIC } }, 0, [])
    a.core.handle({ type: 'command', command: { type: 'learn-key', peer: d.id, publicKey: d.publicKey } }, 0, [])
    const msg = d.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const id = idOf(msg)
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [id], hops: [1] } }, 0, [])
    const graft: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'graft', id, attempt: 0 } }, 80, graft)
    expect(sends(graft)).toEqual([{ to: c.id, msg: { type: 'graft', topic: TOPIC, ids: [id] } }])
    // The slow eager copy from b arrives before c's answer: b's link is the slow one.
    const eager: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 3 } }, 90, eager)
    expect(emitted(eager, 'message')).toHaveLength(1)
    expect(sends(eager, 'prune')).toEqual([{ to: b.id, msg: { type: 'prune', topic: TOPIC } }])
    // c's answer is a duplicate but was asked for: the grafted link stays eager.
    const answer: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { ...msg, hop: 2 } }, 120, answer)
    expect(sends(answer, 'prune')).toEqual([])
    expect(a.core.eagerPeers(TOPIC)).toEqual([c.id])
    expect(a.core.lazyPeers(TOPIC)).toEqual([b.id])
  })

  it('drops traffic for topics it has not joined', () => {
    const a = makeNode(1)
    const b = makeNode(2)
    connect(a, [b])
    const other = TopicId.fromName('other')
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: b.publisher.build(other, new Uint8Array([1]), 0) }, 1, out)
    expect(emitted(out, 'message')).toHaveLength(0)
    expect(a.core.drops['not-subscribed']).toBe(1)
    expect(a.verifier.calls()).toBe(0)
  })
})
