import { describe, expect, it } from 'vitest'
import { verifySignature } from '@saorsa-gossip/identity'
import { SeededRng } from '@saorsa-gossip/types'
import { signAdvert } from '../src/advert.ts'
import { encodePeerRecord } from '../src/peer-record.ts'
import { COORDINATOR_LOCAL } from '../src/proto/config.ts'
import { CoordinatorCore, type CoordinatorEvent, type CoordinatorOutput } from '../src/proto/coordinator.ts'
import { HOUR, identity, T0 } from './helpers.ts'

function core(n: number): CoordinatorCore {
  const me = identity(n)
  const c = new CoordinatorCore({ self: me.peerId, signer: me, verify: verifySignature, config: COORDINATOR_LOCAL, rng: new SeededRng(n) })
  c.handle({ type: 'command', command: { type: 'wall-clock', wallMs: T0 } }, 0, [])
  return c
}

const events = (out: CoordinatorOutput[]): CoordinatorEvent[] => out.flatMap((o) => (o.type === 'emit' ? [o.event] : []))

describe('coordinator core', () => {
  it('publishes a fresh advert at once and again every publish interval, each with a higher sequence', () => {
    const c = core(1)
    const out: CoordinatorOutput[] = []
    c.handle({ type: 'command', command: { type: 'advertise', roles: ['coordinator'], addresses: ['tcp://10.0.0.1:7000'], nat: 'eim' } }, 0, out)
    const first = events(out).find((e) => e.type === 'publish')
    expect(first).toMatchObject({ type: 'publish', topic: 'adverts' })
    expect(out).toContainEqual({ type: 'schedule', delayMs: COORDINATOR_LOCAL.publishIntervalMs, timer: { layer: 'advertise', epoch: 1 } })
    const again: CoordinatorOutput[] = []
    c.handle({ type: 'timer', timer: { layer: 'advertise', epoch: 1 } }, 10_000, again)
    const second = events(again).find((e) => e.type === 'publish')
    const other = core(2)
    const v1: CoordinatorOutput[] = []
    other.handle({ type: 'command', command: { type: 'validate', validationId: 1, topic: 'adverts', origin: c.self, payload: first!.type === 'publish' ? first!.payload : new Uint8Array() } }, 0, v1)
    expect(events(v1)).toContainEqual({ type: 'validated', validationId: 1, result: 'accept' })
    const v2: CoordinatorOutput[] = []
    other.handle({ type: 'command', command: { type: 'validate', validationId: 2, topic: 'adverts', origin: c.self, payload: second!.type === 'publish' ? second!.payload : new Uint8Array() } }, 10_000, v2)
    expect(events(v2)).toContainEqual({ type: 'validated', validationId: 2, result: 'accept' })
    expect(other.cache.get(c.self)?.advert.sequence).toBe(T0 + 10_000)
    c.handle({ type: 'command', command: { type: 'stop-advertising' } }, 11_000, [])
    const stopped: CoordinatorOutput[] = []
    c.handle({ type: 'timer', timer: { layer: 'advertise', epoch: 1 } }, 20_000, stopped)
    expect(stopped).toEqual([])
  })

  it('answers the validator: reject with a reason for a bad advert, ignore for the copy pubsub delivers after accepting', () => {
    const c = core(1)
    const advert = signAdvert(identity(2), { roles: ['coordinator'], addresses: ['tcp://10.0.0.2:7000'], nat: 'eim', notBeforeMs: T0, notAfterMs: T0 + HOUR, sequence: 1 })
    const out: CoordinatorOutput[] = []
    c.handle({ type: 'command', command: { type: 'validate', validationId: 7, topic: 'adverts', origin: identity(3).peerId, payload: advert.bytes } }, 0, out)
    expect(events(out)).toEqual([
      { type: 'advert-dropped', reason: 'origin-mismatch' },
      { type: 'validated', validationId: 7, result: 'reject', reason: 'origin-mismatch' },
    ])
    c.handle({ type: 'command', command: { type: 'validate', validationId: 8, topic: 'adverts', origin: identity(2).peerId, payload: advert.bytes } }, 0, [])
    const delivered: CoordinatorOutput[] = []
    c.handle({ type: 'command', command: { type: 'deliver', topic: 'adverts', origin: identity(2).peerId, payload: advert.bytes } }, 0, delivered)
    expect(events(delivered)).toEqual([])
    expect(c.cache.size).toBe(1)
  })

  it('never caches its own advert when a neighbour relays it back, while still accepting it for the others', () => {
    const c = core(1)
    const out: CoordinatorOutput[] = []
    c.handle({ type: 'command', command: { type: 'advertise', roles: ['coordinator'], addresses: ['tcp://10.0.0.1:7000'], nat: 'eim' } }, 0, out)
    const own = events(out).find((e) => e.type === 'publish')
    const back: CoordinatorOutput[] = []
    c.handle({ type: 'command', command: { type: 'validate', validationId: 3, topic: 'adverts', origin: c.self, payload: own!.type === 'publish' ? own!.payload : new Uint8Array() } }, 0, back)
    expect(events(back)).toContainEqual({ type: 'validated', validationId: 3, result: 'accept' })
    expect(c.cache.get(c.self)).toBeUndefined()
    expect(c.cache.size).toBe(0)
  })

  it('takes peer records from the discovery topic into the address book', () => {
    const c = core(1)
    const record = encodePeerRecord({ addresses: ['tcp://10.0.0.2:7000'], counter: 5 })
    const out: CoordinatorOutput[] = []
    c.handle({ type: 'command', command: { type: 'validate', validationId: 1, topic: 'address-book', origin: identity(2).peerId, payload: record } }, 0, out)
    expect(events(out)).toEqual([
      { type: 'peer-added', peerId: identity(2).peerId },
      { type: 'validated', validationId: 1, result: 'accept' },
    ])
    expect(c.addressBook.get(identity(2).peerId)?.counter).toBe(5)
  })

  it('answers FOAF from its cache and validates every record of a reply before using it', () => {
    const a = core(1)
    const b = core(2)
    const advert = signAdvert(identity(3), { roles: ['coordinator'], addresses: ['tcp://10.0.0.3:7000'], nat: 'eim', notBeforeMs: T0, notAfterMs: T0 + HOUR, sequence: 1 })
    b.handle({ type: 'command', command: { type: 'deliver', topic: 'adverts', origin: identity(3).peerId, payload: advert.bytes } }, 0, [])
    a.handle({ type: 'peer-up', peer: b.self }, 0, [])
    b.handle({ type: 'peer-up', peer: a.self }, 0, [])
    const q: CoordinatorOutput[] = []
    a.handle({ type: 'command', command: { type: 'find', target: { kind: 'coordinator' }, ref: 4 } }, 0, q)
    const query = q.find((o) => o.type === 'send')!
    const r: CoordinatorOutput[] = []
    b.handle({ type: 'recv', from: a.self, msg: query.type === 'send' ? query.msg : (undefined as never) }, 1, r)
    const reply = r.find((o) => o.type === 'send')!
    expect(reply.type === 'send' && reply.msg.type === 'reply' && reply.msg.records).toEqual([advert.bytes])
    const forged = { type: 'reply' as const, queryId: reply.type === 'send' && reply.msg.type === 'reply' ? reply.msg.queryId : new Uint8Array(16), records: [advert.bytes.map((x, i) => (i === advert.bytes.length - 1 ? x ^ 1 : x))] }
    const bad: CoordinatorOutput[] = []
    a.handle({ type: 'recv', from: b.self, msg: forged }, 2, bad)
    expect(events(bad).some((e) => e.type === 'coordinator-found')).toBe(false)
    const found: CoordinatorOutput[] = []
    a.handle({ type: 'recv', from: b.self, msg: reply.type === 'send' ? reply.msg : (undefined as never) }, 3, found)
    expect(events(found).find((e) => e.type === 'coordinator-found')).toMatchObject({ ref: 4, advert: { advert: { peerId: identity(3).peerId } } })
    expect(a.cache.size).toBe(1)
  })

  it('a coordinator answers FIND_COORDINATOR with its own advert first, and keeps it out of its cache', () => {
    const coordinator = core(1)
    const asker = core(2)
    coordinator.handle({ type: 'command', command: { type: 'advertise', roles: ['coordinator'], addresses: ['tcp://10.0.0.1:7000'], nat: 'eim' } }, 0, [])
    coordinator.handle({ type: 'peer-up', peer: asker.self }, 0, [])
    asker.handle({ type: 'peer-up', peer: coordinator.self }, 0, [])
    const q: CoordinatorOutput[] = []
    asker.handle({ type: 'command', command: { type: 'find', target: { kind: 'coordinator' }, ref: 1 } }, 0, q)
    const query = q.find((o) => o.type === 'send')!
    const r: CoordinatorOutput[] = []
    coordinator.handle({ type: 'recv', from: asker.self, msg: query.type === 'send' ? query.msg : (undefined as never) }, 1, r)
    const reply = r.find((o) => o.type === 'send')!
    const found: CoordinatorOutput[] = []
    asker.handle({ type: 'recv', from: coordinator.self, msg: reply.type === 'send' ? reply.msg : (undefined as never) }, 2, found)
    expect(events(found).find((e) => e.type === 'coordinator-found')).toMatchObject({ advert: { advert: { peerId: coordinator.self } } })
    expect(coordinator.cache.size).toBe(0)
  })

  it('answers user and content queries through the resolver a layer registered, unverified', () => {
    const me = identity(2)
    const resolver = new CoordinatorCore({
      self: me.peerId, signer: me, verify: verifySignature, config: COORDINATOR_LOCAL, rng: new SeededRng(2),
      resolve: (target) => (target.kind === 'user' && target.id[0] === 9 ? [new Uint8Array([1, 2, 3])] : []),
    })
    resolver.handle({ type: 'command', command: { type: 'wall-clock', wallMs: T0 } }, 0, [])
    const asker = core(1)
    asker.handle({ type: 'peer-up', peer: resolver.self }, 0, [])
    resolver.handle({ type: 'peer-up', peer: asker.self }, 0, [])
    const q: CoordinatorOutput[] = []
    asker.handle({ type: 'command', command: { type: 'find', target: { kind: 'user', id: new Uint8Array(32).fill(9) }, ref: 3 } }, 0, q)
    const query = q.find((o) => o.type === 'send')!
    const r: CoordinatorOutput[] = []
    resolver.handle({ type: 'recv', from: asker.self, msg: query.type === 'send' ? query.msg : (undefined as never) }, 1, r)
    const reply = r.find((o) => o.type === 'send')!
    const got: CoordinatorOutput[] = []
    asker.handle({ type: 'recv', from: resolver.self, msg: reply.type === 'send' ? reply.msg : (undefined as never) }, 2, got)
    expect(events(got)).toContainEqual(expect.objectContaining({ type: 'foaf', event: expect.objectContaining({ type: 'answer', ref: 3, records: [new Uint8Array([1, 2, 3])] }) }))
    expect(events(got).some((e) => e.type === 'coordinator-found')).toBe(false)
  })
})
