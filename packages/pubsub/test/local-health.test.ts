import { describe, expect, it } from 'vitest'
import { MessageId } from '@saorsa-gossip/types'
import { LocalHealth } from '../src/proto/local-health.ts'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import type { PublishMessage } from '../src/proto/messages.ts'
import { TOPIC, connect, makeNode, sends } from './helpers.ts'

const idOf = (m: PublishMessage) => MessageId.derive(m.header.origin, m.header.seq, m.header.payloadHash)
const schedules = (out: PubSubOutput[]) => out.flatMap((o) => (o.type === 'schedule' ? [{ delayMs: o.delayMs, type: o.timer.type }] : []))
const lag = (lagMs: number) => ({ type: 'command' as const, command: { type: 'local-lag' as const, lagMs } })

describe('LocalHealth', () => {
  const limits = { lagMultiplier: 2, maxRepairDelayMs: 4_000, lagToleranceMs: 80 }

  it('rises at once, halves every second and widens a wait by the multiplier up to the cap', () => {
    const health = new LocalHealth(limits)
    expect(health.widen(80, 0)).toBe(80)
    health.report(300, 0)
    expect(health.widen(80, 0)).toBe(680)
    expect(health.overloaded(0)).toBe(true)
    expect(health.lagMs(1_000)).toBeCloseTo(150, 5)
    expect(health.lagMs(3_000)).toBeCloseTo(37.5, 5)
    expect(health.overloaded(3_000)).toBe(false)
    health.report(10_000, 3_000)
    expect(health.widen(80, 3_000)).toBe(4_000)
    // A lower sample does not undo a higher estimate at once.
    health.report(0, 3_000)
    expect(health.lagMs(3_000)).toBe(10_000)
  })

  it('ignores samples that are not finite non-negative numbers', () => {
    const health = new LocalHealth(limits)
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) health.report(bad, 0)
    expect(health.lagMs(0)).toBe(0)
  })
})

