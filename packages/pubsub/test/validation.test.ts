import { describe, expect, it } from 'vitest'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import { TOPIC, connect, emitted, makeNode, sends } from './helpers.ts'

/** a joined TOPIC with neighbours b (the forwarder) and c, and a validator on TOPIC. */
function setup(config = {}) {
  const [a, b, c, origin] = [makeNode(1, config), makeNode(2), makeNode(3), makeNode(4)]
  connect(a, [b, c])
  const out: PubSubOutput[] = []
  a.core.handle({ type: 'command', command: { type: 'set-validator', topic: TOPIC, timeoutMs: 500 } }, 0, out)
  return { a, b, c, origin }
}

describe('PubSubCore topic validators', () => {
  it('holds a verified message for the validator and neither delivers nor forwards it before the verdict', () => {
    const { a, b, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 1, out)
    const [validate] = emitted(out, 'validate')
    expect(validate?.request).toMatchObject({ topic: TOPIC, origin: origin.id, from: b.id, seq: 0, payload: new Uint8Array([1]) })
    expect(emitted(out, 'message')).toEqual([])
    expect(sends(out, 'publish')).toEqual([])
    expect(out).toContainEqual({ type: 'schedule', delayMs: 500, timer: { type: 'validation-timeout', validationId: validate!.validationId } })
    expect(a.verifier.calls()).toBe(1)
  })

  it('delivers and forwards on accept', () => {
    const { a, b, c, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([2]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 1, out)
    const { validationId } = emitted(out, 'validate')[0]!
    const after: PubSubOutput[] = []
    a.core.handle({ type: 'command', command: { type: 'validated', validationId, result: 'accept' } }, 2, after)
    expect(emitted(after, 'message')[0]?.delivery).toMatchObject({ origin: origin.id, from: b.id, hop: 2 })
    expect(sends(after, 'publish').map((s) => s.to)).toEqual([c.id])
  })

  it('drops a rejected message for good, penalises the forwarder, and never fetches it again', () => {
    const { a, b, c, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([3]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 1, out)
    const { validationId, request } = emitted(out, 'validate')[0]!
    const after: PubSubOutput[] = []
    a.core.handle({ type: 'command', command: { type: 'validated', validationId, result: 'reject' } }, 2, after)
    expect(emitted(after, 'message')).toEqual([])
    expect(sends(after, 'publish')).toEqual([])
    expect(a.core.drops['validation-rejected']).toBe(1)
    expect(a.core.peers.peek(b.id)?.score.counter('rejected', 2)).toBe(1)
    // An IHAVE for it from c starts no graft timer; a later copy is a plain duplicate.
    const later: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [request.id], hops: [1] } }, 3, later)
    expect(later.filter((o) => o.type === 'schedule')).toEqual([])
    a.core.handle({ type: 'recv', from: c.id, msg: { ...msg, hop: 2 } }, 4, later)
    expect(emitted(later, 'validate')).toEqual([])
    expect(a.verifier.calls()).toBe(1)
  })

  it('counts ignore and timeout without penalty, and treats a late verdict as a no-op', () => {
    const { a, b, origin } = setup()
    const out: PubSubOutput[] = []
    const m1 = origin.publisher.build(TOPIC, new Uint8Array([4]), 0)
    const m2 = origin.publisher.build(TOPIC, new Uint8Array([5]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m1, hop: 2, originKey: origin.publicKey } }, 1, out)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m2, hop: 2 } }, 1, out)
    const [v1, v2] = emitted(out, 'validate')
    a.core.handle({ type: 'command', command: { type: 'validated', validationId: v1!.validationId, result: 'ignore' } }, 2, out)
    a.core.handle({ type: 'timer', timer: { type: 'validation-timeout', validationId: v2!.validationId } }, 501, out)
    a.core.handle({ type: 'command', command: { type: 'validated', validationId: v2!.validationId, result: 'accept' } }, 502, out)
    expect(emitted(out, 'message')).toEqual([])
    expect(a.core.drops['validation-ignored']).toBe(1)
    expect(a.core.drops['validation-timeout']).toBe(1)
    expect(a.core.peers.peek(b.id)?.score.counter('rejected', 502)).toBe(0)
  })

  it('makes copies of a held message no-ops: no second validation, no score, no prune', () => {
    const { a, b, c, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([6]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 1, out)
    const dup: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { ...msg, hop: 2 } }, 2, dup)
    expect(dup).toEqual([])
    expect(a.core.drops.duplicate).toBe(1)
    expect(a.core.peers.peek(c.id)?.score.counter('duplicate', 2)).toBe(0)
    expect(a.core.eagerPeers(TOPIC).map((p) => p.toHex()).sort()).toEqual([b.id, c.id].map((p) => p.toHex()).sort())
  })

  it('ignores messages over the pending cap (counted) and validates nothing once the validator is removed', () => {
    const { a, b, origin } = setup({ maxPendingValidations: 1 })
    const out: PubSubOutput[] = []
    const m1 = origin.publisher.build(TOPIC, new Uint8Array([7]), 0)
    const m2 = origin.publisher.build(TOPIC, new Uint8Array([8]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m1, hop: 2, originKey: origin.publicKey } }, 1, out)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m2, hop: 2 } }, 1, out)
    expect(emitted(out, 'validate')).toHaveLength(1)
    expect(a.core.drops['validation-overloaded']).toBe(1)
    a.core.handle({ type: 'command', command: { type: 'remove-validator', topic: TOPIC } }, 2, out)
    const m3 = origin.publisher.build(TOPIC, new Uint8Array([9]), 0)
    const after: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m3, hop: 2 } }, 3, after)
    expect(emitted(after, 'message')).toHaveLength(1)
  })
})

