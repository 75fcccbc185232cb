import { describe, expect, it } from 'vitest'
import { PeerId } from '@saorsa-gossip/types'
import type { ProviderSummary, SignedSummary } from '../src/codec.ts'
import { ShardStore, type StoreLimits } from '../src/proto/store.ts'
import { T0 } from './helpers.ts'

const LIMITS: StoreLimits = { maxEntries: 3, maxPerProvider: 2, rateBurst: 2, ratePerSecond: 1, withdrawalFloorMs: 3_600_000 }
const provider = (n: number) => PeerId.fromBytes(new Uint8Array(32).fill(n))
const target = (n: number) => new Uint8Array(32).fill(0x80 + n)

/** The store never looks at signatures or bodies: a summary value is enough. */
function signed(p: number, t: number, seq: number, expiresAtMs = T0 + 3_600_000, issuedAtMs = T0): SignedSummary {
  const summary: ProviderSummary = {
    version: 1, target: target(t), provider: provider(p), publicKey: new Uint8Array(0), capabilities: ['DOC'], addressHints: [],
    issuedAtMs, expiresAtMs, seq,
  }
  return { summary, body: new Uint8Array(0), sig: new Uint8Array(0), bytes: new Uint8Array([p, t, seq & 0xff]) }
}

describe('shard store', () => {
  it('keeps the newest summary per (target, provider) and refuses equal or older sequence numbers', () => {
    const store = new ShardStore(LIMITS)
    expect(store.offer(signed(1, 1, 5), T0, false)).toBe('stored')
    expect(store.offer(signed(1, 1, 5), T0 + 1_000, false)).toBe('duplicate')
    expect(store.offer(signed(1, 1, 4), T0 + 2_000, false)).toBe('stale')
    expect(store.offer(signed(1, 1, 6), T0 + 3_000, false)).toBe('stored')
    expect(store.live(target(1), T0 + 3_000).map((e) => e.signed.summary.seq)).toEqual([6])
  })

  it('limits a provider by a token bucket and by its quota of entries', () => {
    const store = new ShardStore({ ...LIMITS, maxEntries: 10 })
    expect(store.offer(signed(1, 1, 1), T0, false)).toBe('stored')
    expect(store.offer(signed(1, 2, 1), T0, false)).toBe('stored')
    expect(store.offer(signed(1, 3, 1), T0, false)).toBe('rate')
    expect(store.offer(signed(1, 3, 1), T0 + 1_000, false)).toBe('provider-quota')
    expect(store.offer(signed(2, 3, 1), T0 + 1_000, false)).toBe('stored')
  })

  it('when full, evicts the entry that expires first, and refuses a summary that would expire before all of them', () => {
    const store = new ShardStore({ ...LIMITS, maxPerProvider: 10, rateBurst: 10 })
    store.offer(signed(1, 1, 1, T0 + 10_000), T0, false)
    store.offer(signed(2, 1, 1, T0 + 20_000), T0, false)
    store.offer(signed(3, 1, 1, T0 + 30_000), T0, false)
    expect(store.offer(signed(4, 1, 1, T0 + 5_000), T0, false)).toBe('full')
    expect(store.offer(signed(4, 1, 1, T0 + 40_000), T0, false)).toBe('stored')
    expect(store.live(target(1), T0).map((e) => e.signed.summary.provider.bytes[0])).toEqual([2, 3, 4])
  })

  it('pages with a cursor: a re-query after the cursor returns only what was stored since', () => {
    const store = new ShardStore({ ...LIMITS, maxEntries: 10, maxPerProvider: 10, rateBurst: 10 })
    for (let p = 1; p <= 3; p++) store.offer(signed(p, 1, 1), T0, false)
    const first = store.query(target(1), T0, { limit: 2 })
    expect(first.entries).toHaveLength(2)
    expect(first.more).toBe(true)
    const second = store.query(target(1), T0, { cursor: first.cursor, limit: 2 })
    expect(second.entries.map((e) => e.signed.summary.provider.bytes[0])).toEqual([3])
    expect(second.more).toBe(false)
    expect(store.query(target(1), T0, { cursor: second.cursor, limit: 2 }).entries).toEqual([])
    store.offer(signed(4, 1, 1), T0 + 10, false)
    expect(store.query(target(1), T0 + 10, { cursor: second.cursor, limit: 8 }).entries.map((e) => e.signed.summary.provider.bytes[0])).toEqual([4])
  })

  it('a withdrawal hides the summary and keeps its replay floor until the old expiry; prune then removes it', () => {
    const store = new ShardStore(LIMITS)
    store.offer(signed(1, 1, 1, T0 + 7_200_000), T0, false)
    expect(store.offer(signed(1, 1, 2, T0 + 1_000, T0 + 1_000), T0 + 1_000, true)).toBe('stored')
    expect(store.live(target(1), T0 + 1_000)).toEqual([])
    expect(store.offer(signed(1, 1, 1, T0 + 7_200_000), T0 + 5_000_000, false)).toBe('stale')
    expect(store.prune(T0 + 7_100_000)).toBe(0)
    expect(store.prune(T0 + 7_200_000)).toBe(1)
    expect(store.size).toBe(0)
  })
})
