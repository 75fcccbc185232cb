/**
 * Indexed peer sets for the HyParView active and passive views (DSN 2007 section 4.1): O(1) add,
 * remove, lookup and uniform random choice through an injected Rng. Iteration order depends only
 * on the sequence of operations, so a seeded run is reproducible.
 */
import type { PeerId, Rng } from '@saorsa-gossip/types'

export class PeerSet<V> {
  readonly #keys: string[] = []
  readonly #values: V[] = []
  readonly #ids: PeerId[] = []
  readonly #index = new Map<string, number>()

  get size(): number {
    return this.#keys.length
  }

  has(id: PeerId): boolean {
    return this.#index.has(id.toHex())
  }

  get(id: PeerId): V | undefined {
    const i = this.#index.get(id.toHex())
    return i === undefined ? undefined : this.#values[i]
  }

  /** Inserts or replaces; returns true when the id was new. */
  set(id: PeerId, value: V): boolean {
    const key = id.toHex()
    const i = this.#index.get(key)
    if (i !== undefined) {
      this.#values[i] = value
      return false
    }
    this.#index.set(key, this.#keys.length)
    this.#keys.push(key)
    this.#values.push(value)
    this.#ids.push(id)
    return true
  }

  /** Removes by swapping the last entry into the hole; returns the removed value. */
  delete(id: PeerId): V | undefined {
    const key = id.toHex()
    const i = this.#index.get(key)
    if (i === undefined) return undefined
    const value = this.#values[i]!
    const last = this.#keys.length - 1
    if (i !== last) {
      this.#keys[i] = this.#keys[last]!
      this.#values[i] = this.#values[last]!
      this.#ids[i] = this.#ids[last]!
      this.#index.set(this.#keys[i]!, i)
    }
    this.#keys.pop()
    this.#values.pop()
    this.#ids.pop()
    this.#index.delete(key)
    return value
  }

  ids(): readonly PeerId[] {
    return this.#ids
  }

  values(): readonly V[] {
    return this.#values
  }

  /** A uniformly random id not rejected by `exclude`, or undefined. */
  random(rng: Rng, exclude?: (id: PeerId) => boolean): PeerId | undefined {
    const n = this.#ids.length
    if (n === 0) return undefined
    if (exclude === undefined) return this.#ids[rng.nextInt(n)]
    // Start at a random offset and scan: uniform over the allowed ids when few are excluded.
    const start = rng.nextInt(n)
    for (let k = 0; k < n; k++) {
      const id = this.#ids[(start + k) % n]!
      if (!exclude(id)) return id
    }
    return undefined
  }

  /** Up to `count` distinct random values (partial Fisher-Yates on a copy of the index). */
  sample(rng: Rng, count: number): V[] {
    const order = this.#values.slice()
    const k = Math.min(count, order.length)
    for (let i = 0; i < k; i++) {
      const j = i + rng.nextInt(order.length - i)
      const tmp = order[i]!
      order[i] = order[j]!
      order[j] = tmp
    }
    return order.slice(0, k)
  }
}
