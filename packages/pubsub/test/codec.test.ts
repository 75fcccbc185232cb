import { describe, expect, it } from 'vitest'
import { DecodeError, LIMITS, MessageId, PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { decodePubSubMessage, encodePubSubMessage } from '../src/codec.ts'
import type { PubSubMessage } from '../src/proto/messages.ts'
import { buildSketch } from '../src/proto/anti-entropy.ts'
import { makeNode } from './helpers.ts'

const topic = TopicId.fromName('codec')
const ids = [1, 2, 3].map((n) => MessageId.fromBytes(new Uint8Array(32).fill(n)))
const node = makeNode(1)
const samples: PubSubMessage[] = [
  node.publisher.build(topic, new Uint8Array([1, 2, 3]), 1_700_000_000_000),
  { ...node.publisher.build(topic, new Uint8Array(0), 1_700_000_000_000), hop: 7, originKey: node.publicKey },
  { type: 'ihave', topic, ids, hops: [1, 2, 3] },
  { type: 'iwant', topic, ids },
  { type: 'graft', topic, ids: [] },
  { type: 'prune', topic },
  { type: 'subscribe', topics: [topic], reply: true },
  { type: 'subscribe', topics: [topic], reply: false, heldKeys: new Uint8Array(24).fill(7) },
  { type: 'unsubscribe', topics: [topic] },
  { type: 'key-request', origins: [node.id] },
  { type: 'key-response', keys: [node.publicKey] },
  { type: 'sketch', topic, count: 3, cells: buildSketch(ids, 6) },
  { type: 'have', topic, ids, complete: true },
  { type: 'digest', topic, fromMs: 1_700_000_000_000, toMs: 1_700_000_095_000, count: 3, hash: new Uint8Array(32).fill(9) },
  node.publisher.build(topic, new Uint8Array([4]), 1_700_000_000_000, { neighborsOnly: true }),
]

/** Seeded mutations: bit flips, interesting bytes, truncation, insertion, splices. */
function mutate(rng: SeededRng, input: Uint8Array): Uint8Array {
  const bytes = input.slice()
  switch (rng.nextInt(5)) {
    case 0: {
      const i = rng.nextInt(Math.max(1, bytes.length))
      if (bytes.length > 0) bytes[i] = bytes[i]! ^ (1 << rng.nextInt(8))
      return bytes
    }
    case 1: {
      if (bytes.length > 0) bytes[rng.nextInt(bytes.length)] = [0x00, 0xff, 0x7f, 0x80, 0x1f, 0xf6, 0xbf, 0x5f, 0x9f][rng.nextInt(9)]!
      return bytes
    }
    case 2: return bytes.subarray(0, rng.nextInt(bytes.length + 1))
    case 3: {
      const at = rng.nextInt(bytes.length + 1)
      const extra = rng.fill(new Uint8Array(rng.nextInt(8) + 1))
      const out = new Uint8Array(bytes.length + extra.length)
      out.set(bytes.subarray(0, at))
      out.set(extra, at)
      out.set(bytes.subarray(at), at + extra.length)
      return out
    }
    default: {
      const other = encodePubSubMessage(samples[rng.nextInt(samples.length)]!)
      const cut = rng.nextInt(bytes.length + 1)
      const out = new Uint8Array(cut + other.length - Math.min(cut, other.length))
      out.set(bytes.subarray(0, cut))
      out.set(other.subarray(Math.min(cut, other.length)), cut)
      return out
    }
  }
}

describe('pubsub codec', () => {
  it.each(samples.map((m) => [m.type, m] as const))('round-trips a %s message', (_type, msg) => {
    expect(decodePubSubMessage(encodePubSubMessage(msg))).toEqual(msg)
  })

  it('rejects a frame over the pubsub cap before parsing', () => {
    expect(() => decodePubSubMessage(new Uint8Array(LIMITS.maxPubsubFrameBytes + 1))).toThrow(DecodeError)
  })

  it('rejects an IHAVE whose ids and hops differ in length, and over-long lists', () => {
    const bad = encodePubSubMessage({ type: 'ihave', topic, ids, hops: [1] })
    expect(() => decodePubSubMessage(bad)).toThrow(DecodeError)
    const many = Array.from({ length: LIMITS.maxIwantIds + 1 }, () => ids[0]!)
    expect(() => decodePubSubMessage(encodePubSubMessage({ type: 'iwant', topic, ids: many }))).toThrow(DecodeError)
  })

  it('rejects held key prefixes that are not whole 8-byte prefixes, or more than 256 of them', () => {
    const sub = (heldKeys: Uint8Array) => encodePubSubMessage({ type: 'subscribe', topics: [topic], reply: false, heldKeys })
    expect(() => decodePubSubMessage(sub(new Uint8Array(12)))).toThrow(/8-byte prefixes/)
    expect(() => decodePubSubMessage(sub(new Uint8Array(0)))).toThrow(DecodeError)
    expect(() => decodePubSubMessage(sub(new Uint8Array(257 * 8)))).toThrow(DecodeError)
    expect(decodePubSubMessage(sub(new Uint8Array(256 * 8)))).toMatchObject({ type: 'subscribe', heldKeys: new Uint8Array(256 * 8) })
  })

  it('rejects a digest whose window runs backwards or lasts over an hour, or whose hash is not 32 bytes', () => {
    const digest = (fromMs: number, toMs: number, hash = new Uint8Array(32)) =>
      encodePubSubMessage({ type: 'digest', topic, fromMs, toMs, count: 0, hash })
    expect(() => decodePubSubMessage(digest(10, 9))).toThrow(/window/)
    expect(() => decodePubSubMessage(digest(0, 3_600_001))).toThrow(/window/)
    expect(() => decodePubSubMessage(digest(0, 1, new Uint8Array(31)))).toThrow(DecodeError)
    expect(decodePubSubMessage(digest(0, 3_600_000))).toMatchObject({ type: 'digest', fromMs: 0, toMs: 3_600_000 })
  })

  it('rejects hop 0, hop 256 and a payload over the cap', () => {
    const msg = samples[0] as Extract<PubSubMessage, { type: 'publish' }>
    expect(() => decodePubSubMessage(encodePubSubMessage({ ...msg, hop: 0 }))).toThrow(DecodeError)
    expect(() => decodePubSubMessage(encodePubSubMessage({ ...msg, hop: 256 }))).toThrow(DecodeError)
    expect(() => decodePubSubMessage(encodePubSubMessage({ ...msg, payload: new Uint8Array(LIMITS.maxPayloadBytes + 1) }))).toThrow(DecodeError)
  })

  it('throws only DecodeError on mutated and random inputs', () => {
    const runs = Number(process.env['FUZZ_RUNS'] ?? 100_000)
    const rng = new SeededRng('pubsub-codec-fuzz')
    const seeds = samples.map(encodePubSubMessage)
    let accepted = 0
    for (let i = 0; i < runs; i++) {
      const input = i % 10 === 0 ? rng.fill(new Uint8Array(rng.nextInt(64))) : mutate(rng, seeds[i % seeds.length]!)
      try {
        decodePubSubMessage(input)
        accepted++
      } catch (err) {
        if (!(err instanceof DecodeError)) throw new Error(`non-DecodeError on input ${Buffer.from(input).toString('hex')}: ${String(err)}`)
      }
    }
    expect(accepted).toBeGreaterThan(0)
  })

  it('decodes PeerIds that hash from the carried key', () => {
    const decoded = decodePubSubMessage(encodePubSubMessage(samples.find((m) => m.type === 'key-response')!))
    if (decoded.type !== 'key-response') throw new Error('wrong kind')
    expect(PeerId.fromPublicKey(decoded.keys[0]!).equals(node.id)).toBe(true)
  })
})
