/**
 * Request limits of a node answering `/saorsa/rendezvous/1` (SPEC.md section 11.5.1): the token
 * buckets on their own, the server's typed refusal and the seeker waiting it out in the core (time
 * is the `nowMs` argument), and the service reporting an abusive requester to the transport, with
 * faked timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ManualClock, PeerId } from '@saorsa-gossip/types'
import type { RendezvousMessage } from '../src/codec.ts'
import { DEFAULT_RENDEZVOUS_CONFIG } from '../src/proto/config.ts'
import { RendezvousCore } from '../src/proto/core.ts'
import { RequestLimiter } from '../src/proto/limits.ts'
import type { RendezvousOutput } from '../src/proto/messages.ts'
import { createRendezvous, encodeRendezvousMessage, decodeRendezvousMessage, SUMMARY_DOMAIN, targetFromName, type RendezvousRequestContext } from '../src/index.ts'
import { core, events, identity, sends, T0, verify } from './helpers.ts'

const alice = identity(1)
const bob = identity(2)
const server = identity(3)
const carol = identity(4)
const target = targetFromName('site.example')
const peer = (n: number) => PeerId.fromBytes(new Uint8Array(32).fill(n))

describe('request limiter', () => {
  const limits = { perPeer: { burst: 4, perSecond: 2 }, global: { burst: 6, perSecond: 100 }, maxPeers: 3, abusiveRequests: 3 }

  it('allows a burst per requester, then refuses with the time until one token is back, and refills at the stated rate', () => {
    const l = new RequestLimiter(limits, T0)
    for (let i = 0; i < 4; i++) expect(l.admit(peer(1), T0)).toEqual({ ok: true })
    expect(l.admit(peer(1), T0)).toEqual({ ok: false, why: 'rate', retryAfterMs: 500, abusive: false })
    expect(l.admit(peer(1), T0 + 250)).toMatchObject({ ok: false, retryAfterMs: 250 })
    expect(l.admit(peer(1), T0 + 500)).toEqual({ ok: true })
    // Another requester has its own bucket.
    expect(l.admit(peer(2), T0 + 500)).toEqual({ ok: true })
  })

  it('answers busy when all requesters together are over the global cap, without charging the requester', () => {
    const l = new RequestLimiter(limits, T0)
    for (let i = 0; i < 3; i++) l.admit(peer(1), T0)
    for (let i = 0; i < 3; i++) l.admit(peer(2), T0)
    expect(l.admit(peer(3), T0)).toEqual({ ok: false, why: 'busy', retryAfterMs: 10, abusive: false })
    // Peer 3's own tokens were not spent: four more pass once the global bucket refills.
    for (let i = 0; i < 4; i++) expect(l.admit(peer(3), T0 + 1_000)).toEqual({ ok: true })
  })

  it('calls abusive only requests sent on while told to wait, once per abusiveRequests of them, and not a requester that waited', () => {
    const l = new RequestLimiter(limits, T0)
    for (let i = 0; i < 4; i++) l.admit(peer(1), T0)
    expect(l.admit(peer(1), T0)).toMatchObject({ ok: false, abusive: false })
    const flood = Array.from({ length: 6 }, () => l.admit(peer(1), T0 + 1))
    expect(flood.map((a) => !a.ok && a.abusive)).toEqual([false, false, true, false, false, true])
    // A requester that waits as told and is refused again (a new wait) is not counted.
    const honest = new RequestLimiter(limits, T0)
    for (let i = 0; i < 4; i++) honest.admit(peer(2), T0)
    let now = T0
    for (let round = 0; round < 10; round++) {
      const refused = honest.admit(peer(2), now)
      expect(refused).toMatchObject({ ok: false, abusive: false })
      now += (refused as { retryAfterMs: number }).retryAfterMs
      expect(honest.admit(peer(2), now)).toEqual({ ok: true })
    }
  })

  it('keeps at most maxPeers buckets, dropping the least recently seen, and prunes full ones', () => {
    const l = new RequestLimiter(limits, T0)
    for (const n of [1, 2, 3, 1, 4]) l.admit(peer(n), T0)
    expect(l.trackedPeers).toBe(3)
    // Peer 2 was least recently seen and went first; peer 1 kept its spent tokens.
    for (let i = 0; i < 2; i++) l.admit(peer(1), T0)
    expect(l.admit(peer(1), T0)).toMatchObject({ ok: false })
    expect(l.prune(T0 + 10_000)).toBe(3)
    expect(l.trackedPeers).toBe(0)
    expect(() => new RequestLimiter({ ...limits, perPeer: { burst: 0, perSecond: 1 } })).toThrow(RangeError)
  })
})

function query(queryId: number): RendezvousMessage {
  return { type: 'query', queryId, target, limit: 8 }
}

describe('rendezvous core under request limits', () => {
  it('a server answers a requester over its share with a typed refusal, and the seeker waits it out and asks again', () => {
    const srv = core(server, { serve: true, queryBurst: 1, queryPerSecond: 2 })
    srv.handle({ type: 'recv', from: carol.peerId, msg: query(1) }, T0, [])
    const seeker = core(bob)
    const out: RendezvousOutput[] = []
    seeker.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, T0, out)
    seeker.handle({ type: 'command', command: { type: 'seek', seekId: 5, target } }, T0, out)
    const q = sends(out, server.peerId)[0]!.msg
    // Bob's first query passes: each requester has its own bucket.
    const first: RendezvousOutput[] = []
    srv.handle({ type: 'recv', from: bob.peerId, msg: q }, T0, first)
    expect(sends(first)[0]!.msg.type).toBe('reply')
    const second: RendezvousOutput[] = []
    srv.handle({ type: 'recv', from: bob.peerId, msg: { ...q, queryId: 77 } as RendezvousMessage }, T0 + 100, second)
    const refusal = sends(second, bob.peerId)[0]!.msg
    expect(refusal).toEqual({ type: 'refused', queryId: 77, why: 'rate', retryAfterMs: 400 })
    expect(decodeRendezvousMessage(encodeRendezvousMessage(refusal))).toEqual(refusal)
    expect(srv.drops['query-rate']).toBe(1)

    // The seeker gets the refusal for its own query: no seek-done yet, a retry after the stated wait.
    const refusedOut: RendezvousOutput[] = []
    seeker.handle({ type: 'recv', from: server.peerId, msg: { ...(refusal as object), queryId: (q as { queryId: number }).queryId } as RendezvousMessage }, T0 + 100, refusedOut)
    expect(events(refusedOut)).toEqual([])
    const retry = refusedOut.find((o) => o.type === 'schedule')
    expect(retry).toMatchObject({ delayMs: 400, timer: { type: 'retry', seekId: 5 } })
    expect(seeker.drops.refused).toBe(1)
    const again: RendezvousOutput[] = []
    seeker.handle({ type: 'timer', timer: (retry as Extract<RendezvousOutput, { type: 'schedule' }>).timer }, T0 + 500, again)
    const requery = sends(again, server.peerId)[0]!.msg
    expect(requery).toMatchObject({ type: 'query', target })
    const answered: RendezvousOutput[] = []
    srv.handle({ type: 'recv', from: bob.peerId, msg: requery }, T0 + 600, answered)
    const done: RendezvousOutput[] = []
    seeker.handle({ type: 'recv', from: server.peerId, msg: sends(answered)[0]!.msg }, T0 + 600, done)
    expect(events(done)).toContainEqual({ type: 'seek-done', seekId: 5 })
  })

  it('a seeker gives a server up for the seek when it asks to wait longer than a query may take, and ends the seek', () => {
    const seeker = core(bob)
    const out: RendezvousOutput[] = []
    seeker.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, T0, out)
    seeker.handle({ type: 'command', command: { type: 'seek', seekId: 1, target } }, T0, out)
    const queryId = (sends(out)[0]!.msg as { queryId: number }).queryId
    const refused: RendezvousOutput[] = []
    seeker.handle({ type: 'recv', from: server.peerId, msg: { type: 'refused', queryId, why: 'busy', retryAfterMs: 3_600_000 } }, T0 + 10, refused)
    expect(events(refused)).toEqual([{ type: 'seek-done', seekId: 1 }])
    expect(seeker.drops.backoff).toBe(1)
    // A new seek within the wait (capped at maxRetryAfterMs) does not ask that server at all.
    const next: RendezvousOutput[] = []
    seeker.handle({ type: 'command', command: { type: 'seek', seekId: 2, target } }, T0 + 30_000, next)
    expect(sends(next)).toEqual([])
    expect(events(next)).toContainEqual({ type: 'seek-done', seekId: 2 })
    const later: RendezvousOutput[] = []
    seeker.handle({ type: 'command', command: { type: 'seek', seekId: 3, target } }, T0 + 60_011, later)
    expect(sends(later, server.peerId)).toHaveLength(1)
  })

  it('a serving node drops registrations over the sender\'s share before checking their signature, and names a forged one', () => {
    let verified = 0
    const srv = new RendezvousCore({
      self: server.peerId, publicKey: server.publicKey, config: { ...DEFAULT_RENDEZVOUS_CONFIG, serve: true, registerBurst: 2, registerPerSecond: 1 },
      sign: (body) => server.sign(SUMMARY_DOMAIN, body),
      verify: (...args) => { verified++; return verify(...args) },
    })
    const provider = core(alice)
    const regs: RendezvousMessage[] = []
    for (let i = 0; i < 3; i++) {
      const out: RendezvousOutput[] = []
      provider.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, T0, out)
      provider.handle({ type: 'command', command: { type: 'provide', target: targetFromName(`r${i}`), capabilities: ['DOC'], addressHints: [], lifetimeMs: 60_000 } }, T0, out)
      regs.push(sends(out).find((s) => s.msg.type === 'register')!.msg)
    }
    for (const reg of regs) srv.handle({ type: 'recv', from: alice.peerId, msg: reg }, T0 + 1, [])
    expect(verified).toBe(2)
    expect(srv.drops['register-rate']).toBe(1)
    expect(srv.store.size).toBe(2)

    // Alice's summary sent by Bob: the origin rule fails, and no honest node sends that.
    const forged: RendezvousOutput[] = []
    srv.handle({ type: 'recv', from: bob.peerId, msg: regs[2]! }, T0 + 2, forged)
    expect(events(forged)).toEqual([{ type: 'misbehaved', peer: bob.peerId, reason: 'forged-registration' }])
  })
})

describe('rendezvous service under request limits', () => {
  afterEach(() => vi.useRealTimers())

  it('refuses a flooding requester and reports it to the transport once per abusiveRequests ignored refusals, not a requester that waits; reports a forged registration', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const clock = new ManualClock(0, T0)
    let handler: ((request: Uint8Array, context: RendezvousRequestContext) => Uint8Array | void | Promise<Uint8Array | void>) | undefined
    const rendezvous = createRendezvous({ config: { serve: true, queryBurst: 4, queryPerSecond: 2, abusiveRequests: 8 } }, {
      identity: server, clock, verify,
      pubsub: { join: () => {}, leave: () => {}, publish: async () => {}, addValidator: () => {}, removeValidator: () => {} },
      transport: { handleDirect: (_p, h) => { handler = h }, unhandle: () => {}, connectionTo: () => undefined },
    })
    await rendezvous.start()
    const flooder = { peer: carol.peerId, connection: { reportInvalid: vi.fn() } }
    const ask = async (context: typeof flooder, queryId: number) =>
      decodeRendezvousMessage((await handler!(encodeRendezvousMessage(query(queryId)), context)) as Uint8Array)
    const answers = []
    for (let i = 1; i <= 4 + 1 + 16; i++) answers.push(await ask(flooder, i))
    expect(answers.slice(0, 4).every((a) => a.type === 'reply')).toBe(true)
    expect(answers.slice(4).every((a) => a.type === 'refused' && a.why === 'rate')).toBe(true)
    expect(flooder.connection.reportInvalid).toHaveBeenCalledTimes(2)
    expect(rendezvous.reported['ignored-refusals']).toBe(2)

    const patient = { peer: bob.peerId, connection: { reportInvalid: vi.fn() } }
    for (let i = 1; i <= 4; i++) await ask(patient, i)
    for (let round = 0; round < 20; round++) {
      const refused = await ask(patient, 100 + round)
      expect(refused.type).toBe('refused')
      clock.advance((refused as { retryAfterMs: number }).retryAfterMs)
      await vi.advanceTimersByTimeAsync((refused as { retryAfterMs: number }).retryAfterMs)
      expect((await ask(patient, 200 + round)).type).toBe('reply')
    }
    expect(patient.connection.reportInvalid).not.toHaveBeenCalled()

    // Alice's registration sent by Bob: forged by its sender, reported once; Alice's own is not.
    const out: RendezvousOutput[] = []
    const provider = core(alice)
    provider.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, T0, out)
    provider.handle({ type: 'command', command: { type: 'provide', target, capabilities: ['SITE'], addressHints: [], lifetimeMs: 60_000 } }, T0, out)
    const registration = encodeRendezvousMessage(sends(out, server.peerId)[0]!.msg)
    const forger = { peer: bob.peerId, connection: { reportInvalid: vi.fn() } }
    const owner = { peer: alice.peerId, connection: { reportInvalid: vi.fn() } }
    await handler!(registration, forger)
    await handler!(registration, owner)
    expect(forger.connection.reportInvalid).toHaveBeenCalledTimes(1)
    expect(owner.connection.reportInvalid).not.toHaveBeenCalled()
    expect(rendezvous.reported['forged-registration']).toBe(1)
    expect(rendezvous.core.store.size).toBe(1)
    await rendezvous.stop()
  })
})
