/**
 * Bounded, time-limited caches for the Plumtree core (iroh-gossip `proto/util.rs` TimeBoundCache):
 * entries live in insertion order, which is also arrival order, so expiry only ever inspects the
 * oldest entries, and a size cap evicts the oldest first. Nothing here ever grows without bound.
 */

/** Maps string keys to values that expire `ttlMs` after insertion, keeping at most `capacity`. */
export class TimedMap<V> {
  readonly #ttlMs: number
  readonly #capacity: number
  readonly #entries = new Map<string, { value: V; expiresMs: number }>()

  constructor(ttlMs: number, capacity: number) {
    this.#ttlMs = ttlMs
    this.#capacity = capacity
  }

  get size(): number {
    return this.#entries.size
  }

  set(key: string, value: V, nowMs: number): void {
    this.expire(nowMs)
    this.#entries.delete(key)
    this.#entries.set(key, { value, expiresMs: nowMs + this.#ttlMs })
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.#entries.delete(oldest.value)
    }
  }

  get(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.expiresMs <= nowMs) return undefined
    return entry.value
  }

  has(key: string, nowMs: number): boolean {
    return this.get(key, nowMs) !== undefined
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  /** Drops expired entries from the old end. */
  expire(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresMs > nowMs) break
      this.#entries.delete(key)
    }
  }

  /** Live values, oldest first. */
  *values(nowMs: number): IterableIterator<V> {
    for (const entry of this.#entries.values()) if (entry.expiresMs > nowMs) yield entry.value
  }
}

/** A map that forgets its least recently inserted key beyond `capacity`. */
export class BoundedMap<V> {
  readonly #capacity: number
  readonly #entries = new Map<string, V>()

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: string): V | undefined {
    return this.#entries.get(key)
  }

  has(key: string): boolean {
    return this.#entries.has(key)
  }

  set(key: string, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
  }

  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys()
  }

  values(): IterableIterator<V> {
    return this.#entries.values()
  }
}
