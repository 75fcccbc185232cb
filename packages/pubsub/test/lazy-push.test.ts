import { describe, expect, it } from 'vitest'
import { MessageId } from '@saorsa-gossip/types'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import type { PublishMessage } from '../src/proto/messages.ts'
import { TOPIC, connect, makeNode, sends } from './helpers.ts'

const idOf = (m: PublishMessage) => MessageId.derive(m.header.origin, m.header.seq, m.header.payloadHash)
const flush = { type: 'timer' as const, timer: { type: 'ihave-flush' as const } }

/** `a` has `c` as its one eager peer and `b` as a lazy one; `c` pushes it one of c's messages at t = 0. */
function setup() {
  const [a, b, c] = [makeNode(1, { initialEagerPeers: 1 }), makeNode(2), makeNode(3)]
  connect(a, [c, b])
  const msg = { ...c.publisher.build(TOPIC, new Uint8Array([7]), 0), hop: 1 }
  const out: PubSubOutput[] = []
  a.core.handle({ type: 'recv', from: c.id, msg }, 0, out)
  expect(out.some((o) => o.type === 'schedule' && o.timer.type === 'ihave-flush')).toBe(true)
  return { a, b, c, msg, id: idOf(msg) }
}

describe('lazy push: IHAVEs withdrawn before the flush', () => {
  it('announces a message to a lazy peer that has not shown it holds it', () => {
    const { a, b } = setup()
    const out: PubSubOutput[] = []
    a.core.handle(flush, 5, out)
    expect(sends(out, 'ihave').map((s) => s.to.toHex())).toEqual([b.id.toHex()])
    expect(a.core.repairCounters.ihaveWithdrawn).toBe(0)
  })

  it('withdraws the IHAVE when the lazy peer announces the same message first', () => {
    const { a, b, id } = setup()
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [id], hops: [1] } }, 2, [])
    const out: PubSubOutput[] = []
    a.core.handle(flush, 5, out)
    expect(sends(out, 'ihave')).toEqual([])
    expect(a.core.repairCounters.ihaveWithdrawn).toBe(1)
  })

  it('withdraws the IHAVE when the lazy peer sends the message itself, and keeps the others of the batch', () => {
    const { a, b, c, msg } = setup()
    const second = { ...c.publisher.build(TOPIC, new Uint8Array([8]), 0), hop: 1 }
    a.core.handle({ type: 'recv', from: c.id, msg: second }, 1, [])
    a.core.handle({ type: 'recv', from: b.id, msg }, 2, [])
    const out: PubSubOutput[] = []
    a.core.handle(flush, 5, out)
    const ihaves = sends(out, 'ihave')
    expect(ihaves).toHaveLength(1)
    expect(ihaves[0]!.msg.type === 'ihave' && ihaves[0]!.msg.ids.map((i) => i.toHex())).toEqual([idOf(second).toHex()])
    expect(a.core.repairCounters.ihaveWithdrawn).toBe(1)
  })

  it('forgets what a peer held at the flush: the next message is announced to it again', () => {
    const { a, b, c, id } = setup()
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [id], hops: [1] } }, 2, [])
    a.core.handle(flush, 5, [])
    const next = { ...c.publisher.build(TOPIC, new Uint8Array([9]), 10), hop: 1 }
    a.core.handle({ type: 'recv', from: c.id, msg: next }, 10, [])
    const out: PubSubOutput[] = []
    a.core.handle(flush, 15, out)
    expect(sends(out, 'ihave').map((s) => s.to.toHex())).toEqual([b.id.toHex()])
  })
})
