/**
 * The HyParView passive view (DSN 2007 section 4.4) with eclipse resistance: every entry remembers
 * the peer that told us about it, no source may hold more than a fixed share of the view, and one
 * SHUFFLE or SHUFFLE_REPLY may add only a bounded number of entries. Shuffle input replaces entries
 * once the view holds `passiveViewSize`; other insertions grow it up to `passiveViewMax`.
 */
import type { PeerId, Rng } from '@saorsa-gossip/types'
import type { HyParViewConfig } from './hyparview-config.ts'
import type { PeerInfo } from './hyparview-messages.ts'
import { PeerSet } from './views.ts'

interface PassiveEntry {
  readonly info: PeerInfo
  readonly source: string
}

export type PassiveAddResult = 'added' | 'known' | 'source-cap'

export class PassiveView {
  readonly #entries = new PeerSet<PassiveEntry>()
  readonly #perSource = new Map<string, number>()
  readonly #config: HyParViewConfig
  readonly #rng: Rng

  constructor(config: HyParViewConfig, rng: Rng) {
    this.#config = config
    this.#rng = rng
  }

  get size(): number {
    return this.#entries.size
  }

  has(id: PeerId): boolean {
    return this.#entries.has(id)
  }

  info(id: PeerId): PeerInfo | undefined {
    return this.#entries.get(id)?.info
  }

  ids(): readonly PeerId[] {
    return this.#entries.ids()
  }

  delete(id: PeerId): boolean {
    const entry = this.#entries.delete(id)
    if (entry === undefined) return false
    const count = (this.#perSource.get(entry.source) ?? 1) - 1
    if (count <= 0) this.#perSource.delete(entry.source)
    else this.#perSource.set(entry.source, count)
    return true
  }

  /** Up to `count` random entries. */
  sample(count: number): PeerInfo[] {
    return this.#entries.sample(this.#rng, count).map((e) => e.info)
  }

  random(exclude?: (id: PeerId) => boolean): PeerId | undefined {
    return this.#entries.random(this.#rng, exclude)
  }

  /**
   * Adds `info` learned from `source` (a peer's hex id). When the view is at `limit`, an entry
   * from `preferEvict` is replaced if one is present, otherwise a random one.
   */
  add(info: PeerInfo, source: string, limit = this.#config.passiveViewMax, preferEvict?: ReadonlySet<string>): PassiveAddResult {
    if (this.#entries.has(info.id)) return 'known'
    if ((this.#perSource.get(source) ?? 0) >= this.#config.maxPassiveEntriesPerSource) return 'source-cap'
    // Replace one entry at `limit` (shuffles keep the view near its target size); never exceed the hard cap.
    if (this.#entries.size >= limit) this.#evict(preferEvict)
    while (this.#entries.size >= this.#config.passiveViewMax) this.#evict(preferEvict)
    this.#entries.set(info.id, { info, source })
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1)
    return 'added'
  }

  #evict(preferEvict: ReadonlySet<string> | undefined): void {
    if (preferEvict !== undefined) {
      for (const id of this.#entries.ids()) {
        if (preferEvict.has(id.toHex())) {
          this.delete(id)
          return
        }
      }
    }
    const victim = this.#entries.random(this.#rng)
    if (victim !== undefined) this.delete(victim)
  }
}
