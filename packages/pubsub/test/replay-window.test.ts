import { describe, expect, it } from 'vitest'
import { ReplayWindows } from '../src/proto/replay-window.ts'
import { TOPIC, connect, emitted, makeNode } from './helpers.ts'
import type { PubSubOutput } from '../src/proto/pubsub.ts'

describe('ReplayWindows (RFC 4303 section 3.4.3)', () => {
  it('accepts each sequence number once, in any order inside the window, and nothing below it', () => {
    const w = new ReplayWindows(64, 10)
    expect(w.isReplay('o', 100)).toBe(false)
    w.mark('o', 100)
    expect(w.isReplay('o', 100)).toBe(true)
    // Out of order, inside the window: fresh once.
    expect(w.isReplay('o', 90)).toBe(false)
    w.mark('o', 90)
    expect(w.isReplay('o', 90)).toBe(true)
    // The window holds 100 and the 63 numbers below it.
    expect(w.isReplay('o', 36)).toBe(true)
    expect(w.isReplay('o', 37)).toBe(false)
    // Sliding forward clears the bits it passes over, keeps those still inside.
    w.mark('o', 130)
    expect(w.isReplay('o', 100)).toBe(true)
    expect(w.isReplay('o', 120)).toBe(false)
    expect(w.isReplay('o', 66)).toBe(true)
    w.mark('o', 1_000)
    expect(w.highest('o')).toBe(1_000)
    expect(w.isReplay('o', 990)).toBe(false)
    expect(w.isReplay('o', 130)).toBe(true)
  })

  it('keeps windows for at most `capacity` origins, forgetting the least recently active', () => {
    const w = new ReplayWindows(32, 2)
    w.mark('a', 1)
    w.mark('b', 1)
    w.mark('a', 2)
    w.mark('c', 1)
    expect(w.highest('b')).toBeUndefined()
    expect(w.isReplay('a', 1)).toBe(true)
  })

  it('rejects sizes that are not positive multiples of 32', () => {
    for (const size of [0, 31, 33, -32, 1.5]) expect(() => new ReplayWindows(size, 1)).toThrow(RangeError)
  })
})

describe('PubSubCore anti-replay', () => {
  it('rejects a recorded, still-fresh message after the seen cache evicted its id, without verifying it', () => {
    // A seen cache of 100 ids under 300 messages: ids are evicted long before they expire.
    const a = makeNode(1, { seenSize: 100, publishBurst: 1_000 })
    const b = makeNode(2)
    connect(a, [b])
    const recorded = Array.from({ length: 300 }, (_, i) => b.publisher.build(TOPIC, new Uint8Array([i & 0xff, i >> 8]), 0))
    let delivered = 0
    for (const msg of recorded) {
      const out: PubSubOutput[] = []
      a.core.handle({ type: 'recv', from: b.id, msg }, 1, out)
      delivered += emitted(out, 'message').length
    }
    expect(delivered).toBe(300)
    const calls = a.verifier.calls()
    let again = 0
    for (const msg of recorded.slice(0, 150)) {
      const out: PubSubOutput[] = []
      a.core.handle({ type: 'recv', from: b.id, msg }, 2, out)
      again += emitted(out, 'message').length
    }
    expect(again).toBe(0)
    expect(a.core.drops.replayed).toBeGreaterThanOrEqual(100)
    expect(a.verifier.calls()).toBe(calls)
  })
})
