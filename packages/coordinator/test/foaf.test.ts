import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng, toHex } from '@saorsa-gossip/types'
import { decodeFoafMessage, encodeFoafMessage, encodeQueryBody, encodeQueryEnvelope } from '../src/foaf-codec.ts'
import { COORDINATOR_LAN, type FoafConfig } from '../src/proto/config.ts'
import { FoafCore, type FoafOutput } from '../src/proto/foaf.ts'
import { MAX_FOAF_PAYLOAD_BYTES, type FoafMessage, type FoafQueryMessage, type FoafTarget } from '../src/proto/foaf-messages.ts'
import { fakeKey, fakeSign, fakeVerify, T0 } from './helpers.ts'

const COORD: FoafTarget = { kind: 'coordinator' }
const RECORD = new Uint8Array([1, 2, 3])

interface Node { id: PeerId; core: FoafCore; records: Uint8Array[] }

function node(n: number, config: Partial<FoafConfig> = {}, verify = fakeVerify): Node {
  const { publicKey, peerId } = fakeKey(n)
  const records: Uint8Array[] = []
  const core = new FoafCore({
    self: peerId, publicKey, config: { ...COORDINATOR_LAN.foaf, ...config }, clockSkewMs: 30_000, rng: new SeededRng(n),
    sign: fakeSign(publicKey), verify, answer: () => records,
  })
  core.handle({ type: 'command', command: { type: 'wall-clock', wallMs: T0 } }, 0, [])
  return { id: peerId, core, records }
}

function link(a: Node, ...others: Node[]): void {
  for (const b of others) {
    a.core.handle({ type: 'peer-up', peer: b.id }, 0, [])
    b.core.handle({ type: 'peer-up', peer: a.id }, 0, [])
  }
}

const sends = (out: FoafOutput[]): Array<{ to: PeerId; msg: FoafMessage }> =>
  out.flatMap((o) => (o.type === 'send' ? [{ to: o.to, msg: o.msg }] : []))
const events = (out: FoafOutput[]): string[] => out.flatMap((o) => (o.type === 'emit' ? [o.event.type] : []))

/** Starts a coordinator query at `from` and returns the query message it sent. */
function startQuery(from: Node, nowMs = 0, ref = 1): { out: FoafOutput[]; query: FoafQueryMessage } {
  const out: FoafOutput[] = []
  from.core.handle({ type: 'command', command: { type: 'find', target: COORD, ref } }, nowMs, out)
  const query = sends(out)[0]?.msg
  if (query?.type !== 'query') throw new Error('no query sent')
  return { out, query }
}

