import { describe, expect, it } from 'vitest'
import { MessageId } from '@saorsa-gossip/types'
import { RttEstimator } from '../src/proto/rtt-estimator.ts'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import type { PublishMessage } from '../src/proto/messages.ts'
import { TOPIC, connect, makeNode, sends, type TestNode } from './helpers.ts'

const idOf = (m: PublishMessage) => MessageId.derive(m.header.origin, m.header.seq, m.header.payloadHash)
const graftWaits = (out: PubSubOutput[]) => out.flatMap((o) => (o.type === 'schedule' && o.timer.type === 'graft' ? [o.delayMs] : []))

describe('RttEstimator (RFC 6298 section 2)', () => {
  it.each([
    // samples, deviations, floor, cap, timeout
    [[], 4, 80, Infinity, 80],
    [[100], 4, 80, Infinity, 300], // SRTT 100, RTTVAR 50
    [[100], 1, 80, Infinity, 150],
    [[100, 200], 4, 0, Infinity, 363], // RTTVAR 0.75 x 50 + 0.25 x 100 = 62.5; SRTT 112.5
    [[100, 200], 1, 0, Infinity, 175],
    [[10], 1, 80, Infinity, 80], // never below the floor
    [[5_000], 1, 80, 1_000, 1_000], // never above the cap
  ])('samples %j, SRTT + %d RTTVAR within [%d, %d] is %d', (samples, deviations, floor, cap, expected) => {
    const rtt = new RttEstimator()
    for (const s of samples) rtt.sample(s)
    expect(rtt.timeoutMs(floor, cap, deviations)).toBe(expected)
  })

  it('ignores samples that are not finite non-negative numbers', () => {
    const rtt = new RttEstimator()
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) rtt.sample(bad)
    expect(rtt.samples).toBe(0)
    expect(rtt.timeoutMs(80)).toBe(80)
  })
})

/**
 * Node `a` hears of each of `c`'s messages first through an IHAVE from the lazy peer `b`, and gets
 * the eager copy from `c` itself `lateMs` later (a queued path, not a lost message).
 */
function lateCopy(a: TestNode, b: TestNode, c: TestNode, n: number, atMs: number, lateMs: number): { grafted: boolean } {
  const msg = { ...c.publisher.build(TOPIC, new Uint8Array([n]), atMs), hop: 1 }
  const id = idOf(msg)
  const out: PubSubOutput[] = []
  a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [id], hops: [1] } }, atMs, out)
  const [wait] = graftWaits(out)
  const fired: PubSubOutput[] = []
  if (wait !== undefined && wait < lateMs) a.core.handle({ type: 'timer', timer: { type: 'graft', id, attempt: 0 } }, atMs + wait, fired)
  a.core.handle({ type: 'recv', from: c.id, msg }, atMs + lateMs, [])
  return { grafted: sends(fired, 'graft').length > 0 }
}

describe('PubSubCore: the first graft wait follows the lateness of eager copies', () => {
  it('starts at graftTimeout1Ms, learns from eager copies that arrive after the graft, and mostly stops grafting for them', () => {
    const [a, b, c] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b, c])
    // The first late copy is grafted for at 80 ms, and its arrival 300 ms after the IHAVE is a sample.
    expect(lateCopy(a, b, c, 0, 0, 300)).toEqual({ grafted: true })
    expect(a.core.repairCounters.lateEager).toBe(1)
    // SRTT 300 + one RTTVAR 150.
    expect(a.core.firstGraftWaitMs(300)).toBe(450)
    // A stream of copies 160-240 ms late, one every 300 ms: most are waited for, not grafted for.
    const lateness = [180, 220, 200, 240, 160, 210, 190, 230, 170, 200]
    const grafted = lateness.filter((late, n) => lateCopy(a, b, c, n + 1, 1_000 + n * 300, late).grafted).length
    expect(grafted).toBeLessThanOrEqual(3)
    // With the wait fixed at graftTimeout1Ms, every one of them is grafted for.
    const [fixed, b2, c2] = [makeNode(4, { maxEagerWaitMs: 80 }), makeNode(5), makeNode(6)]
    connect(fixed, [b2, c2])
    expect(lateness.filter((late, n) => lateCopy(fixed, b2, c2, n + 1, 1_000 + n * 300, late).grafted)).toHaveLength(lateness.length)
  })

  it('stands for a second without samples, then halves every second, back to graftTimeout1Ms once the burst is over', () => {
    const [a, b, c] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b, c])
    lateCopy(a, b, c, 0, 0, 300)
    expect(a.core.firstGraftWaitMs(300)).toBe(450)
    expect(a.core.firstGraftWaitMs(1_300)).toBe(450)
    expect(a.core.firstGraftWaitMs(2_300)).toBe(225)
    expect(a.core.firstGraftWaitMs(4_300)).toBe(80)
  })

  it('comes back down when eager copies run close behind their IHAVEs again', () => {
    const [a, b, c] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b, c])
    lateCopy(a, b, c, 0, 0, 300)
    for (let n = 1; n <= 30; n++) lateCopy(a, b, c, n, n * 1_000, 5)
    expect(a.core.firstGraftWaitMs(40_000)).toBe(80)
  })

  it('never waits longer than maxEagerWaitMs, and a graft answer is not an eager copy', () => {
    const [a, b, c] = [makeNode(1, { maxEagerWaitMs: 200 }), makeNode(2), makeNode(3)]
    connect(a, [b, c])
    const msg = { ...c.publisher.build(TOPIC, new Uint8Array([1]), 0), hop: 1 }
    const id = idOf(msg)
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'ihave', topic: TOPIC, ids: [id], hops: [1] } }, 0, [])
    const fired: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'graft', id, attempt: 0 } }, 80, fired)
    expect(sends(fired, 'graft').map((s) => s.to.toHex())).toEqual([b.id.toHex()])
    // b answers the graft: that copy says nothing about how late the eager path runs.
    a.core.handle({ type: 'recv', from: b.id, msg }, 90, [])
    expect(a.core.repairCounters.lateEager).toBe(0)
    expect(a.core.firstGraftWaitMs(100)).toBe(80)
    // The eager copy from c, 2 s late, is sampled; the wait stops at the cap.
    a.core.handle({ type: 'recv', from: c.id, msg }, 2_000, [])
    expect(a.core.repairCounters.lateEager).toBe(1)
    expect(a.core.firstGraftWaitMs(2_000)).toBe(200)
  })

  it('rejects a cap below graftTimeout1Ms', () => {
    expect(() => makeNode(1, { maxEagerWaitMs: 50 })).toThrow(/maxEagerWaitMs/)
  })
})
