/**
 * The coordinator service on real PubSub drivers over an in-test network: adverts pass the topic
 * validator and fill every cache, a newcomer finds a coordinator through FOAF, a forged advert goes
 * no further than the first hop, and the cache survives a restart through its file.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Identity, nobleMlDsa65 } from '@saorsa-gossip/identity'
import { createPubSub, type PubSub, type PubSubConnection } from '@saorsa-gossip/pubsub'
import { ManualClock, SeededRng, encodeCbor, encodeSignedEnvelope, type PeerId } from '@saorsa-gossip/types'
import { COORDINATOR_DOMAIN } from '../src/domains.ts'
import { COORDINATOR_LOCAL } from '../src/proto/config.ts'
import { CoordinatorService } from '../src/service.ts'
import type { CoordinatorInit } from '../src/service-types.ts'
import { COORDINATOR_TOPIC, FOAF_PROTOCOL } from '../src/topics.ts'
import { T0 } from './helpers.ts'

type Direct = (request: Uint8Array, context: { readonly peer: PeerId }) => void

/** One node's end of the in-test network: pubsub frames and FOAF direct messages, delivered on a microtask. */
class FakeTransport extends EventTarget {
  readonly peers = new Map<string, FakeTransport>()
  pubsubHandler: ((m: Uint8Array, c: PubSubConnection) => void) | undefined
  direct: Direct | undefined
  constructor(readonly identity: Identity) {
    super()
  }
  handle(_protocol: { readonly name: string }, handler: (m: Uint8Array, c: PubSubConnection) => void): void {
    this.pubsubHandler = handler
  }
  handleDirect(_protocol: { readonly name: string }, handler: Direct): void {
    this.direct = handler
  }
  unhandle(protocol: { readonly name: string }): void {
    if (protocol.name === FOAF_PROTOCOL) this.direct = undefined
    else this.pubsubHandler = undefined
  }
  connectionTo(peer: PeerId): (PubSubConnection & { sendDirect(p: unknown, m: Uint8Array): Promise<void> }) | undefined {
    const remote = this.peers.get(peer.toHex())
    if (remote === undefined) return undefined
    const me: PubSubConnection = { remotePeer: this.identity.peerId, remotePublicKey: this.identity.publicKey, send: async () => {}, close: async () => {} }
    return {
      remotePeer: peer,
      remotePublicKey: remote.identity.publicKey,
      send: async (_protocol, message) => { queueMicrotask(() => remote.pubsubHandler?.(message, me)) },
      sendDirect: async (_protocol, message) => { queueMicrotask(() => remote.direct?.(message, { peer: this.identity.peerId })) },
      close: async () => {},
    }
  }
}

interface TestNode { identity: Identity; transport: FakeTransport; pubsub: PubSub; membership: EventTarget; service: CoordinatorService }

function makeNode(n: number, clock: ManualClock, init: CoordinatorInit = {}): TestNode {
  const identity = Identity.generate({ seed: new Uint8Array(32).fill(n), backend: nobleMlDsa65 })
  const transport = new FakeTransport(identity)
  const pubsub = createPubSub({}, { transport, identity, backend: nobleMlDsa65, clock, rng: new SeededRng(n) })
  const membership = new EventTarget()
  const service = new CoordinatorService({ config: COORDINATOR_LOCAL, ...init }, {
    identity, backend: nobleMlDsa65, pubsub, transport, membership, clock, rng: new SeededRng(100 + n),
  })
  return { identity, transport, pubsub, membership, service }
}

function link(a: TestNode, b: TestNode): void {
  a.transport.peers.set(b.identity.peerId.toHex(), b.transport)
  b.transport.peers.set(a.identity.peerId.toHex(), a.transport)
  for (const [x, y] of [[a, b], [b, a]] as const) {
    x.pubsub.neighborUp(y.identity.peerId)
    x.membership.dispatchEvent(new CustomEvent('peer:up', { detail: y.identity.peerId }))
  }
}

