/**
 * The advert cache: at most `capacity` verified adverts, one per publisher, ranked by `advertScore`.
 * Expired adverts are evicted on every change; when full, the lowest-scored entry makes room only
 * for a better one, so a flood of fresh low-value adverts cannot push out proven coordinators.
 * Pure data structure: wall time comes in as an argument.
 */
import type { PeerId } from '@saorsa-gossip/types'
import type { CoordinatorAdvert, Role, SignedAdvert } from '../advert.ts'
import { advertScore, DEFAULT_SCORE_WEIGHTS, type ScoreWeights } from './score.ts'

export interface CachedAdvert {
  readonly advert: CoordinatorAdvert
  /** The signed envelope, as received: answered to FOAF queries and persisted as is. */
  readonly bytes: Uint8Array
  /** Our wall clock when accepted. */
  readonly acceptedAtMs: number
  dialSuccesses: number
  dialFailures: number
}

export type InsertOutcome = 'added' | 'replaced' | 'stale' | 'expired' | 'not-better'

/** Dial counters are capped so a long-lived entry still reacts to change (and fits the file format). */
export const MAX_DIAL_COUNT = 1_000

export class AdvertCache {
  readonly capacity: number
  readonly weights: ScoreWeights
  readonly #entries = new Map<string, CachedAdvert>()

  constructor(options: { capacity: number; weights?: ScoreWeights }) {
    if (!Number.isSafeInteger(options.capacity) || options.capacity < 1) throw new RangeError('capacity: must be a positive integer')
    this.capacity = options.capacity
    this.weights = options.weights ?? DEFAULT_SCORE_WEIGHTS
  }

  get size(): number {
    return this.#entries.size
  }

  get(peerId: PeerId): CachedAdvert | undefined {
    return this.#entries.get(peerId.toHex())
  }

  /**
   * Adds a verified advert (run validateAdvert first). Keeps dial history when a publisher's advert is
   * replaced by a newer one, since it is the same peer.
   */
  insert(signed: SignedAdvert, wallMs: number, history?: { dialSuccesses: number; dialFailures: number }): InsertOutcome {
    this.prune(wallMs)
    const a = signed.advert
    if (a.notAfterMs < wallMs) return 'expired'
    const key = a.peerId.toHex()
    const previous = this.#entries.get(key)
    if (previous !== undefined && previous.advert.sequence >= a.sequence) return 'stale'
    const entry: CachedAdvert = {
      advert: a,
      bytes: signed.bytes,
      acceptedAtMs: wallMs,
      dialSuccesses: Math.min(MAX_DIAL_COUNT, history?.dialSuccesses ?? previous?.dialSuccesses ?? 0),
      dialFailures: Math.min(MAX_DIAL_COUNT, history?.dialFailures ?? previous?.dialFailures ?? 0),
    }
    if (previous === undefined && this.#entries.size >= this.capacity) {
      const worst = this.#worst(wallMs)
      if (worst === undefined || this.score(entry, wallMs) <= this.score(worst, wallMs)) return 'not-better'
      this.#entries.delete(worst.advert.peerId.toHex())
    }
    this.#entries.set(key, entry)
    return previous === undefined ? 'added' : 'replaced'
  }

  remove(peerId: PeerId): boolean {
    return this.#entries.delete(peerId.toHex())
  }

  /** Records the outcome of dialling a cached coordinator. */
  recordDial(peerId: PeerId, succeeded: boolean): void {
    const entry = this.#entries.get(peerId.toHex())
    if (entry === undefined) return
    if (succeeded) entry.dialSuccesses = Math.min(MAX_DIAL_COUNT, entry.dialSuccesses + 1)
    else entry.dialFailures = Math.min(MAX_DIAL_COUNT, entry.dialFailures + 1)
  }

  /** Drops expired adverts; returns how many. */
  prune(wallMs: number): number {
    let removed = 0
    for (const [key, entry] of this.#entries) {
      if (entry.advert.notAfterMs < wallMs) {
        this.#entries.delete(key)
        removed++
      }
    }
    return removed
  }

  score(entry: CachedAdvert, wallMs: number): number {
    return advertScore({ ...entry.advert, dialSuccesses: entry.dialSuccesses, dialFailures: entry.dialFailures }, wallMs, this.weights)
  }

  /** Live entries, best first (ties by PeerId so the order is deterministic), optionally with a role. */
  best(wallMs: number, options: { role?: Role; limit?: number } = {}): CachedAdvert[] {
    const ranked: Array<{ entry: CachedAdvert; score: number }> = []
    for (const entry of this.#entries.values()) {
      if (entry.advert.notAfterMs < wallMs) continue
      if (options.role !== undefined && !entry.advert.roles.includes(options.role)) continue
      ranked.push({ entry, score: this.score(entry, wallMs) })
    }
    ranked.sort((x, y) => y.score - x.score || x.entry.advert.peerId.compare(y.entry.advert.peerId))
    return ranked.slice(0, options.limit ?? ranked.length).map((r) => r.entry)
  }

  /** Every entry, in insertion order (for persistence). */
  entries(): CachedAdvert[] {
    return [...this.#entries.values()]
  }

  #worst(wallMs: number): CachedAdvert | undefined {
    let worst: CachedAdvert | undefined
    let worstScore = Infinity
    for (const entry of this.#entries.values()) {
      const s = this.score(entry, wallMs)
      if (s < worstScore || (s === worstScore && worst !== undefined && entry.advert.peerId.compare(worst.advert.peerId) > 0)) {
        worst = entry
        worstScore = s
      }
    }
    return worst
  }
}
