/**
 * What misbehaviour costs a remote (SPEC.md section 5.7): an invalid-message score per PeerId that
 * decays exponentially, a graylist of PeerIds whose score reached the limit, and of sources (IPv4
 * address or IPv6 /64) from which several graylisted PeerIds came. Pure: time is passed in.
 */

export interface PenaltyLimits {
  readonly maxInvalidScore: number
  readonly invalidScoreHalfLifeMs: number
  readonly graylistMs: number
  readonly graylistSourceAfterPeers: number
}

interface Score { value: number; atMs: number }

/** Bounds the tables: past this, expired and decayed entries are swept, then the oldest dropped. */
const MAX_TRACKED = 4096

export class Penalties {
  readonly #limits: PenaltyLimits
  readonly #scores = new Map<string, Score>()
  readonly #peers = new Map<string, number>()
  readonly #sources = new Map<string, number>()
  readonly #peersBySource = new Map<string, Set<string>>()
  graylistedPeers = 0
  graylistedSources = 0

  constructor(limits: PenaltyLimits) { this.#limits = limits }

  /** Adds `weight` to the peer's score; true when this makes the peer graylisted (the caller disconnects it). */
  add(peer: string, source: string, weight: number, nowMs: number): boolean {
    if (this.peerGraylisted(peer, nowMs)) return true
    const score = this.#scores.get(peer) ?? { value: 0, atMs: nowMs }
    score.value = this.#decayed(score, nowMs) + weight
    score.atMs = nowMs
    this.#scores.set(peer, score)
    if (score.value < this.#limits.maxInvalidScore) { this.#trim(this.#scores, nowMs); return false }
    this.#scores.delete(peer)
    this.#peers.set(peer, nowMs + this.#limits.graylistMs)
    this.graylistedPeers++
    const fromSource = this.#peersBySource.get(source) ?? new Set<string>()
    fromSource.add(peer)
    this.#peersBySource.set(source, fromSource)
    if (fromSource.size >= this.#limits.graylistSourceAfterPeers && !this.sourceGraylisted(source, nowMs)) {
      this.#sources.set(source, nowMs + this.#limits.graylistMs)
      this.#peersBySource.delete(source)
      this.graylistedSources++
    }
    this.#trim(this.#peers, nowMs)
    return true
  }

  peerGraylisted(peer: string, nowMs: number): boolean { return this.#active(this.#peers, peer, nowMs) }
  sourceGraylisted(source: string, nowMs: number): boolean { return this.#active(this.#sources, source, nowMs) }

  #active(table: Map<string, number>, key: string, nowMs: number): boolean {
    const until = table.get(key)
    if (until === undefined) return false
    if (until > nowMs) return true
    table.delete(key)
    return false
  }

  #decayed(score: Score, nowMs: number): number {
    return score.value * 0.5 ** (Math.max(0, nowMs - score.atMs) / this.#limits.invalidScoreHalfLifeMs)
  }

  #trim(table: Map<string, unknown>, nowMs: number): void {
    if (table.size <= MAX_TRACKED) return
    for (const [key, value] of table) {
      const expired = typeof value === 'number' ? value <= nowMs : this.#decayed(value as Score, nowMs) < 1
      if (expired) table.delete(key)
    }
    for (const key of table.keys()) { if (table.size <= MAX_TRACKED) break; table.delete(key) }
    if (this.#peersBySource.size > MAX_TRACKED) this.#peersBySource.clear()
  }
}
