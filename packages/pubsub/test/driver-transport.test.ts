/**
 * End-to-end PubSub over the real transport: four `createPubSub` drivers on `createTransport`
 * connections (ML-KEM-768 + ML-DSA-65 handshake, ChaCha20-Poly1305 records) over the in-memory
 * carrier, wired as a ring with explicit neighbour calls, plus a raw transport that injects a forged
 * message and a garbage frame. Driver timers are faked; the carrier's IO runs on real event-loop
 * turns, awaited with a bounded number of turns (never a sleep).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Identity, loadMlDsa65Backend, type SignatureBackend } from '@saorsa-gossip/identity'
import { createMemoryNetwork, createTransport, type Transport } from '@saorsa-gossip/transport'
import { ManualClock, MessageId, SeededRng, TopicId, payloadHash, utf8, type PeerId } from '@saorsa-gossip/types'
import { PUBSUB_PROTOCOL, Publisher, createPubSub, encodePubSubMessage, signHeaderWith, type PubSub } from '../src/index.ts'
import type { Delivery } from '../src/proto/messages.ts'

const TOPIC = 'e2e/ring'
/** Event-loop turns allowed for one wait: far above the few dozen a memory-carrier exchange takes. */
const MAX_TURNS = 5_000

interface Member {
  readonly index: number
  readonly identity: Identity
  readonly transport: Transport
  readonly pubsub: PubSub
  readonly deliveries: Delivery[]
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Spins real event-loop turns until `done()` holds; fails after MAX_TURNS instead of hanging. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < MAX_TURNS; i++) {
    if (done()) return
    await turn()
  }
  throw new Error(`not reached within ${MAX_TURNS} event-loop turns: ${what}`)
}

/** Moves the driver timers (faked) and the manual clock forward, letting IO settle in between. */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 5) {
    clock.advance(5)
    await vi.advanceTimersByTimeAsync(5)
    for (let i = 0; i < 20; i++) await turn()
  }
}

async function ring(size: number, backend: SignatureBackend, clock: ManualClock) {
  const network = createMemoryNetwork()
  const members: Member[] = []
  for (let index = 0; index < size; index++) {
    const identity = Identity.generate({ seed: new Uint8Array(32).fill(40 + index), backend })
    const transport = createTransport({ identity, carriers: [network.carrier()], backend })
    await transport.listen(`mem://node-${index}`)
    const pubsub = createPubSub({}, { transport, identity, backend, clock, rng: new SeededRng(index) })
    const deliveries: Delivery[] = []
    pubsub.addEventListener('message', (e) => deliveries.push((e as CustomEvent<Delivery>).detail))
    pubsub.start()
    members.push({ index, identity, transport, pubsub, deliveries })
  }
  for (const m of members) {
    const next = members[(m.index + 1) % size]!
    await m.transport.dial(`mem://node-${next.index}`, { expectedPeer: next.identity.peerId })
  }
  await until(() => members.every((m) => m.transport.connections().length === 2), 'every ring connection open on both sides')
  for (const m of members) {
    for (const peer of [members[(m.index + 1) % size]!, members[(m.index + size - 1) % size]!]) m.pubsub.neighborUp(peer.identity.peerId)
  }
  return { network, members }
}

