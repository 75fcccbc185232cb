/**
 * Origin keys on the wire (issue: performance under load, point 7). A 1,952-byte ML-DSA-65 key is
 * half again the size of a 1 KiB payload, so how often it travels decides a good part of the bytes
 * per delivery. With size-faithful stand-ins (1,952-byte keys, 3,309-byte signatures, real pubsub
 * encodings) and many origins, this measures key bytes per delivery for both `originKeys` modes and
 * bounds them: a carried key is never passed on down the tree, so 'per-link' sends each key at most
 * once per link, and not over a link whose far end forwarded or announced one of that origin's
 * messages; 'on-request' sends each key once per node.
 */
import { describe, expect, it } from 'vitest'
import { SeededRng, TopicId, bytesEqual, concatBytes, payloadHash, type PeerId } from '@saorsa-gossip/types'
import { PubSubNetwork, type Signatures } from '../src/stacks/pubsub-network.ts'

const TOPIC = TopicId.fromName('sim/keys')
const KEY_BYTES = 1_952
const SIGNATURE_BYTES = 3_309

function expand(seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i += seed.length) out.set(seed.subarray(0, Math.min(seed.length, length - i)), i)
  return out
}

/** Hash-checked stand-ins of ML-DSA-65 signature size. */
const SIZED: Signatures = {
  sign: (pk, _secret, header) => expand(payloadHash(concatBytes(pk, header)), SIGNATURE_BYTES),
  verify: (pk, header, sig) => bytesEqual(expand(payloadHash(concatBytes(pk, header)), SIGNATURE_BYTES), sig),
}

async function keyRun(seed: number, originKeys: 'per-link' | 'on-request') {
  const keyRng = new SeededRng(`keys-${seed}`)
  const net = new PubSubNetwork({
    seed, nodes: 50, realSizes: true, signatures: SIZED, pubsub: { originKeys },
    keys: () => ({ publicKey: keyRng.fill(new Uint8Array(KEY_BYTES)), secret: undefined }),
  })
  let keyBytes = 0
  let keyCopies = 0
  /** Keys per (sender, receiver, origin) on a link, and per (receiver, origin) at a node. */
  const perLink = new Map<string, number>()
  const perNode = new Map<string, number>()
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)
  net.sim.on('send', (m) => {
    if (m.msg.layer !== 'pubsub') return
    const msg = m.msg.msg
    const keys = msg.type === 'publish' && msg.originKey !== undefined ? [msg.originKey] : msg.type === 'key-response' ? msg.keys : []
    for (const key of keys) {
      keyCopies++
      keyBytes += key.length
      const origin = payloadHash(key).subarray(0, 8).join('.')
      count(perLink, `${m.from.toHex()}>${m.to.toHex()}:${origin}`)
      count(perNode, `${m.to.toHex()}:${origin}`)
    }
  })
  net.join(TOPIC)
  await net.sim.runForAsync(10_000)
  const before = net.sim.report()
  const [copiesBefore, bytesBefore] = [keyCopies, keyBytes]
  const rng = net.sim.forkRng('senders')
  const published: Array<{ idHex: string; origin: PeerId; at: number }> = []
  for (let i = 0; i < 200; i++) {
    const origin = net.ids[rng.nextInt(net.ids.length)]!
    published.push({ idHex: net.publish(origin, TOPIC, new Uint8Array(1_024).fill(i & 0xff)), origin, at: net.sim.now })
    await net.sim.runForAsync(100)
  }
  await net.sim.runUntilAsync(() => published.every((m) => net.missing(m.idHex, m.origin).length === 0), { timeoutMs: 30_000, checkEveryMs: 100 })
  await net.sim.runForAsync(500)
  const after = net.sim.report()
  let pubsubBytes = 0
  for (const [kind, v] of Object.entries(after.perKind)) if (kind.startsWith('p:')) pubsubBytes += v.bytes - (before.perKind[kind]?.bytes ?? 0)
  const metrics = net.metrics(published, 0)
  const latencies = published.flatMap((m) => [...(net.deliveredAt.get(m.idHex)?.values() ?? [])].map((t) => t - m.at)).sort((a, b) => a - b)
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!
  return {
    missed: metrics.missed,
    bytesPerDelivery: Math.round(pubsubBytes / metrics.deliveries),
    keyBytesPerDelivery: Math.round((keyBytes - bytesBefore) / metrics.deliveries),
    keyCopiesPerDelivery: Number(((keyCopies - copiesBefore) / metrics.deliveries).toFixed(3)),
    p50Ms: pct(0.5), p99Ms: pct(0.99),
    maxPerLink: Math.max(0, ...perLink.values()), maxPerNode: Math.max(0, ...perNode.values()),
  }
}

describe('origin keys on the wire', () => {
  it('sends a key at most once per link and origin, and once per node and origin on request (seed 1)', async () => {
    const perLink = await keyRun(1, 'per-link')
    const onRequest = await keyRun(1, 'on-request')
    console.log(`pubsub origin keys 50 nodes, 200 messages from random origins: ${JSON.stringify({ perLink, onRequest })}`)
    expect(perLink.missed).toBe(0)
    expect(onRequest.missed).toBe(0)
    expect(perLink.maxPerLink).toBe(1)
    expect(onRequest.maxPerNode).toBe(1)
    // 49 receivers x 50 origins at most, over 9,800 deliveries.
    expect(onRequest.keyCopiesPerDelivery).toBeLessThanOrEqual(0.25)
    // Measured 0.93 per delivery when every link carried each origin's key once, and 0.42-0.56 over
    // seeds 1-5 (0.505 on this one) since a link whose far end showed it holds the key carries none.
    expect(perLink.keyCopiesPerDelivery).toBeLessThanOrEqual(0.6)
    expect(onRequest.keyBytesPerDelivery).toBeLessThan(perLink.keyBytesPerDelivery)
  })
})
