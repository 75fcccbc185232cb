/**
 * Reconciling a new topic link (SPEC.md section 7.4): the answering side sends its cached ids as a
 * complete `have` while that list is no larger than a sketch, and an IBLT sketch beyond; either way
 * the two sides end up asking each other for exactly what they lack.
 */
import { describe, expect, it } from 'vitest'
import { MessageId } from '@saorsa-gossip/types'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import type { PublishMessage } from '../src/proto/messages.ts'
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
  it('sends a complete have instead of a 3.8 KB sketch while the cache holds at most 112 ids, and a sketch beyond', () => {
    const [a, b, c] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b])
    expect(sends(answerSub(a, c), 'have')).toEqual([{ to: c.id, msg: { type: 'have', topic: TOPIC, ids: [], complete: true } }])

    const [d, e, f] = [makeNode(4), makeNode(5), makeNode(6)]
    connect(d, [e])
    const msgs = deliver(d, e, e, 112)
    const out = answerSub(d, f)
    expect(sends(out, 'sketch')).toEqual([])
    const [have] = sends(out, 'have')
    expect(have?.msg).toMatchObject({ type: 'have', complete: true })
    expect(have?.msg.type === 'have' && have.msg.ids.map((id) => id.toHex()).sort()).toEqual(msgs.map((m) => idOf(m).toHex()).sort())

    deliver(d, e, e, 1)
    const [g] = [makeNode(7)]
    const more = answerSub(d, g)
    expect(sends(more, 'have')).toEqual([])
    expect(sends(more, 'sketch')).toHaveLength(1)
  })

  it('lets each side fetch what it lacks from a complete list, as after a sketch', () => {
    const [a, b, origin] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [origin])
    connect(b, [origin])
    const shared = deliver(a, origin, origin, 3)
    for (const msg of shared) b.core.handle({ type: 'recv', from: origin.id, msg }, 1, [])
    const onlyA = deliver(a, origin, origin, 2)
    const onlyB = origin.publisher.build(TOPIC, new Uint8Array([99]), 0)
    b.core.handle({ type: 'recv', from: origin.id, msg: onlyB }, 1, [])

    // B answers A's sub with its list; A asks for what it lacks and offers what the list lacks.
    const fromB = sends(answerSub(b, a), 'have')
    expect(fromB).toHaveLength(1)
    const atA: PubSubOutput[] = []
    a.core.handle({ type: 'peer-up', peer: b.id }, 2, atA)
    a.core.handle({ type: 'recv', from: b.id, msg: fromB[0]!.msg }, 3, atA)
    const asked = sends(atA).filter((s) => s.to.equals(b.id) && (s.msg.type === 'iwant' || s.msg.type === 'graft'))
    expect(asked.flatMap((s) => ('ids' in s.msg ? s.msg.ids.map((id) => id.toHex()) : []))).toEqual([idOf(onlyB).toHex()])
    const offered = sends(atA, 'have').filter((s) => s.to.equals(b.id))
    expect(offered).toHaveLength(1)
    expect(offered[0]!.msg).toMatchObject({ complete: false })
    expect(offered[0]!.msg.type === 'have' && offered[0]!.msg.ids.map((id) => id.toHex()).sort()).toEqual(onlyA.map((m) => idOf(m).toHex()).sort())
  })
})