describe('PubSub driver over the real transport (memory carrier)', () => {
  afterEach(() => { vi.useRealTimers() })

  it('delivers every message exactly once to every other subscriber with its origin, and drops a forged one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    const backend = await loadMlDsa65Backend()
    const clock = new ManualClock(1_700_000_000_000)
    const { network, members } = await ring(4, backend, clock)
    const subscriptions = members.map((m) => m.pubsub.subscribe(TOPIC))
    const topicPeers = new Map<number, number>()
    for (const m of members) m.pubsub.addEventListener('topic:peer-up', () => topicPeers.set(m.index, (topicPeers.get(m.index) ?? 0) + 1))
    await until(() => members.every((m) => topicPeers.get(m.index) === 2), 'both ring neighbours joined the topic at every node')

    const published = new Map<string, { origin: PeerId; text: string }>()
    for (const m of members) {
      const text = `hello from ${m.index}`
      const result = await m.pubsub.publish(TOPIC, utf8(text))
      expect(result.outcome).toBe('sent')
      published.set(result.id!.toHex(), { origin: m.identity.peerId, text })
    }
    await until(() => members.every((m) => m.deliveries.length === members.length - 1), 'three deliveries at every node')
    // Let IHAVE flushes, graft timers and the first anti-entropy rounds run: nothing is delivered twice.
    await advance(clock, 400)

    for (const m of members) {
      expect(m.deliveries).toHaveLength(members.length - 1)
      const origins = new Set(m.deliveries.map((d) => d.origin.toHex()))
      expect(origins.size).toBe(members.length - 1)
      expect(origins.has(m.identity.peerId.toHex())).toBe(false)
      for (const d of m.deliveries) {
        const sent = published.get(d.id.toHex())
        expect(sent).toBeDefined()
        expect(d.origin.equals(sent!.origin)).toBe(true)
        expect(new TextDecoder().decode(d.payload)).toBe(sent!.text)
        expect(d.id.equals(MessageId.derive(d.origin, d.seq, payloadHash(d.payload)))).toBe(true)
        // At most around the ring: pruned duplicates can leave the tree a path of four nodes.
        expect(d.hop).toBeGreaterThanOrEqual(1)
        expect(d.hop).toBeLessThanOrEqual(members.length - 1)
      }
      // Every delivery passed one ML-DSA-65 verification; duplicates were dropped before verifying.
      expect(m.pubsub.core.verifications).toBe(members.length - 1)
      expect(m.pubsub.core.drops['bad-signature']).toBe(0)
      expect(m.pubsub.driverDrops['no-connection']).toBe(0)
    }

    // A raw connection: a valid transport peer that is no pubsub neighbour, sending a message that
    // claims node 1 as origin but is signed with the attacker's own key, then a garbage frame.
    const [target, impersonated] = [members[0]!, members[1]!]
    const attacker = Identity.generate({ seed: new Uint8Array(32).fill(99), backend })
    const raw = createTransport({ identity: attacker, carriers: [network.carrier()], backend })
    const connection = await raw.dial('mem://node-0', { expectedPeer: target.identity.peerId })
    const forger = new Publisher(impersonated.identity.peerId, signHeaderWith(attacker), Math.floor(clock.wallNow()) * 1024 + 1_000_000)
    const forged = forger.build(TopicId.fromName(TOPIC), utf8('forged'), clock.wallNow())
    await connection.send(PUBSUB_PROTOCOL, encodePubSubMessage(forged))
    await connection.send(PUBSUB_PROTOCOL, new Uint8Array([0xff, 0x00, 0x13]))
    await until(() => target.pubsub.core.drops['bad-signature'] === 1 && target.pubsub.driverDrops.decode === 1, 'forged and garbage frames counted')
    await advance(clock, 200)
    for (const m of members) {
      expect(m.deliveries.some((d) => new TextDecoder().decode(d.payload) === 'forged')).toBe(false)
      expect(m.deliveries).toHaveLength(members.length - 1)
    }
    expect(target.pubsub.core.drops['bad-signature']).toBe(1)
    expect(target.pubsub.core.peers.peek(attacker.peerId)?.score.counter('invalid', clock.now())).toBeGreaterThan(0.9)

    // Unsubscribing ends each iteration after the buffered deliveries; stop is clean.
    subscriptions.forEach((s) => s.unsubscribe())
    for (const [i, s] of subscriptions.entries()) {
      const drained: Delivery[] = []
      for await (const d of s) drained.push(d)
      expect(drained.map((d) => d.id.toHex())).toEqual(members[i]!.deliveries.map((d) => d.id.toHex()))
    }
    for (const m of members) m.pubsub.stop()
    await expect(members[0]!.pubsub.publish(TOPIC, utf8('late'))).rejects.toThrow(/not started/)
    vi.useRealTimers()
    await raw.close()
    await Promise.all(members.map((m) => m.transport.close()))
    expect(members.every((m) => m.transport.connections().length === 0)).toBe(true)
  })
})
