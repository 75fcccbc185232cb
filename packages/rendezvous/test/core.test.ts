import { describe, expect, it } from 'vitest'
import { PeerId } from '@saorsa-gossip/types'
import { decodeSignedSummary, encodeSignedSummary, encodeSummaryBody } from '../src/codec.ts'
import type { RendezvousMessage } from '../src/codec.ts'
import type { RendezvousEvent, RendezvousOutput } from '../src/proto/messages.ts'
import { shardOf } from '../src/proto/shard.ts'
import { targetFromName } from '../src/target.ts'
import { core, events, identity, sends, T0 } from './helpers.ts'

const alice = identity(1)
const bob = identity(2)
const server = identity(3)
const target = targetFromName('site.example')
const shard = shardOf(target)

function provide(c: ReturnType<typeof core>, now = T0): RendezvousOutput[] {
  const out: RendezvousOutput[] = []
  c.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, now, out)
  c.handle({ type: 'command', command: {
    type: 'provide', target, capabilities: ['SITE'], addressHints: ['tcp://127.0.0.1:9000'], lifetimeMs: 3_600_000,
  } }, now, out)
  return out
}

const published = (out: RendezvousOutput[]): Uint8Array => {
  const e = events(out).find((x) => x.type === 'publish') as Extract<RendezvousEvent, { type: 'publish' }>
  return e.bytes
}

