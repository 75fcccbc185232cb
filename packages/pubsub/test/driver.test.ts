import { afterEach, describe, expect, it, vi } from 'vitest'
import { Identity, nobleMlDsa65 } from '@saorsa-gossip/identity'
import { InvalidParametersError, LIMITS, ManualClock, NotStartedError, SeededRng, TopicId, type PeerId } from '@saorsa-gossip/types'
import { createPubSub, PUBSUB_PROTOCOL, type AsyncVerifier, type PubSub, type PubSubInit, type PubSubProtocol } from '../src/index.ts'
import type { PubSubConnection, PubSubTransport } from '../src/driver-types.ts'

/** An in-test network: each fake transport delivers frames to its peer's handler on the next tick. */
class FakeHub {
  readonly nodes = new Map<string, FakeTransport>()
  link(a: FakeTransport, b: FakeTransport): void {
    a.peers.set(b.identity.peerId.toHex(), b)
    b.peers.set(a.identity.peerId.toHex(), a)
    a.dispatchEvent(new CustomEvent('connection:open', { detail: { connection: a.connectionTo(b.identity.peerId) } }))
    b.dispatchEvent(new CustomEvent('connection:open', { detail: { connection: b.connectionTo(a.identity.peerId) } }))
  }
}

class FakeTransport extends EventTarget implements PubSubTransport {
  readonly identity: Identity
  readonly peers = new Map<string, FakeTransport>()
  handler: ((m: Uint8Array, c: PubSubConnection) => void) | undefined
  sent = 0
  constructor(identity: Identity) {
    super()
    this.identity = identity
  }
  handle(protocol: PubSubProtocol, handler: (m: Uint8Array, c: PubSubConnection) => void): void {
    expect(protocol).toBe(PUBSUB_PROTOCOL)
    this.handler = handler
  }
  unhandle(protocol: PubSubProtocol): void {
    expect(protocol).toBe(PUBSUB_PROTOCOL)
    this.handler = undefined
  }
  connectionTo(peer: PeerId): PubSubConnection | undefined {
    const remote = this.peers.get(peer.toHex())
    if (remote === undefined) return undefined
    return {
      remotePeer: peer,
      remotePublicKey: remote.identity.publicKey,
      send: async (_cls, message) => {
        this.sent++
        const back: PubSubConnection = { remotePeer: this.identity.peerId, remotePublicKey: this.identity.publicKey, send: async () => {}, close: async () => {} }
        queueMicrotask(() => remote.handler?.(message, back))
      },
      close: async () => { this.peers.delete(peer.toHex()) },
    }
  }
}

function node(n: number, clock: ManualClock, init: PubSubInit = {}, verifier?: AsyncVerifier): { pubsub: PubSub; transport: FakeTransport; identity: Identity } {
  const identity = Identity.generate({ seed: new Uint8Array(32).fill(n), backend: nobleMlDsa65 })
  const transport = new FakeTransport(identity)
  const pubsub = createPubSub(init, { transport, identity, backend: nobleMlDsa65, clock, rng: new SeededRng(n), ...(verifier === undefined ? {} : { verifier }) })
  return { pubsub, transport, identity }
}

