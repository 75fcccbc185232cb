/**
 * The bounded shard store (SPEC.md section 11.4): the newest valid summary per (target, provider),
 * replay floors that outlive a replaced or withdrawn summary, a per-provider quota and token-bucket
 * publish rate, and cursors for re-queries (libp2p rendezvous's cookie): every stored summary gets
 * an order number, and a query after cursor c returns only summaries stored after c.
 */
import { toHex } from '@saorsa-gossip/types'
import type { Capability, SignedSummary } from '../codec.ts'

export interface StoreLimits {
  /** Entries (summaries and withdrawal floors) held at most. */
  readonly maxEntries: number
  /** Entries one provider may hold at most. */
  readonly maxPerProvider: number
  /** Token bucket per provider: burst size and refill per second. */
  readonly rateBurst: number
  readonly ratePerSecond: number
  /** How long a withdrawal of an unknown summary keeps its floor. */
  readonly withdrawalFloorMs: number
}

/** `duplicate`: the same sequence number as stored; `stale`: an older one (both refused while the floor holds). */
export type OfferResult = 'stored' | 'duplicate' | 'stale' | 'rate' | 'provider-quota' | 'full'

export interface StoredEntry {
  readonly signed: SignedSummary
  readonly order: number
  readonly withdrawn: boolean
  /** Until then an equal or older sequence number for this key is a replay. */
  readonly floorUntilMs: number
}

interface Bucket { tokens: number; atMs: number }

export interface QueryPage { readonly entries: StoredEntry[]; readonly cursor: number; readonly more: boolean }

const keyOf = (signed: SignedSummary): string => toHex(signed.summary.target) + signed.summary.provider.toHex()

export class ShardStore {
  readonly #limits: StoreLimits
  readonly #entries = new Map<string, StoredEntry>()
  readonly #byTarget = new Map<string, Set<string>>()
  readonly #perProvider = new Map<string, number>()
  readonly #buckets = new Map<string, Bucket>()
  #lastOrder = 0
  #version = 0
  /** Entries stored from a seek's answer whose publication has not yet reached us on the topic. */
  readonly #fromAnswers = new WeakSet<StoredEntry>()

  constructor(limits: StoreLimits) {
    this.#limits = limits
  }

  get size(): number {
    return this.#entries.size
  }

  /** Changes with every store or removal, so a snapshot is written only when something changed. */
  get version(): number {
    return this.#version
  }