describe('FOAF core', () => {
  it('sends a new query to three random neighbours with the full TTL and arms its deadline', () => {
    const [a, ...rest] = Array.from({ length: 6 }, (_, i) => node(i))
    link(a!, ...rest)
    const { out, query } = startQuery(a!)
    expect(sends(out).map((s) => s.msg)).toEqual([query, query, query])
    expect(new Set(sends(out).map((s) => s.to.toHex())).size).toBe(3)
    expect(query.ttl).toBe(3)
    expect(query.body.requester).toEqual(a!.id)
    expect(out).toContainEqual({ type: 'schedule', delayMs: COORDINATOR_LAN.foaf.queryTimeoutMs, timer: { type: 'query-deadline', queryId: toHex(query.body.queryId) } })
    expect(decodeFoafMessage(encodeFoafMessage(query))).toEqual(query)
  })

  it('answers from local records, forwards with TTL - 1 to neighbours other than the sender, and handles an id once', () => {
    const [a, b, c, d, e, f] = Array.from({ length: 6 }, (_, i) => node(i))
    link(a!, b!)
    link(b!, c!, d!, e!, f!)
    b!.records.push(RECORD)
    const { query } = startQuery(a!)
    const out: FoafOutput[] = []
    b!.core.handle({ type: 'recv', from: a!.id, msg: query }, 10, out)
    const [reply, ...forwards] = sends(out)
    expect(reply).toEqual({ to: a!.id, msg: { type: 'reply', queryId: query.body.queryId, records: [RECORD] } })
    expect(forwards).toHaveLength(3)
    for (const fwd of forwards) {
      expect(fwd.to.equals(a!.id)).toBe(false)
      expect(fwd.msg).toMatchObject({ type: 'query', ttl: 2, envelope: query.envelope })
    }
    expect(b!.core.handled).toBe(1)
    const again: FoafOutput[] = []
    b!.core.handle({ type: 'recv', from: c!.id, msg: query }, 20, again)
    expect(again).toEqual([])
    expect(b!.core.drops.duplicate).toBe(1)
  })

  it('does not forward a query whose TTL is spent', () => {
    const [a, b, c] = Array.from({ length: 3 }, (_, i) => node(i))
    link(a!, b!)
    link(b!, c!)
    const { query } = startQuery(a!)
    const out: FoafOutput[] = []
    b!.core.handle({ type: 'recv', from: a!.id, msg: { ...query, ttl: 1 } }, 10, out)
    expect(sends(out)).toEqual([])
    expect(events(out)).toEqual(['query-handled'])
  })

  it('routes replies back along the reverse path to the requester, and only from peers the query went to', () => {
    const [a, b, c, x] = Array.from({ length: 4 }, (_, i) => node(i))
    link(a!, b!)
    link(b!, c!)
    c!.records.push(RECORD)
    const { query } = startQuery(a!)
    const atB: FoafOutput[] = []
    b!.core.handle({ type: 'recv', from: a!.id, msg: query }, 10, atB)
    const toC = sends(atB).find((s) => s.to.equals(c!.id))!.msg
    const atC: FoafOutput[] = []
    c!.core.handle({ type: 'recv', from: b!.id, msg: toC }, 20, atC)
    const reply = sends(atC)[0]!
    expect(reply.to).toEqual(b!.id)
    const back: FoafOutput[] = []
    b!.core.handle({ type: 'recv', from: c!.id, msg: reply.msg }, 30, back)
    expect(sends(back)).toEqual([{ to: a!.id, msg: reply.msg }])
    const stray: FoafOutput[] = []
    b!.core.handle({ type: 'recv', from: x!.id, msg: reply.msg }, 30, stray)
    expect(stray).toEqual([])
    expect(b!.core.drops['unsolicited-reply']).toBe(1)
    const atA: FoafOutput[] = []
    a!.core.handle({ type: 'recv', from: b!.id, msg: reply.msg }, 40, atA)
    expect(atA).toEqual([{ type: 'emit', event: { type: 'answer', ref: 1, queryId: toHex(query.body.queryId), from: b!.id, records: [RECORD] } }])
    const done: FoafOutput[] = []
    a!.core.handle({ type: 'timer', timer: { type: 'query-deadline', queryId: toHex(query.body.queryId) } }, 5_000, done)
    expect(done).toEqual([{ type: 'emit', event: { type: 'query-done', ref: 1, queryId: toHex(query.body.queryId), replies: 1 } }])
    a!.core.handle({ type: 'recv', from: b!.id, msg: reply.msg }, 5_001, [])
    expect(a!.core.drops['late-reply']).toBe(1)
  })

  it('drops a forged copy without marking the id seen, so the genuine query still passes', () => {
    const [a, b, c] = Array.from({ length: 3 }, (_, i) => node(i))
    link(a!, b!)
    link(b!, c!)
    const { query } = startQuery(a!)
    const forged = { ...query, sig: query.sig.map((x) => x ^ 1) }
    b!.core.handle({ type: 'recv', from: c!.id, msg: forged }, 10, [])
    expect(b!.core.drops['bad-signature']).toBe(1)
    b!.core.handle({ type: 'recv', from: a!.id, msg: query }, 11, [])
    expect(b!.core.handled).toBe(1)
  })

  it('drops expired, future, over-TTL and key-mismatched queries, and our own query coming back', () => {
    const [a, b] = Array.from({ length: 2 }, (_, i) => node(i))
    link(a!, b!)
    const { query } = startQuery(a!)
    b!.core.handle({ type: 'recv', from: a!.id, msg: query }, 30_001, [])
    expect(b!.core.drops.expired).toBe(1)
    const early = node(9)
    early.core.handle({ type: 'command', command: { type: 'wall-clock', wallMs: T0 - 31_000 } }, 0, [])
    early.core.handle({ type: 'recv', from: a!.id, msg: query }, 0, [])
    expect(early.core.drops.future).toBe(1)
    b!.core.handle({ type: 'recv', from: a!.id, msg: { ...query, ttl: 4 } }, 0, [])
    expect(b!.core.drops['bad-ttl']).toBe(1)
    const other = fakeKey(7).peerId
    b!.core.handle({ type: 'recv', from: a!.id, msg: { ...query, body: { ...query.body, requester: other } } }, 0, [])
    expect(b!.core.drops['key-mismatch']).toBe(1)
    a!.core.handle({ type: 'recv', from: b!.id, msg: query }, 0, [])
    expect(a!.core.drops.duplicate).toBe(1)
    a!.core.handle({ type: 'recv', from: b!.id, msg: query }, 61_000, [])
    expect(a!.core.drops['own-query']).toBe(1)
    expect(b!.core.verifications).toBe(0)
  })

  it('accepts about 10 queries per hour per requester and 20 per minute per neighbour', () => {
    const a = node(0)
    const b = node(1)
    link(a, b)
    let failed = 0
    const queries: FoafQueryMessage[] = []
    for (let i = 0; i < 11; i++) {
      const out: FoafOutput[] = []
      a.core.handle({ type: 'command', command: { type: 'find', target: COORD, ref: i } }, i, out)
      const q = sends(out)[0]?.msg
      if (q?.type === 'query') queries.push(q)
      else failed++
    }
    expect([queries.length, failed]).toEqual([10, 1])
    // A peer that skips its own budget (another core, patched) is held to it by every receiver.
    const greedy = node(0, { queriesPerHourPerRequester: 1_000 })
    greedy.core.handle({ type: 'peer-up', peer: b.id }, 0, [])
    for (let i = 0; i < 12; i++) {
      const { query } = startQuery(greedy, 1_000 + i)
      b.core.handle({ type: 'recv', from: greedy.id, msg: query }, 1_000 + i, [])
    }
    expect(b.core.handled).toBe(10)
    expect(b.core.drops['rate-limited-requester']).toBe(2)
    const relay = node(3)
    for (let i = 0; i < 25; i++) {
      const requester = node(100 + i)
      requester.core.handle({ type: 'peer-up', peer: relay.id }, 0, [])
      b.core.handle({ type: 'recv', from: relay.id, msg: startQuery(requester, 2_000).query }, 2_000, [])
    }
    expect(b.core.drops['rate-limited-peer']).toBe(5)
    const later = node(200)
    later.core.handle({ type: 'peer-up', peer: relay.id }, 0, [])
    b.core.handle({ type: 'recv', from: relay.id, msg: startQuery(later, 2_001).query }, 2_001, [])
    expect(b.core.drops['rate-limited-peer']).toBe(6)
    // 20 per minute refill one token every 3 s.
    b.core.handle({ type: 'recv', from: relay.id, msg: startQuery(later, 5_001).query }, 5_001, [])
    expect(b.core.drops['rate-limited-peer']).toBe(6)
  })

  it('fails a query at once when there is no neighbour', () => {
    const out: FoafOutput[] = []
    node(0).core.handle({ type: 'command', command: { type: 'find', target: COORD, ref: 7 } }, 0, out)
    expect(out).toEqual([{ type: 'emit', event: { type: 'query-failed', ref: 7, reason: 'no-neighbours' } }])
  })
})