describe('PubSub driver', () => {
  afterEach(() => { vi.useRealTimers() })

  it('delivers a published message to a subscribed neighbour through the async iterator', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(1_700_000_000_000)
    const a = node(1, clock)
    const b = node(2, clock)
    new FakeHub().link(a.transport, b.transport)
    a.pubsub.start()
    b.pubsub.start()
    const subB = b.pubsub.subscribe('chat')
    a.pubsub.subscribe('chat')
    a.pubsub.neighborUp(b.identity.peerId)
    b.pubsub.neighborUp(a.identity.peerId)
    await vi.advanceTimersByTimeAsync(10)
    const result = await a.pubsub.publish('chat', new TextEncoder().encode('hello'))
    expect(result.outcome).toBe('sent')
    expect(result.peers).toBe(1)
    await vi.advanceTimersByTimeAsync(10)
    const iterator = subB[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(first.done).toBe(false)
    expect(new TextDecoder().decode(first.value!.payload)).toBe('hello')
    expect(first.value!.origin.equals(a.identity.peerId)).toBe(true)
    expect(first.value!.hop).toBe(1)
    expect(first.value!.id.equals(result.id!)).toBe(true)
    a.pubsub.stop()
    b.pubsub.stop()
  })

  it('checks origin signatures on its verifier, and falls back to its backend when the verifier fails', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(1_700_000_000_000)
    const checked: Uint8Array[] = []
    let failing = false
    // A verifier that answers on a later task, as a worker pool does, and rejects while `failing`.
    const verifier: AsyncVerifier = {
      verify: (publicKey, message, signature) => new Promise((resolve, reject) => setTimeout(() => {
        checked.push(message)
        if (failing) reject(new Error('pool closed'))
        else resolve(nobleMlDsa65.verify(publicKey, message, signature))
      }, 1)),
    }
    const a = node(1, clock)
    const b = node(2, clock, {}, verifier)
    new FakeHub().link(a.transport, b.transport)
    a.pubsub.start()
    b.pubsub.start()
    const got: string[] = []
    b.pubsub.addEventListener('message', (e) => got.push(new TextDecoder().decode(e.detail.payload)))
    b.pubsub.join('chat')
    a.pubsub.join('chat')
    a.pubsub.neighborUp(b.identity.peerId)
    b.pubsub.neighborUp(a.identity.peerId)
    await vi.advanceTimersByTimeAsync(10)
    await a.pubsub.publish('chat', new TextEncoder().encode('one'))
    await vi.advanceTimersByTimeAsync(10)
    expect(got).toEqual(['one'])
    expect(checked).toHaveLength(1)
    failing = true
    await a.pubsub.publish('chat', new TextEncoder().encode('two'))
    await vi.advanceTimersByTimeAsync(10)
    expect(got).toEqual(['one', 'two'])
    expect(b.pubsub.core.verifications).toBe(2)
    a.pubsub.stop()
    b.pubsub.stop()
  })

  it('says no-peers when nobody subscribed is connected, then delivers through anti-entropy once one appears', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(1_700_000_000_000)
    const a = node(3, clock)
    const b = node(4, clock)
    a.pubsub.start()
    b.pubsub.start()
    a.pubsub.subscribe('news')
    const result = await a.pubsub.publish('news', new Uint8Array([1, 2, 3]))
    expect(result.outcome).toBe('no-peers')
    const received: number[][] = []
    b.pubsub.addEventListener('message', (e) => received.push([...(e as CustomEvent).detail.payload]))
    b.pubsub.subscribe('news')
    new FakeHub().link(a.transport, b.transport)
    a.pubsub.neighborUp(b.identity.peerId)
    b.pubsub.neighborUp(a.identity.peerId)
    await vi.advanceTimersByTimeAsync(50)
    expect(received).toEqual([[1, 2, 3]])
    a.pubsub.stop()
    b.pubsub.stop()
  })

  it('validates arguments at the boundary and refuses work before start', async () => {
    const clock = new ManualClock(0)
    const a = node(5, clock)
    await expect(a.pubsub.publish('t', new Uint8Array(1))).rejects.toThrow(NotStartedError)
    a.pubsub.start()
    a.pubsub.subscribe('t')
    await expect(a.pubsub.publish('t', new Uint8Array(LIMITS.maxPayloadBytes + 1))).rejects.toThrow(InvalidParametersError)
    await expect(a.pubsub.publish('t', 'text' as unknown as Uint8Array)).rejects.toThrow(/data/)
    expect(() => a.pubsub.subscribe('')).toThrow(InvalidParametersError)
    const controller = new AbortController()
    controller.abort()
    await expect(a.pubsub.publish('t', new Uint8Array(1), { signal: controller.signal })).rejects.toThrow()
    expect((await a.pubsub.publish('other', new Uint8Array(1))).outcome).toBe('not-subscribed')
    a.pubsub.stop()
  })

  it('counts undecodable frames instead of throwing', () => {
    const clock = new ManualClock(0)
    const a = node(6, clock)
    a.pubsub.start()
    const b = node(7, clock)
    a.transport.handler!(new Uint8Array([0xff, 0x00]), { remotePeer: b.identity.peerId, remotePublicKey: b.identity.publicKey, send: async () => {}, close: async () => {} })
    expect(a.pubsub.driverDrops.decode).toBe(1)
    a.pubsub.stop()
  })

  it('joins without a reader: deliveries arrive as typed message events and nothing is buffered or lagged', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(1_700_000_000_000)
    // A buffer of 2: a subscription nobody reads would lag on the third message.
    const [a, b] = await pair(clock, 10, 11, { subscriptionBuffer: 2 })
    const received: string[] = []
    const treeUp: string[] = []
    b.pubsub.addEventListener('message', (e) => received.push(new TextDecoder().decode(e.detail.payload)))
    b.pubsub.addEventListener('topic:peer-up', (e) => treeUp.push(e.detail.peer.toHex()))
    b.pubsub.join('news')
    a.pubsub.join('news')
    await vi.advanceTimersByTimeAsync(10)
    expect(treeUp).toEqual([a.identity.peerId.toHex()])
    for (let i = 0; i < 3; i++) await a.pubsub.publish('news', new TextEncoder().encode(`m${i}`))
    await vi.advanceTimersByTimeAsync(10)
    expect(received).toEqual(['m0', 'm1', 'm2'])
    expect(b.pubsub.driverDrops.lagged).toBe(0)
    expect(b.pubsub.topics().map((t) => t.toHex())).toEqual([TopicId.fromName('news').toHex()])
    b.pubsub.leave('news')
    expect(b.pubsub.topics()).toEqual([])
    a.pubsub.stop()
    b.pubsub.stop()
  })

  it('keeps a topic joined while a subscription or the join holds it, and leaves once neither does', () => {
    const a = node(12, new ManualClock(0))
    a.pubsub.start()
    const sub = a.pubsub.subscribe('t')
    a.pubsub.join('t')
    sub.unsubscribe()
    expect(a.pubsub.topics()).toHaveLength(1)
    const again = a.pubsub.subscribe('t')
    a.pubsub.leave('t')
    expect(a.pubsub.topics()).toHaveLength(1)
    again.unsubscribe()
    expect(a.pubsub.topics()).toEqual([])
    expect(a.pubsub.core.topics.size).toBe(0)
    a.pubsub.stop()
  })

  it('runs sync and async validators: accepted messages are delivered, rejected and timed-out ones are not', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(1_700_000_000_000)
    const [a, b] = await pair(clock, 13, 14)
    const received: string[] = []
    b.pubsub.addEventListener('message', (e) => received.push(new TextDecoder().decode(e.detail.payload)))
    b.pubsub.addValidator('v', (m) => {
      const text = new TextDecoder().decode(m.payload)
      if (text === 'slow') return new Promise(() => {})
      if (text === 'later') return new Promise((resolve) => setTimeout(() => resolve('accept'), 50))
      if (text === 'boom') throw new Error('validator bug')
      return text.startsWith('ok') ? 'accept' : 'reject'
    }, { timeoutMs: 200 })
    b.pubsub.join('v')
    a.pubsub.join('v')
    await vi.advanceTimersByTimeAsync(10)
    for (const text of ['ok1', 'bad', 'slow', 'later', 'boom', 'ok2']) await a.pubsub.publish('v', new TextEncoder().encode(text))
    await vi.advanceTimersByTimeAsync(300)
    expect(received).toEqual(['ok1', 'ok2', 'later'])
    expect(b.pubsub.core.drops).toMatchObject({ 'validation-rejected': 1, 'validation-timeout': 1, 'validation-ignored': 1 })
    expect(b.pubsub.driverDrops['validator-error']).toBe(1)
    expect(b.pubsub.core.peers.peek(a.identity.peerId)?.score.counter('rejected', clock.now())).toBe(1)
    b.pubsub.removeValidator('v')
    await a.pubsub.publish('v', new TextEncoder().encode('unchecked'))
    await vi.advanceTimersByTimeAsync(10)
    expect(received.at(-1)).toBe('unchecked')
    a.pubsub.stop()
    b.pubsub.stop()
  })

  it('sends a neighbour broadcast to direct topic neighbours only', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(1_700_000_000_000)
    const [a, b] = await pair(clock, 15, 16)
    const c = node(17, clock)
    c.pubsub.start()
    new FakeHub().link(b.transport, c.transport)
    b.pubsub.neighborUp(c.identity.peerId)
    c.pubsub.neighborUp(b.identity.peerId)
    const got = new Map<string, Array<boolean | undefined>>()
    for (const n of [b, c]) {
      n.pubsub.join('near')
      n.pubsub.addEventListener('message', (e) => got.set(n.identity.peerId.toHex(), [...(got.get(n.identity.peerId.toHex()) ?? []), e.detail.neighborsOnly]))
    }
    a.pubsub.join('near')
    await vi.advanceTimersByTimeAsync(10)
    const result = await a.pubsub.broadcastNeighbors('near', new Uint8Array([1]))
    expect(result).toMatchObject({ outcome: 'sent', peers: 1 })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(got.get(b.identity.peerId.toHex())).toEqual([true])
    expect(got.get(c.identity.peerId.toHex())).toBeUndefined()
    for (const n of [a, b, c]) n.pubsub.stop()
  })

  it('answers a publish made from inside a message listener once the core gets to it', async () => {
    vi.useFakeTimers()
    const clock = new ManualClock(1_700_000_000_000)
    const [a, b] = await pair(clock, 18, 19)
    a.pubsub.join('echo')
    b.pubsub.join('echo')
    await vi.advanceTimersByTimeAsync(10)
    const replies: Array<Promise<unknown>> = []
    b.pubsub.addEventListener('message', () => { replies.push(b.pubsub.publish('echo', new Uint8Array([2]))) }, { once: true })
    await a.pubsub.publish('echo', new Uint8Array([1]))
    await vi.advanceTimersByTimeAsync(10)
    expect(await replies[0]).toMatchObject({ outcome: 'sent', peers: 1 })
    a.pubsub.stop()
    b.pubsub.stop()
  })
})

async function pair(clock: ManualClock, m: number, n: number, init: PubSubInit = {}): Promise<[ReturnType<typeof node>, ReturnType<typeof node>]> {
  const a = node(m, clock, init)
  const b = node(n, clock, init)
  new FakeHub().link(a.transport, b.transport)
  a.pubsub.start()
  b.pubsub.start()
  a.pubsub.neighborUp(b.identity.peerId)
  b.pubsub.neighborUp(a.identity.peerId)
  return [a, b]
}