  /** Stores a validated summary unless it is a replay, over its provider's rate or quota, or the store is full of longer-lived entries. */
  offer(signed: SignedSummary, nowMs: number, withdrawal: boolean, fromAnswer = false): OfferResult {
    const key = keyOf(signed)
    const { summary } = signed
    const existing = this.#entries.get(key)
    if (existing !== undefined && summary.seq <= existing.signed.summary.seq && nowMs < existing.floorUntilMs) {
      return summary.seq === existing.signed.summary.seq ? 'duplicate' : 'stale'
    }
    const provider = summary.provider.toHex()
    if (!this.#take(provider, nowMs)) return 'rate'
    if (existing === undefined) {
      if ((this.#perProvider.get(provider) ?? 0) >= this.#limits.maxPerProvider) return 'provider-quota'
      if (this.#entries.size >= this.#limits.maxEntries && !this.#evictFor(summary.expiresAtMs, nowMs)) return 'full'
    }
    const previousFloor = existing === undefined ? 0 : Math.max(existing.floorUntilMs, existing.signed.summary.expiresAtMs)
    const floorUntilMs = withdrawal
      ? Math.max(previousFloor, nowMs + this.#limits.withdrawalFloorMs)
      : Math.max(previousFloor, summary.expiresAtMs)
    // Orders never go backwards, even across a restart: a cursor handed out before it still means "after this".
    this.#lastOrder = Math.max(this.#lastOrder + 1, nowMs)
    if (existing === undefined) this.#index(key, signed)
    const entry: StoredEntry = { signed, order: this.#lastOrder, withdrawn: withdrawal, floorUntilMs }
    this.#entries.set(key, entry)
    if (fromAnswer) this.#fromAnswers.add(entry)
    this.#version++
    return 'stored'
  }

  /**
   * True once for a summary held at this sequence number from a seek's answer: its publication on
   * the topic is then a first sighting there, not a replay.
   */
  firstOnTopic(signed: SignedSummary): boolean {
    const entry = this.#entries.get(keyOf(signed))
    if (entry === undefined || entry.signed.summary.seq !== signed.summary.seq || !this.#fromAnswers.has(entry)) return false
    this.#fromAnswers.delete(entry)
    return true
  }

  /** Live (unexpired, not withdrawn) summaries for `target` stored after `cursor`, oldest first. */
  query(target: Uint8Array, nowMs: number, options: { capability?: Capability; cursor?: number; limit: number }): QueryPage {
    const after = options.cursor ?? 0
    const live = this.live(target, nowMs, options.capability).filter((e) => e.order > after).sort((a, b) => a.order - b.order)
    const entries = live.slice(0, options.limit)
    const cursor = entries.length === 0 ? after : entries[entries.length - 1]!.order
    return { entries, cursor, more: live.length > entries.length }
  }

  live(target: Uint8Array, nowMs: number, capability?: Capability): StoredEntry[] {
    const out: StoredEntry[] = []
    for (const key of this.#byTarget.get(toHex(target)) ?? []) {
      const entry = this.#entries.get(key)!
      if (entry.withdrawn || entry.signed.summary.expiresAtMs <= nowMs) continue
      if (capability !== undefined && !entry.signed.summary.capabilities.includes(capability)) continue
      out.push(entry)
    }
    return out
  }

  /** Every live summary, for a snapshot on disk. */
  *liveEntries(nowMs: number): Iterable<StoredEntry> {
    for (const entry of this.#entries.values()) {
      if (!entry.withdrawn && entry.signed.summary.expiresAtMs > nowMs) yield entry
    }
  }

  /** Drops every entry for the targets `inShard` selects (summaries, withdrawals and floors); returns how many. */
  forget(inShard: (target: Uint8Array) => boolean): number {
    let removed = 0
    for (const [key, entry] of this.#entries) {
      if (!inShard(entry.signed.summary.target)) continue
      this.#remove(key, entry)
      removed++
    }
    return removed
  }

  /** Drops entries whose summary expired and whose replay floor passed; returns how many. */
  prune(nowMs: number): number {
    let removed = 0
    for (const [key, entry] of this.#entries) {
      if (entry.floorUntilMs <= nowMs && (entry.withdrawn || entry.signed.summary.expiresAtMs <= nowMs)) {
        this.#remove(key, entry)
        removed++
      }
    }
    for (const [provider, bucket] of this.#buckets) {
      if (this.#refill(bucket, nowMs) >= this.#limits.rateBurst) this.#buckets.delete(provider)
    }
    return removed
  }

  #take(provider: string, nowMs: number): boolean {
    let bucket = this.#buckets.get(provider)
    if (bucket === undefined) {
      // Buckets are only made for authenticated providers, but still bounded: the oldest goes first.
      if (this.#buckets.size >= 2 * this.#limits.maxEntries) this.#buckets.delete(this.#buckets.keys().next().value!)
      bucket = { tokens: this.#limits.rateBurst, atMs: nowMs }
      this.#buckets.set(provider, bucket)
    }
    bucket.tokens = this.#refill(bucket, nowMs)
    bucket.atMs = nowMs
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  #refill(bucket: Bucket, nowMs: number): number {
    const elapsed = Math.max(0, nowMs - bucket.atMs)
    return Math.min(this.#limits.rateBurst, bucket.tokens + (elapsed / 1000) * this.#limits.ratePerSecond)
  }

  /** Frees one slot: the entry that stops mattering first (expired or floor-only entries go before live ones). */
  #evictFor(expiresAtMs: number, nowMs: number): boolean {
    let victim: [string, StoredEntry] | undefined
    let victimEnd = Infinity
    for (const item of this.#entries) {
      const entry = item[1]
      const live = !entry.withdrawn && entry.signed.summary.expiresAtMs > nowMs
      const end = live ? entry.signed.summary.expiresAtMs : nowMs - 1
      if (end < victimEnd) {
        victim = item
        victimEnd = end
      }
    }
    if (victim === undefined || victimEnd >= expiresAtMs) return false
    this.#remove(victim[0], victim[1])
    return true
  }

  #index(key: string, signed: SignedSummary): void {
    const target = toHex(signed.summary.target)
    let keys = this.#byTarget.get(target)
    if (keys === undefined) this.#byTarget.set(target, (keys = new Set()))
    keys.add(key)
    const provider = signed.summary.provider.toHex()
    this.#perProvider.set(provider, (this.#perProvider.get(provider) ?? 0) + 1)
  }

  #remove(key: string, entry: StoredEntry): void {
    this.#entries.delete(key)
    this.#version++
    const target = toHex(entry.signed.summary.target)
    const keys = this.#byTarget.get(target)
    keys?.delete(key)
    if (keys?.size === 0) this.#byTarget.delete(target)
    const provider = entry.signed.summary.provider.toHex()
    const count = (this.#perProvider.get(provider) ?? 1) - 1
    if (count <= 0) this.#perProvider.delete(provider)
    else this.#perProvider.set(provider, count)
  }
}