describe('FOAF over a random graph (instant delivery)', () => {
  it('touches at most 39 nodes, handles every query id at most once per node, and finds a cached coordinator', () => {
    const rng = new SeededRng('graph')
    const nodes = Array.from({ length: 300 }, (_, i) => node(1_000 + i))
    for (const [i, n] of nodes.entries()) {
      for (let k = 0; k < 4; k++) {
        const j = rng.nextInt(nodes.length)
        if (j !== i) link(n, nodes[j]!)
      }
    }
    for (const n of nodes.slice(100, 130)) n.records.push(RECORD) // 10 % cache an advert
    const byId = new Map(nodes.map((n) => [n.id.toHex(), n]))
    let found = 0
    const trials = 40
    for (let t = 0; t < trials; t++) {
      const requester = nodes[t]!
      const handledBefore = nodes.map((n) => n.core.handled)
      const queue: Array<{ from: PeerId; to: PeerId; msg: FoafMessage }> = []
      const out: FoafOutput[] = []
      requester.core.handle({ type: 'command', command: { type: 'find', target: COORD, ref: t } }, t * 400_000, out)
      let answered = false
      const drain = (from: PeerId, o: FoafOutput[]): void => {
        for (const x of o) {
          if (x.type === 'send') queue.push({ from, to: x.to, msg: x.msg })
          if (x.type === 'emit' && x.event.type === 'answer') answered = true
        }
      }
      drain(requester.id, out)
      while (queue.length > 0) {
        const { from, to, msg } = queue.shift()!
        const o: FoafOutput[] = []
        byId.get(to.toHex())!.core.handle({ type: 'recv', from, msg }, t * 400_000 + 1, o)
        drain(to, o)
      }
      const touched = nodes.filter((n, i) => n.core.handled > handledBefore[i]!)
      expect(touched.length).toBeLessThanOrEqual(39)
      expect(nodes.every((n, i) => n.core.handled - handledBefore[i]! <= 1)).toBe(true)
      if (answered) found++
    }
    expect(found / trials).toBeGreaterThanOrEqual(0.9)
  })

  it('carries a user query\'s payload signed to every answerer, and a node that answered lets it travel no further', () => {
    const [a, b, c, d] = Array.from({ length: 4 }, (_, i) => node(40 + i))
    const seenBy: Array<{ requester: PeerId; payload: Uint8Array | undefined }> = []
    const answering = new FoafCore({
      self: b!.id, publicKey: fakeKey(41).publicKey, config: COORDINATOR_LAN.foaf, clockSkewMs: 30_000, rng: new SeededRng(41),
      sign: fakeSign(fakeKey(41).publicKey), verify: fakeVerify,
      answer: (target, _wall, query) => {
        seenBy.push({ requester: query.requester, payload: query.payload })
        return target.kind === 'user' ? [RECORD] : []
      },
    })
    answering.handle({ type: 'command', command: { type: 'wall-clock', wallMs: T0 } }, 0, [])
    for (const peer of [a!.id, c!.id, d!.id]) answering.handle({ type: 'peer-up', peer }, 0, [])
    a!.core.handle({ type: 'peer-up', peer: b!.id }, 0, [])
    const user: FoafTarget = { kind: 'user', id: new Uint8Array(32).fill(7) }
    const payload = new Uint8Array(1_300).fill(5)
    const out: FoafOutput[] = []
    a!.core.handle({ type: 'command', command: { type: 'find', target: user, ref: 9, payload, ttl: 2, timeoutMs: 700 } }, 0, out)
    const query = sends(out)[0]!.msg as FoafQueryMessage
    expect(query).toMatchObject({ ttl: 2, body: { maxTtl: 2, payload } })
    expect(out).toContainEqual({ type: 'schedule', delayMs: 700, timer: { type: 'query-deadline', queryId: toHex(query.body.queryId) } })
    expect(decodeFoafMessage(encodeFoafMessage(query))).toEqual(query)

    const handled: FoafOutput[] = []
    answering.handle({ type: 'recv', from: a!.id, msg: query }, 1, handled)
    expect(seenBy).toEqual([{ requester: a!.id, payload }])
    expect(sends(handled)).toEqual([{ to: a!.id, msg: { type: 'reply', queryId: query.body.queryId, records: [RECORD] } }])

    // The same query with the payload swapped by a forwarder fails the requester's signature.
    const swapped = { ...query, body: { ...query.body, payload: new Uint8Array(1_300).fill(6) } }
    const tampered = encodeFoafMessage({ ...swapped, bodyBytes: new Uint8Array(0), envelope: encodeQueryEnvelope(encodeQueryBody(swapped.body), query.sig) })
    const fresh = node(45)
    fresh.core.handle({ type: 'peer-up', peer: c!.id }, 0, [])
    fresh.core.handle({ type: 'recv', from: c!.id, msg: decodeFoafMessage(tampered) }, 1, [])
    expect(fresh.core.drops['bad-signature']).toBe(1)
  })

  it('forwards a user query nobody here can answer, and rejects a payload on a coordinator query or above the cap', () => {
    const [a, b, c, d] = Array.from({ length: 4 }, (_, i) => node(50 + i))
    link(b!, a!, c!, d!)
    const out: FoafOutput[] = []
    a!.core.handle({ type: 'command', command: { type: 'find', target: { kind: 'user', id: new Uint8Array(32).fill(1) }, ref: 1, payload: new Uint8Array([1]) } }, 0, out)
    const query = sends(out)[0]!.msg as FoafQueryMessage
    const forwarded: FoafOutput[] = []
    b!.core.handle({ type: 'recv', from: a!.id, msg: query }, 1, forwarded)
    expect(sends(forwarded).map((s) => s.to.toHex()).sort()).toEqual([c!.id.toHex(), d!.id.toHex()].sort())

    const { publicKey, peerId } = fakeKey(50)
    const body = (target: FoafTarget, p: Uint8Array): Uint8Array => encodeQueryBody({
      version: 1, queryId: new Uint8Array(16), target, requester: peerId, publicKey, maxTtl: 3, createdAtMs: T0, payload: p,
    })
    const wrap = (b: Uint8Array): Uint8Array => encodeFoafMessage({ type: 'query', envelope: encodeQueryEnvelope(b, fakeSign(publicKey)(b)), ttl: 3 } as FoafQueryMessage)
    expect(() => decodeFoafMessage(wrap(body(COORD, new Uint8Array([1]))))).toThrow(expect.objectContaining({ name: 'DecodeError', path: 'p' }))
    const user: FoafTarget = { kind: 'user', id: new Uint8Array(32) }
    expect(() => decodeFoafMessage(wrap(body(user, new Uint8Array(MAX_FOAF_PAYLOAD_BYTES + 1))))).toThrow(expect.objectContaining({ name: 'DecodeError' }))
    expect(decodeFoafMessage(wrap(body(user, new Uint8Array(MAX_FOAF_PAYLOAD_BYTES)))).type).toBe('query')
  })

  it('puts whole milliseconds on the wire when the driver\'s monotonic clock is fractional', () => {
    const [a, b] = [node(60), node(61)]
    link(a, b)
    const { query } = startQuery(a, 1234.567)
    expect(query.body.createdAtMs).toBe(T0 + 1234)
    expect(decodeFoafMessage(encodeFoafMessage(query))).toEqual(query)
  })
})
