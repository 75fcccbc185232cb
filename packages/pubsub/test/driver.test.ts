import { afterEach, describe, expect, it, vi } from 'vitest'
import { Identity, nobleMlDsa65 } from '@saorsa-gossip/identity'
import { InvalidParametersError, LIMITS, ManualClock, NotStartedError, SeededRng, type PeerId } from '@saorsa-gossip/types'
import { createPubSub, PUBSUB_PROTOCOL, type PubSub, type PubSubProtocol } from '../src/index.ts'
import type { PubSubConnection, PubSubTransport } from '../src/driver.ts'

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

function node(n: number, clock: ManualClock): { pubsub: PubSub; transport: FakeTransport; identity: Identity } {
  const identity = Identity.generate({ seed: new Uint8Array(32).fill(n), backend: nobleMlDsa65 })
  const transport = new FakeTransport(identity)
  const pubsub = createPubSub({ transport, identity, backend: nobleMlDsa65, clock, rng: new SeededRng(n) })
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
})