describe('coordinator service', () => {
  let home: string
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'coord-service-')) })
  afterEach(async () => {
    vi.useRealTimers()
    await rm(home, { recursive: true, force: true })
  })

  it('spreads a coordinator advert through the validator, answers FOAF for a newcomer, and stops a forged advert at the first hop', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(0, T0)
    const a = makeNode(1, clock, { advertise: { roles: ['coordinator'], addresses: ['tcp://10.0.0.1:7000'], nat: 'eim' } })
    const b = makeNode(2, clock)
    const c = makeNode(3, clock)
    for (const n of [a, b, c]) n.pubsub.start()
    link(a, b)
    link(b, c)
    await b.service.start()
    await c.service.start()
    await a.service.start()
    await vi.advanceTimersByTimeAsync(200)
    expect(b.service.coordinators().map((e) => e.advert.peerId)).toEqual([a.identity.peerId])
    expect(c.service.coordinators().map((e) => e.advert.peerId)).toEqual([a.identity.peerId])

    // A newcomer that knows only c, and no coordinator, asks its friends' friends.
    const d = makeNode(4, clock)
    d.pubsub.start()
    await d.service.start()
    link(c, d)
    const found = d.service.findCoordinator()
    await vi.advanceTimersByTimeAsync(100)
    expect((await found).map((e) => e.advert.addresses)).toEqual([['tcp://10.0.0.1:7000']])

    // c publishes an advert of itself with a broken signature: b rejects it and nobody else sees it.
    const body = encodeCbor({
      v: 1, id: c.identity.peerId.bytes, pk: c.identity.publicKey, r: ['coordinator'], a: ['tcp://10.0.0.3:7000'], nat: 'eim',
      nb: clock.wallNow(), na: clock.wallNow() + 60_000, s: 1,
    })
    const sig = c.identity.sign(COORDINATOR_DOMAIN.advert, body)
    sig[0]! ^= 1
    await c.pubsub.publish(COORDINATOR_TOPIC, encodeSignedEnvelope({ body, sig }))
    await vi.advanceTimersByTimeAsync(200)
    for (const n of [b, d]) expect(n.service.coordinators().map((e) => e.advert.peerId)).toEqual([a.identity.peerId])
    expect(a.service.coordinators()).toEqual([])
    expect(b.pubsub.core.drops['validation-rejected']).toBe(1)
    expect(a.pubsub.core.drops['validation-rejected']).toBe(0)
    for (const n of [a, b, c, d]) {
      await n.service.stop()
      n.pubsub.stop()
    }
  })

  it('writes the cache at stop and finds the coordinator in it after a restart, with no neighbour at all', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(0, T0)
    const a = makeNode(5, clock, { advertise: { roles: ['coordinator'], addresses: ['tcp://10.0.0.5:7000'] } })
    const b = makeNode(6, clock, { home })
    a.pubsub.start()
    b.pubsub.start()
    link(a, b)
    await b.service.start()
    await a.service.start()
    await vi.advanceTimersByTimeAsync(200)
    await b.service.stop()
    b.pubsub.stop()
    const again = makeNode(6, clock, { home })
    const loaded = new Promise<unknown>((resolve) => again.service.addEventListener('cache:loaded', (e) => resolve((e as CustomEvent).detail)))
    again.pubsub.start()
    await again.service.start()
    expect(await loaded).toMatchObject({ loaded: 1 })
    expect((await again.service.findCoordinator()).map((e) => e.advert.peerId)).toEqual([a.identity.peerId])
    await expect(again.service.findCoordinator({ useCache: false })).rejects.toMatchObject({ name: 'QueryError' })
    link(again, a)
    const pending = again.service.findCoordinator({ useCache: false })
    await again.service.stop()
    await expect(pending).rejects.toMatchObject({ name: 'NotStartedError' })
    await a.service.stop()
  })

  it('routes a user query with its payload to the answerer layer two hops away and returns its reply record', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(0, T0)
    const [a, b, c] = [makeNode(7, clock), makeNode(8, clock), makeNode(9, clock)]
    for (const n of [a, b, c]) {
      n.pubsub.start()
      await n.service.start()
    }
    link(a, b)
    link(b, c)
    const target = c.identity.peerId
    const asked: Array<{ requester: string; target: string; payload: number[] }> = []
    for (const n of [b, c]) {
      n.service.answerUserQueries((q) => {
        asked.push({ requester: q.requester.toHex(), target: q.target.toHex(), payload: [...q.payload] })
        return n === c ? new Uint8Array([42, ...q.payload]) : undefined
      })
    }
    const replies = a.service.queryUser(target, new Uint8Array([1, 2, 3]), { timeoutMs: 500 })
    await vi.advanceTimersByTimeAsync(600)
    expect(await replies).toEqual([new Uint8Array([42, 1, 2, 3])])
    const query = { requester: a.identity.peerId.toHex(), target: target.toHex(), payload: [1, 2, 3] }
    expect(asked).toEqual([query, query])

    // With `settle`, the first sufficient reply ends the wait long before the deadline.
    const early = a.service.queryUser(target, new Uint8Array([4]), { timeoutMs: 20_000, settle: (records) => records.length > 0 })
    await vi.advanceTimersByTimeAsync(100)
    expect(await early).toEqual([new Uint8Array([42, 4])])

    await expect(a.service.queryUser(target, new Uint8Array(0))).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await expect(a.service.queryUser(target, new Uint8Array([1]), { ttl: 4 })).rejects.toMatchObject({ name: 'InvalidParametersError' })
    c.service.answerUserQueries(() => { throw new Error('broken layer') })
    const none = a.service.queryUser(target, new Uint8Array([1]), { timeoutMs: 500 })
    await vi.advanceTimersByTimeAsync(600)
    expect(await none).toEqual([])
    expect(c.service.metrics().drops['answerer-error']).toBe(1)
    for (const n of [a, b, c]) {
      await n.service.stop()
      n.pubsub.stop()
    }
  })
})
