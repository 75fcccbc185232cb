import { describe, expect, it } from 'vitest'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import { TOPIC, connect, emitted, makeNode, sends } from './helpers.ts'

describe('PubSubCore receive checks', () => {
  it('drops a badly signed message before delivery or forwarding and penalises the sender', () => {
    const [a, b, c] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b, c])
    const msg = b.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const forged = { ...msg, signature: msg.signature.map((x, i) => (i === 0 ? x ^ 1 : x)) }
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: forged }, 1, out)
    expect(emitted(out, 'message')).toHaveLength(0)
    expect(sends(out, 'publish')).toHaveLength(0)
    expect(a.core.drops['bad-signature']).toBe(1)
    // A forged copy must not poison the id: the genuine message still gets through.
    const genuine: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg }, 2, genuine)
    expect(emitted(genuine, 'message')).toHaveLength(1)
  })

  it('graylists and then disconnects a peer that keeps sending invalid signatures, dropping its traffic unverified', () => {
    const [a, b] = [makeNode(1), makeNode(2)]
    connect(a, [b])
    const out: PubSubOutput[] = []
    for (let i = 0; i < 103; i++) {
      const msg = b.publisher.build(TOPIC, new Uint8Array([i]), 0)
      a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, signature: new Uint8Array(32) } }, 1, out)
    }
    expect(emitted(out, 'graylisted').map((e) => e.peer)).toEqual([b.id])
    expect(out.filter((o) => o.type === 'disconnect')).toEqual([{ type: 'disconnect', peer: b.id }])
    expect(a.verifier.calls()).toBe(3)
    expect(a.core.drops.graylisted).toBe(100)
    expect(sends(out, 'prune')).toEqual([{ to: b.id, msg: { type: 'prune', topic: TOPIC } }])
  })

  it('lets a graylisted peer back once its score has decayed', () => {
    const [a, b] = [makeNode(1), makeNode(2)]
    connect(a, [b])
    for (let i = 0; i < 3; i++) {
      const msg = b.publisher.build(TOPIC, new Uint8Array([i]), 0)
      a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, signature: new Uint8Array(32) } }, 0, [])
    }
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'command', command: { type: 'wall-clock', wallMs: 60_000 } }, 60_000, out)
    a.core.handle({ type: 'recv', from: b.id, msg: b.publisher.build(TOPIC, new Uint8Array([7]), 60_000) }, 60_000, out)
    expect(emitted(out, 'message')).toHaveLength(1)
  })

  it('rate-limits a flooding peer before any hash or signature work', () => {
    const [a, b] = [makeNode(1, { publishBurst: 10, publishRatePerSecond: 10 }), makeNode(2)]
    connect(a, [b])
    for (let i = 0; i < 50; i++) a.core.handle({ type: 'recv', from: b.id, msg: b.publisher.build(TOPIC, new Uint8Array([i]), 0) }, 0, [])
    expect(a.verifier.calls()).toBe(10)
    expect(a.core.drops['rate-limited']).toBe(40)
  })

  it('rejects expired, far-future and replayed messages without verifying them', () => {
    const [a, b] = [makeNode(1), makeNode(2)]
    connect(a, [b])
    a.core.handle({ type: 'command', command: { type: 'wall-clock', wallMs: 1_000_000 } }, 0, [])
    a.core.handle({ type: 'recv', from: b.id, msg: b.publisher.build(TOPIC, new Uint8Array([1]), 1_000_000 - 180_001) }, 0, [])
    a.core.handle({ type: 'recv', from: b.id, msg: b.publisher.build(TOPIC, new Uint8Array([2]), 1_000_000 + 30_001) }, 0, [])
    expect(a.core.drops).toMatchObject({ expired: 1, future: 1 })
    const old = b.publisher.build(TOPIC, new Uint8Array([3]), 1_000_000)
    for (let i = 0; i < 4_097; i++) b.publisher.build(TOPIC, new Uint8Array([4]), 1_000_000)
    a.core.handle({ type: 'recv', from: b.id, msg: b.publisher.build(TOPIC, new Uint8Array([5]), 1_000_000) }, 0, [])
    a.core.handle({ type: 'recv', from: b.id, msg: old }, 0, [])
    expect(a.core.drops.replayed).toBe(1)
    expect(a.verifier.calls()).toBe(1)
  })

  it('rejects a payload that does not match the signed length or hash', () => {
    const [a, b] = [makeNode(1), makeNode(2)]
    connect(a, [b])
    const msg = b.publisher.build(TOPIC, new Uint8Array([1, 2, 3]), 0)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, payload: new Uint8Array([1, 2]) } }, 0, [])
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, payload: new Uint8Array([1, 2, 4]) } }, 0, [])
    expect(a.core.drops).toMatchObject({ 'length-mismatch': 1, 'payload-hash-mismatch': 1 })
    expect(a.verifier.calls()).toBe(0)
  })

  it('fetches an unknown origin key from the forwarder, accepts it only if it hashes to the origin, then delivers', () => {
    const [a, b, origin, stranger] = [makeNode(1), makeNode(2), makeNode(3), makeNode(4)]
    connect(a, [b])
    const msg = origin.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2 } }, 0, out)
    expect(sends(out)).toEqual([{ to: b.id, msg: { type: 'key-request', origins: [origin.id] } }])
    expect(out.some((o) => o.type === 'schedule' && o.timer.type === 'key-timeout')).toBe(true)
    const wrong: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'key-response', keys: [stranger.publicKey] } }, 1, wrong)
    expect(emitted(wrong, 'message')).toHaveLength(0)
    expect(a.core.drops['unsolicited-key']).toBe(1)
    expect(a.core.keys.get(stranger.id)).toBeUndefined()
    const right: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'key-response', keys: [origin.publicKey] } }, 2, right)
    expect(emitted(right, 'message').map((e) => e.delivery.origin)).toEqual([origin.id])
  })

  it('answers a key request with the keys it knows', () => {
    const [a, b] = [makeNode(1), makeNode(2)]
    connect(a, [b])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { type: 'key-request', origins: [a.id, makeNode(9).id] } }, 0, out)
    expect(sends(out)).toEqual([{ to: b.id, msg: { type: 'key-response', keys: [a.publicKey] } }])
  })

  it('drops parked messages when the key never arrives', () => {
    const [a, b, origin] = [makeNode(1), makeNode(2), makeNode(3)]
    connect(a, [b])
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: origin.publisher.build(TOPIC, new Uint8Array([1]), 0) }, 0, out)
    const timer = out.find((o) => o.type === 'schedule' && o.timer.type === 'key-timeout')
    if (timer?.type !== 'schedule') throw new Error('no key timer')
    a.core.handle({ type: 'timer', timer: timer.timer }, 2_000, [])
    expect(a.core.drops['unknown-key']).toBe(1)
  })
})