describe('PubSubCore neighbour broadcast', () => {
  it('sends to every topic neighbour, eager or lazy, and caches nothing', () => {
    const a = makeNode(1, { initialEagerPeers: 1 })
    const [b, c] = [makeNode(2), makeNode(3)]
    connect(a, [b, c])
    expect(a.core.lazyPeers(TOPIC)).toHaveLength(1)
    const msg = a.publisher.build(TOPIC, new Uint8Array([1]), 0, { neighborsOnly: true })
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'command', command: { type: 'publish', topic: TOPIC, message: msg, requestId: 1 } }, 0, out)
    expect(sends(out, 'publish').map((s) => s.to.toHex()).sort()).toEqual([b.id, c.id].map((p) => p.toHex()).sort())
    expect(sends(out, 'publish').every((s) => s.msg.type === 'publish' && s.msg.neighborsOnly === true && s.msg.hop === 1)).toBe(true)
    expect(emitted(out, 'published')[0]).toMatchObject({ outcome: 'sent', peers: 2 })
    // Nothing to serve: a GRAFT for it returns nothing.
    const served: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'graft', topic: TOPIC, ids: [emitted(out, 'published')[0]!.id!] } }, 1, served)
    expect(sends(served, 'publish')).toEqual([])
  })

  it('delivers a neighbour broadcast from its origin and never forwards it', () => {
    const [a, b, c] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b, c])
    const msg = b.publisher.build(TOPIC, new Uint8Array([2]), 0, { neighborsOnly: true })
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg }, 1, out)
    expect(emitted(out, 'message')[0]?.delivery).toMatchObject({ origin: b.id, from: b.id, hop: 1, neighborsOnly: true })
    expect(sends(out, 'publish')).toEqual([])
    expect(sends(out, 'ihave')).toEqual([])
    a.core.handle({ type: 'recv', from: b.id, msg }, 2, out)
    expect(a.core.drops.duplicate).toBe(1)
    expect(sends(out, 'prune')).toEqual([])
  })

  it('drops a relayed neighbour broadcast and penalises the relay', () => {
    const [a, b, c] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b, c])
    const msg = c.publisher.build(TOPIC, new Uint8Array([3]), 0, { neighborsOnly: true })
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg }, 1, out)
    expect(emitted(out, 'message')).toEqual([])
    expect(a.core.drops['not-from-origin']).toBe(1)
    expect(a.core.peers.peek(b.id)?.score.counter('invalid', 1)).toBe(1)
  })

  it('never accepts a neighbour-broadcast signature as a tree message, nor the reverse', () => {
    const [a, b] = [makeNode(1), makeNode(2)]
    connect(a, [b])
    const neighborMsg = b.publisher.build(TOPIC, new Uint8Array([4]), 0, { neighborsOnly: true })
    const { neighborsOnly: _n, ...asTree } = neighborMsg
    const treeMsg = b.publisher.build(TOPIC, new Uint8Array([5]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: asTree }, 1, out)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...treeMsg, neighborsOnly: true } }, 1, out)
    expect(emitted(out, 'message')).toEqual([])
    expect(a.core.drops['bad-signature']).toBe(2)
  })
})
