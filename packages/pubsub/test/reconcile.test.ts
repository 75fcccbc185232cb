/**
 * Reconciling a new topic link (SPEC.md section 7.4): the answering side sends a digest of its whole
 * cache (its list while it holds at most one id); a side whose ids differ answers with its cached ids
 * as a complete `have` while that list is no larger than a sketch, and an IBLT sketch beyond; either
 * way the two sides end up asking each other for exactly what they lack.
 */
import { describe, expect, it } from 'vitest'
import { MessageId } from '@saorsa-gossip/types'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import type { DigestMessage, PublishMessage } from '../src/proto/messages.ts'
import { windowDigest } from '../src/proto/anti-entropy.ts'
import { TOPIC, connect, makeNode, sends, type TestNode } from './helpers.ts'

const idOf = (m: PublishMessage) => MessageId.derive(m.header.origin, m.header.seq, m.header.payloadHash)

/** `node` delivers `count` messages of `origin` (from `via`), so its cache holds their ids. */
function deliver(node: TestNode, via: TestNode, origin: TestNode, count: number): PublishMessage[] {
  const msgs = Array.from({ length: count }, (_, i) => origin.publisher.build(TOPIC, new Uint8Array([i & 0xff, i >> 8]), 0))
  for (const msg of msgs) node.core.handle({ type: 'recv', from: via.id, msg }, 1, [])
  return msgs
}

/** `node` answers a new neighbour's `sub` (r = true); returns what it sent that neighbour. */
function answerSub(node: TestNode, from: TestNode): PubSubOutput[] {
  const out: PubSubOutput[] = []
  node.core.handle({ type: 'peer-up', peer: from.id }, 2, out)
  node.core.handle({ type: 'recv', from: from.id, msg: { type: 'subscribe', topics: [TOPIC], reply: true } }, 2, out)
  return out
}

describe('reconciling a new topic link', () => {
  it('answers with a digest of the whole cache, or the list while it holds at most one id; a neighbour in sync answers nothing', () => {
    const [a, b, c] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b])
    expect(sends(answerSub(a, c), 'have')).toEqual([{ to: c.id, msg: { type: 'have', topic: TOPIC, ids: [], complete: true } }])

    const [d, e, f] = [makeNode(4), makeNode(5), makeNode(6)]
    connect(d, [e])
    connect(f, [e])
    const msgs = deliver(d, e, e, 30)
    for (const msg of msgs) f.core.handle({ type: 'recv', from: e.id, msg }, 1, [])
    const out = answerSub(d, f)
    expect(sends(out, 'have')).toEqual([])
    expect(sends(out, 'sketch')).toEqual([])
    const [digest] = sends(out, 'digest')
    expect(digest?.msg).toMatchObject({ type: 'digest', count: 30 })
    const atF: PubSubOutput[] = []
    f.core.handle({ type: 'peer-up', peer: d.id }, 2, atF)
    f.core.handle({ type: 'recv', from: d.id, msg: digest!.msg }, 3, atF)
    expect(sends(atF).filter((s) => s.msg.type !== 'subscribe')).toEqual([])
    expect(f.core.repairCounters.digestsMatched).toBe(1)
  })

  it('answers a digest that differs with a complete have while the cache holds at most 112 ids, and a sketch beyond', () => {
    const [d, e] = [makeNode(4), makeNode(5)]
    connect(d, [e])
    const msgs = deliver(d, e, e, 112)
    // The whole-cache digest of a node that holds nothing yet.
    const empty = (): DigestMessage => ({ type: 'digest', topic: TOPIC, fromMs: -130_000, toMs: 10_003, ...windowDigest([], -130_000, 10_003) })
    const out: PubSubOutput[] = []
    d.core.handle({ type: 'recv', from: e.id, msg: empty() }, 2, out)
    expect(sends(out, 'sketch')).toEqual([])
    const [have] = sends(out, 'have')
    expect(have?.msg).toMatchObject({ type: 'have', complete: true })
    expect(have?.msg.type === 'have' && have.msg.ids.map((id) => id.toHex()).sort()).toEqual(msgs.map((m) => idOf(m).toHex()).sort())

    deliver(d, e, e, 1)
    const more: PubSubOutput[] = []
    d.core.handle({ type: 'recv', from: e.id, msg: empty() }, 3, more)
    expect(sends(more, 'have')).toEqual([])
    expect(sends(more, 'sketch')).toHaveLength(1)
  })

  it('lets each side fetch what it lacks after a digest that differs, as after a sketch', () => {
    const [a, b, origin] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [origin])
    connect(b, [origin])
    const shared = deliver(a, origin, origin, 3)
    for (const msg of shared) b.core.handle({ type: 'recv', from: origin.id, msg }, 1, [])
    const onlyA = deliver(a, origin, origin, 2)
    const onlyB = origin.publisher.build(TOPIC, new Uint8Array([99]), 0)
    b.core.handle({ type: 'recv', from: origin.id, msg: onlyB }, 1, [])

    // B answers A's sub with a digest; A's cache differs, so A sends B its list; B asks for what it
    // lacks and offers what the list lacks.
    const [digest] = sends(answerSub(b, a), 'digest')
    const atA: PubSubOutput[] = []
    a.core.handle({ type: 'peer-up', peer: b.id }, 2, atA)
    a.core.handle({ type: 'recv', from: b.id, msg: digest!.msg }, 3, atA)
    const [list] = sends(atA, 'have').filter((s) => s.to.equals(b.id))
    expect(list?.msg).toMatchObject({ complete: true })
    const atB: PubSubOutput[] = []
    b.core.handle({ type: 'recv', from: a.id, msg: list!.msg }, 4, atB)
    const asked = sends(atB).filter((s) => s.to.equals(a.id) && (s.msg.type === 'iwant' || s.msg.type === 'graft'))
    expect(asked.flatMap((s) => ('ids' in s.msg ? s.msg.ids.map((id) => id.toHex()) : [])).sort()).toEqual(onlyA.map((m) => idOf(m).toHex()).sort())
    const offered = sends(atB, 'have').filter((s) => s.to.equals(a.id))
    expect(offered).toHaveLength(1)
    expect(offered[0]!.msg).toMatchObject({ complete: false })
    expect(offered[0]!.msg.type === 'have' && offered[0]!.msg.ids.map((id) => id.toHex())).toEqual([idOf(onlyB).toHex()])
  })
})
