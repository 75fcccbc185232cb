/**
 * Digest-first anti-entropy (SPEC.md section 7.4): the periodic round sends a digest of a settled
 * window of cached ids; a neighbour holding the same ids answers nothing, one that differs starts the
 * full reconciliation, and the window and digest times follow the stated formulas.
 */
import { describe, expect, it } from 'vitest'
import { MessageId } from '@saorsa-gossip/types'
import {
  DIGEST_CLAMP_MS, DIGEST_SETTLE_MS, digestTimeMs, digestWindow, windowDigest,
} from '../src/proto/anti-entropy.ts'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import type { DigestMessage, PublishMessage } from '../src/proto/messages.ts'
import { TOPIC, connect, makeNode, sends, type TestNode } from './helpers.ts'

const WALL = 1_700_000_000_000
const idOf = (m: PublishMessage) => MessageId.derive(m.header.origin, m.header.seq, m.header.payloadHash)

/** A node whose wall clock reads WALL + nowMs. */
function node(n: number): TestNode {
  const t = makeNode(n)
  t.core.handle({ type: 'command', command: { type: 'wall-clock', wallMs: WALL } }, 0, [])
  return t
}

/** Messages of `origin` stamped `stampMs`, received by each of `nodes` at `nowMs`. */
function deliver(nodes: TestNode[], origin: TestNode, count: number, stampMs: number, nowMs: number, tag = 0): PublishMessage[] {
  const msgs = Array.from({ length: count }, (_, i) => origin.publisher.build(TOPIC, new Uint8Array([tag, i]), stampMs))
  for (const n of nodes) for (const msg of msgs) n.core.handle({ type: 'recv', from: origin.id, msg }, nowMs, [])
  return msgs
}

/** Runs `node`'s periodic anti-entropy round at `nowMs`. */
function round(n: TestNode, nowMs: number): PubSubOutput[] {
  const out: PubSubOutput[] = []
  n.core.handle({ type: 'timer', timer: { type: 'anti-entropy' } }, nowMs, out)
  return out
}

function pair(): { a: TestNode; b: TestNode; origin: TestNode } {
  const [a, b, origin] = [node(1), node(2), node(3)]
  connect(a, [b, origin])
  connect(b, [a, origin])
  return { a, b, origin }
}

describe('digest-first anti-entropy rounds', () => {
  it('opens the periodic round with a 32-byte digest of the settled window, not a list or a sketch', () => {
    const { a, b, origin } = pair()
    const msgs = deliver([a, b], origin, 200, WALL + 1_000, 1_000)
    const out = round(a, 60_000)
    expect(sends(out, 'sketch')).toEqual([])
    expect(sends(out, 'have')).toEqual([])
    const digests = sends(out, 'digest')
    expect(digests).toHaveLength(1)
    const msg = digests[0]!.msg as DigestMessage
    expect(msg).toMatchObject({ fromMs: WALL + 60_000 - 120_000 + 2 * DIGEST_CLAMP_MS, toMs: WALL + 60_000 - DIGEST_SETTLE_MS, count: 200 })
    const expected = windowDigest(msgs.map((m) => ({ id: idOf(m), digestMs: WALL + 1_000 })), msg.fromMs, msg.toMs)
    expect(msg.hash).toEqual(expected.hash)
    expect(a.core.repairCounters.digestsSent).toBe(1)
  })

  it('a neighbour holding the same window answers nothing, whatever it holds outside the window', () => {
    const { a, b, origin } = pair()
    deliver([a, b], origin, 50, WALL + 1_000, 1_000)
    // Only b holds a message newer than the window's end: still spreading, not compared.
    deliver([b], origin, 1, WALL + 58_000, 58_000, 1)
    const digest = sends(round(a, 60_000), 'digest')[0]!
    const answer: PubSubOutput[] = []
    b.core.handle({ type: 'recv', from: a.id, msg: digest.msg }, 60_001, answer)
    expect(sends(answer)).toEqual([])
    expect(b.core.repairCounters).toMatchObject({ digestsMatched: 1, digestsDiffered: 0 })
  })

  it('a neighbour whose window differs reconciles the whole cache with the sender, and each side gets what it lacked', () => {
    const { a, b, origin } = pair()
    deliver([a, b], origin, 20, WALL + 1_000, 1_000)
    const onlyA = deliver([a], origin, 2, WALL + 2_000, 2_000, 1)
    const onlyB = deliver([b], origin, 1, WALL + 3_000, 3_000, 2)
    const digest = sends(round(a, 60_000), 'digest')[0]!
    const atB: PubSubOutput[] = []
    b.core.handle({ type: 'recv', from: a.id, msg: digest.msg }, 60_001, atB)
    expect(b.core.repairCounters.digestsDiffered).toBe(1)
    const list = sends(atB, 'have')
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ to: a.id, msg: { complete: true } })
    // A asks b for what it lacks and offers b what b's list lacks.
    const atA: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: list[0]!.msg }, 60_002, atA)
    const asked = sends(atA).filter((s) => s.to.equals(b.id) && (s.msg.type === 'iwant' || s.msg.type === 'graft'))
    expect(asked.flatMap((s) => ('ids' in s.msg ? s.msg.ids.map((id) => id.toHex()) : []))).toEqual(onlyB.map((m) => idOf(m).toHex()))
    const offered = sends(atA, 'have').filter((s) => s.to.equals(b.id))
    expect(offered[0]!.msg.type === 'have' && offered[0]!.msg.ids.map((id) => id.toHex()).sort()).toEqual(onlyA.map((m) => idOf(m).toHex()).sort())
  })

  it('places a message from a skewed origin clock within 10 s of its arrival, so windows still cover it', () => {
    const { a, b, origin } = pair()
    // Stamped 150 s early by its origin's clock (still under the 180 s age limit), received at
    // WALL + 1 s: its stamp lies before the window at 60 s, its digest time (WALL - 9 s) inside.
    deliver([a, b], origin, 2, WALL - 150_000, 1_000)
    const digest = sends(round(a, 60_000), 'digest')[0]!.msg as DigestMessage
    expect(digest.count).toBe(2)
  })

  it('sends the list when the cache holds at most one id, which is no larger than a digest', () => {
    const { a, origin } = pair()
    deliver([a], origin, 1, WALL + 1_000, 1_000)
    const out = round(a, 60_000)
    expect(sends(out, 'digest')).toEqual([])
    expect(sends(out, 'have')[0]?.msg).toMatchObject({ complete: true, ids: [expect.anything()] })
  })

  it('reconciles at once when the message cache is too short for a window', () => {
    const [a, b] = [makeNode(1, { messageCacheMs: 25_000 }), makeNode(2)]
    connect(a, [b])
    const out = round(a, 60_000)
    expect(sends(out, 'digest')).toEqual([])
    expect(sends(out, 'have')).toHaveLength(1)
  })
})