describe('PubSubCore under local lag', () => {
  it('widens the graft timer while the node runs late, and re-arms a timer that fires before the widened wait', () => {
    const a = makeNode(1)
    const [b, d] = [makeNode(2), makeNode(4)]
    connect(a, [b])
    const msg = d.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const id = idOf(msg)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [id], hops: [2] } }, 0, out)
    expect(schedules(out)).toEqual([{ delayMs: 80, type: 'graft' }])
    // The loop turned out to be 500 ms late: the eager copy may be sitting in our own queue.
    a.core.handle(lag(500), 10, [])
    const early: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'graft', id, attempt: 0 } }, 80, early)
    expect(sends(early)).toEqual([])
    expect(schedules(early)[0]!.delayMs).toBeGreaterThan(800)
    expect(a.core.repairCounters.deferred).toBe(1)
    // A later IHAVE starts its wait widened from the outset.
    const other = d.publisher.build(TOPIC, new Uint8Array([2]), 0)
    const later: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(other)], hops: [2] } }, 100, later)
    expect(schedules(later)[0]!.delayMs).toBeGreaterThan(900)
  })

  it('does not score a broken promise or a rate-limit burst while the node itself is overloaded', () => {
    const a = makeNode(1, { publishRatePerSecond: 10, publishBurst: 2 })
    const [b, d] = [makeNode(2), makeNode(4)]
    connect(a, [b])
    const msg = d.publisher.build(TOPIC, new Uint8Array([1]), 0)
    // The loop was stuck for a second: everything b sent meanwhile is read in one burst.
    a.core.handle(lag(1_000), 1_000, [])
    a.core.handle({ type: 'timer', timer: { type: 'promise', id: idOf(msg), peer: b.id } }, 1_000, [])
    // Burst 2 + 10/s x 1 s of slack admits 12 of 30.
    for (let i = 0; i < 30; i++) a.core.handle({ type: 'recv', from: b.id, msg: { ...b.publisher.build(TOPIC, new Uint8Array([i]), 1_000), hop: 1 } }, 1_000, [])
    expect(a.core.drops['rate-limited']).toBe(18)
    const score = a.core.peers.peek(b.id)!.score
    expect(score.counter('rateLimited', 1_000)).toBe(0)
    expect(score.counter('brokenPromise', 1_000)).toBe(0)
    // Without lag the same burst is scored.
    const calm = makeNode(5, { publishRatePerSecond: 10, publishBurst: 2 })
    connect(calm, [b])
    for (let i = 0; i < 30; i++) calm.core.handle({ type: 'recv', from: b.id, msg: { ...b.publisher.build(TOPIC, new Uint8Array([i]), 1_000), hop: 1 } }, 1_000, [])
    expect(calm.core.drops['rate-limited']).toBe(28)
    expect(calm.core.peers.peek(b.id)!.score.counter('rateLimited', 1_000)).toBe(28)
  })

  it('waits one measured graft round trip before asking the next announcer', () => {
    const a = makeNode(1)
    const [b, c, d] = [makeNode(2), makeNode(3), makeNode(4)]
    connect(a, [b, c])
    // A first graft answered after 200 ms teaches the round trip.
    const m1 = d.publisher.build(TOPIC, new Uint8Array([1]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(m1)], hops: [2] } }, 0, [])
    a.core.handle({ type: 'timer', timer: { type: 'graft', id: idOf(m1), attempt: 0 } }, 80, [])
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m1, hop: 3 } }, 280, [])
    const m2 = d.publisher.build(TOPIC, new Uint8Array([2]), 0)
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(m2)], hops: [2] } }, 300, [])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'graft', id: idOf(m2), attempt: 0 } }, 380, out)
    // SRTT 200 + 4 x RTTVAR 100 = 600 ms rather than the 40 ms floor.
    expect(schedules(out)).toEqual([{ delayMs: 3_000, type: 'promise' }, { delayMs: 600, type: 'graft' }])
  })

  it('never asks for an id by IWANT while its graft is outstanding, and bounds grafts per second', () => {
    const a = makeNode(1, { repairRatePerSecond: 1, repairBurst: 1 })
    const [b, d] = [makeNode(2), makeNode(4)]
    connect(a, [b])
    const [m1, m2] = [d.publisher.build(TOPIC, new Uint8Array([1]), 0), d.publisher.build(TOPIC, new Uint8Array([2]), 0)]
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(m1), idOf(m2)], hops: [2, 2] } }, 0, [])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'graft', id: idOf(m1), attempt: 0 } }, 80, out)
    a.core.handle({ type: 'timer', timer: { type: 'graft', id: idOf(m2), attempt: 0 } }, 80, out)
    expect(sends(out, 'graft')).toHaveLength(1)
    expect(a.core.repairCounters.throttled).toBe(1)
    const have: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'have', topic: TOPIC, ids: [idOf(m1), idOf(m2)], complete: false } }, 90, have)
    expect(sends(have, 'iwant')).toEqual([{ to: b.id, msg: { type: 'iwant', topic: TOPIC, ids: [idOf(m2)] } }])
  })
})

describe('origin keys on request', () => {
  it("never attaches a key in 'on-request' mode: the receiver asks the forwarder, and an IHAVE for the parked id grafts nothing", () => {
    const a = makeNode(1, { originKeys: 'on-request' })
    const [b, c, origin] = [makeNode(2), makeNode(3), makeNode(4)]
    connect(a, [b, c])
    const msg = origin.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2 } }, 0, out)
    expect(sends(out, 'key-request')).toEqual([{ to: b.id, msg: { type: 'key-request', origins: [origin.id] } }])
    const ihave: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(msg)], hops: [1] } }, 1, ihave)
    expect(schedules(ihave)).toEqual([])
    const released: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'key-response', keys: [origin.publicKey] } }, 2, released)
    // Delivered and forwarded to c without the key: c will ask a in turn.
    const pushed = sends(released, 'publish')
    expect(pushed).toHaveLength(1)
    expect(pushed[0]!.msg.type === 'publish' && pushed[0]!.msg.originKey).toBe(undefined)
  })

  it("forwards a message that arrived with its origin's key without passing the key on to a link that already had it", () => {
    const a = makeNode(1)
    const [b, c, origin] = [makeNode(2), makeNode(3), makeNode(4)]
    connect(a, [b, c])
    const m1 = origin.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const m2 = origin.publisher.build(TOPIC, new Uint8Array([2]), 0)
    const first: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m1, hop: 2, originKey: origin.publicKey } }, 0, first)
    expect(sends(first, 'publish').map((s) => s.msg.type === 'publish' && s.msg.originKey !== undefined)).toEqual([true])
    const second: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...m2, hop: 2, originKey: origin.publicKey } }, 1, second)
    expect(sends(second, 'publish').map((s) => s.msg.type === 'publish' && s.msg.originKey !== undefined)).toEqual([false])
  })
})