describe('rendezvous core', () => {
  it('provides: joins the shard, publishes a signed summary, registers it with the shard server and schedules a republish at 80 %', () => {
    const out = provide(core(alice))
    expect(events(out).map((e) => e.type)).toEqual(['join', 'publish', 'provided'])
    expect(events(out)[0]).toEqual({ type: 'join', shard })
    const reg = sends(out, server.peerId)
    expect(reg).toHaveLength(1)
    expect((reg[0]!.msg as Extract<RendezvousMessage, { type: 'register' }>).summary).toEqual(published(out))
    expect(out).toContainEqual({ type: 'schedule', delayMs: 2_880_000, timer: { type: 'republish', target: expect.any(String), seq: T0 } })
    const { summary } = decodeSignedSummary(published(out))
    expect(summary.provider.equals(alice.peerId)).toBe(true)
    expect(summary.expiresAtMs - summary.issuedAtMs).toBe(3_600_000)
  })

  it('a server stores a registration and answers a seek; the re-query with the cursor returns nothing already seen', () => {
    const provider = core(alice)
    const srv = core(server, { serve: true })
    const seeker = core(bob)
    const regs = sends(provide(provider), server.peerId)
    srv.handle({ type: 'recv', from: alice.peerId, msg: regs[0]!.msg }, T0 + 10, [])
    expect(srv.store.size).toBe(1)

    const out: RendezvousOutput[] = []
    seeker.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, T0 + 20, out)
    seeker.handle({ type: 'command', command: { type: 'seek', seekId: 7, target, capability: 'SITE' } }, T0 + 20, out)
    const query = sends(out, server.peerId)[0]!.msg
    expect(query).toMatchObject({ type: 'query', target, capability: 'SITE', limit: 8 })
    expect('cursor' in query).toBe(false)
    const srvOut: RendezvousOutput[] = []
    srv.handle({ type: 'recv', from: bob.peerId, msg: query }, T0 + 30, srvOut)
    const reply = sends(srvOut, bob.peerId)[0]!.msg as Extract<RendezvousMessage, { type: 'reply' }>
    expect(reply.summaries).toHaveLength(1)
    expect(reply.more).toBe(false)

    const seekOut: RendezvousOutput[] = []
    seeker.handle({ type: 'recv', from: server.peerId, msg: reply }, T0 + 40, seekOut)
    const found = events(seekOut).find((e) => e.type === 'found') as Extract<RendezvousEvent, { type: 'found' }>
    expect(found.providers.map((p) => p.summary.provider.toHex())).toEqual([alice.peerId.toHex()])
    expect(events(seekOut)).toContainEqual({ type: 'seek-done', seekId: 7 })

    const again: RendezvousOutput[] = []
    srv.handle({ type: 'recv', from: bob.peerId, msg: { type: 'query', queryId: 99, target, cursor: reply.cursor, limit: 8 } }, T0 + 50, again)
    expect((sends(again)[0]!.msg as Extract<RendezvousMessage, { type: 'reply' }>).summaries).toEqual([])
  })

  it('the topic validator accepts a fresh summary and rejects its replay, a forgery, an expired one, the wrong shard and the wrong origin', () => {
    const bytes = published(provide(core(alice)))
    const c = core(bob)
    const verdict = (payload: Uint8Array, origin: PeerId = alice.peerId, now = T0 + 1, s = shard) => {
      const out: RendezvousOutput[] = []
      c.handle({ type: 'command', command: { type: 'validate', validationId: 1, shard: s, origin, payload } }, now, out)
      return (events(out)[0] as Extract<RendezvousEvent, { type: 'verdict' }>).verdict
    }
    expect(verdict(bytes)).toBe('accept')
    expect(verdict(bytes)).toBe('reject')
    const signed = decodeSignedSummary(bytes)
    const forgedBody = encodeSummaryBody({ ...signed.summary, seq: signed.summary.seq + 1, addressHints: ['tcp://6.6.6.6:1'] })
    expect(verdict(encodeSignedSummary(forgedBody, signed.sig))).toBe('reject')
    const c2 = core(bob)
    const out: RendezvousOutput[] = []
    c2.handle({ type: 'command', command: { type: 'validate', validationId: 2, shard, origin: alice.peerId, payload: bytes } }, T0 + 3_600_001, out)
    expect(events(out)[0]).toMatchObject({ verdict: 'reject' })
    expect(c2.drops.expired).toBe(1)
    expect(verdict(bytes, alice.peerId, T0 + 1, (shard + 1) & 0xffff)).toBe('reject')
    expect(verdict(bytes, bob.peerId)).toBe('reject')
    expect(c.drops).toMatchObject({ duplicate: 1, 'bad-signature': 1, 'wrong-shard': 1, 'origin-mismatch': 1 })
  })

  it('passes on a summary first held from a seek answer when its publication reaches the topic, once; a replay after that is rejected', () => {
    const providerOut = provide(core(alice))
    const bytes = published(providerOut)
    const seeker = core(bob)
    const out: RendezvousOutput[] = []
    seeker.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, T0, out)
    seeker.handle({ type: 'command', command: { type: 'seek', seekId: 7, target } }, T0, out)
    const query = sends(out, server.peerId)[0]!.msg as Extract<RendezvousMessage, { type: 'query' }>
    const answered: RendezvousOutput[] = []
    seeker.handle({ type: 'recv', from: server.peerId, msg: { type: 'reply', queryId: query.queryId, summaries: [bytes], cursor: 1, more: false } }, T0 + 5, answered)
    expect(events(answered).find((e) => e.type === 'found')).toBeDefined()
    const verdict = () => {
      const v: RendezvousOutput[] = []
      seeker.handle({ type: 'command', command: { type: 'validate', validationId: 1, shard, origin: alice.peerId, payload: bytes } }, T0 + 10, v)
      return (events(v).find((e) => e.type === 'verdict') as Extract<RendezvousEvent, { type: 'verdict' }>).verdict
    }
    // The answer raced the provider's publication: the forwarder did nothing wrong, and the nodes behind us need it.
    expect(verdict()).toBe('accept')
    expect(seeker.drops.duplicate ?? 0).toBe(0)
    expect(verdict()).toBe('reject')
    expect(seeker.drops.duplicate).toBe(1)
  })

  it('withdraws on unprovide: the withdrawal replaces the summary, a replay of the old summary stays rejected, and the shard is left after the grace period', () => {
    const provider = core(alice)
    const first = published(provide(provider))
    const out: RendezvousOutput[] = []
    provider.handle({ type: 'command', command: { type: 'unprovide', target } }, T0 + 1_000, out)
    const withdrawal = decodeSignedSummary(published(out))
    expect(withdrawal.summary.expiresAtMs).toBe(withdrawal.summary.issuedAtMs)
    const leave = out.find((o) => o.type === 'schedule' && o.timer.type === 'leave')!
    expect(leave).toMatchObject({ delayMs: 60_000 })
    const left: RendezvousOutput[] = []
    provider.handle({ type: 'timer', timer: (leave as Extract<RendezvousOutput, { type: 'schedule' }>).timer }, T0 + 61_000, left)
    expect(events(left)).toEqual([{ type: 'leave', shard }])

    const srv = core(server, { serve: true })
    srv.handle({ type: 'recv', from: alice.peerId, msg: { type: 'register', summary: first } }, T0 + 10, [])
    srv.handle({ type: 'recv', from: alice.peerId, msg: { type: 'register', summary: withdrawal.bytes } }, T0 + 1_010, [])
    srv.handle({ type: 'recv', from: alice.peerId, msg: { type: 'register', summary: first } }, T0 + 2_000, [])
    expect(srv.store.live(target, T0 + 2_000)).toEqual([])
    expect(srv.drops.stale).toBe(1)
  })

  it('a stale republish timer does nothing; the current one signs a newer summary', () => {
    const provider = core(alice)
    provide(provider)
    const stale: RendezvousOutput[] = []
    provider.handle({ type: 'timer', timer: { type: 'republish', target: Buffer.from(target).toString('hex'), seq: 1 } }, T0 + 2_880_000, stale)
    expect(stale).toEqual([])
    const fresh: RendezvousOutput[] = []
    provider.handle({ type: 'timer', timer: { type: 'republish', target: Buffer.from(target).toString('hex'), seq: T0 } }, T0 + 2_880_000, fresh)
    expect(decodeSignedSummary(published(fresh)).summary.seq).toBe(T0 + 2_880_000)
  })

  it('a server ignores registrations unless it serves, and a reply from the wrong peer is dropped', () => {
    const regs = sends(provide(core(alice)), server.peerId)
    const notServing = core(server)
    notServing.handle({ type: 'recv', from: alice.peerId, msg: regs[0]!.msg }, T0, [])
    expect(notServing.drops['not-serving']).toBe(1)
    const seeker = core(bob)
    seeker.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, T0, [])
    seeker.handle({ type: 'command', command: { type: 'seek', seekId: 1, target } }, T0, [])
    seeker.handle({ type: 'recv', from: alice.peerId, msg: { type: 'reply', queryId: 1, summaries: [], cursor: 0, more: false } }, T0, [])
    expect(seeker.drops['unexpected-reply']).toBe(1)
  })

  it('a seeker without the role forgets a shard\'s summaries when it leaves the shard; a server keeps them', () => {
    const bytes = published(provide(core(alice)))
    for (const serve of [false, true]) {
      const c = core(bob, { serve })
      const out: RendezvousOutput[] = []
      c.handle({ type: 'command', command: { type: 'seek', seekId: 1, target } }, T0, out)
      c.handle({ type: 'command', command: { type: 'validate', validationId: 1, shard, origin: alice.peerId, payload: bytes } }, T0 + 1, out)
      c.handle({ type: 'command', command: { type: 'seek-end', seekId: 1 } }, T0 + 2, out)
      const leave = out.find((o) => o.type === 'schedule' && o.timer.type === 'leave') as Extract<RendezvousOutput, { type: 'schedule' }>
      c.handle({ type: 'timer', timer: leave.timer }, T0 + 60_002, [])
      expect(c.store.live(target, T0 + 60_002)).toHaveLength(serve ? 1 : 0)
    }
  })

  it('caps a provider at maxPerProvider summaries in a store', () => {
    const srv = core(server, { serve: true, maxPerProvider: 2, rateBurst: 10 })
    const provider = core(alice)
    for (let i = 0; i < 3; i++) {
      const out: RendezvousOutput[] = []
      provider.handle({ type: 'command', command: { type: 'servers', peers: [server.peerId] } }, T0, out)
      provider.handle({ type: 'command', command: { type: 'provide', target: targetFromName(`t${i}`), capabilities: ['DOC'], addressHints: [], lifetimeMs: 60_000 } }, T0, out)
      const reg = sends(out).find((s) => s.msg.type === 'register')
      // Servers are chosen per shard; with one known server every target registers there.
      srv.handle({ type: 'recv', from: alice.peerId, msg: reg!.msg }, T0 + 1, [])
    }
    expect(srv.store.size).toBe(2)
    expect(srv.drops['provider-quota']).toBe(1)
  })
})