describe('digest times and windows', () => {
  it.each([
    { stamp: 1_000_000, received: 1_000_000, expected: 1_000_000 },
    { stamp: 1_009_999, received: 1_000_000, expected: 1_009_999 },
    { stamp: 1_050_000, received: 1_000_000, expected: 1_000_000 + DIGEST_CLAMP_MS },
    { stamp: 0, received: 1_000_000, expected: 1_000_000 - DIGEST_CLAMP_MS },
  ])('stamp $stamp received at $received -> $expected', ({ stamp, received, expected }) => {
    expect(digestTimeMs(stamp, received)).toBe(expected)
  })

  it.each([
    { wall: 200_000, cache: 120_000, window: { fromMs: 100_000, toMs: 195_000 } },
    { wall: 200_000, cache: 25_001, window: { fromMs: 194_999, toMs: 195_000 } },
    { wall: 200_000, cache: 25_000, window: undefined },
  ])('settled window at wall $wall, cache $cache ms', ({ wall, cache, window }) => {
    expect(digestWindow(wall, cache)).toEqual(window)
  })

  it.each([
    { wall: 200_000, cache: 120_000, window: { fromMs: 70_000, toMs: 210_001 } },
    { wall: 200_000, cache: 1_000, window: { fromMs: 189_000, toMs: 210_001 } },
    { wall: 200_000, cache: 3_600_000, window: undefined },
  ])('whole-cache window at wall $wall, cache $cache ms', ({ wall, cache, window }) => {
    expect(digestWindow(wall, cache, 'whole')).toEqual(window)
  })

  it('hashes the same set to the same digest in any order, and counts only the window', () => {
    const ids = [3, 1, 2].map((n) => MessageId.fromBytes(new Uint8Array(32).fill(n)))
    const forward = windowDigest(ids.map((id, i) => ({ id, digestMs: 10 + i })), 10, 13)
    const backward = windowDigest([...ids].reverse().map((id, i) => ({ id, digestMs: 12 - i })), 10, 13)
    expect(forward).toEqual(backward)
    expect(forward.count).toBe(3)
    expect(windowDigest(ids.map((id, i) => ({ id, digestMs: 10 + i })), 10, 12).count).toBe(2)
    expect(windowDigest([], 0, 1).hash).not.toEqual(forward.hash)
  })
})
