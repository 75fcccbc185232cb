/**
 * Dots and the compact causal context of delta-state CRDTs (Almeida, Shoker, Baquero, "Delta State
 * Replicated Data Types", JPDC 2018, section 5.1): a version vector of contiguous counters per
 * replica plus a "dot cloud" of the dots seen beyond them. Replica ids are PeerIds in lower-case hex,
 * so string order equals byte order and ties break the same way on every build.
 */

/** A unique event: the `counter`-th event created by replica `replica` (hex PeerId), counters from 1. */
export interface Dot {
  readonly replica: string
  readonly counter: number
}

export const dotKey = (d: Dot): string => `${d.replica}:${d.counter}`

export function parseDotKey(key: string): Dot {
  const at = key.lastIndexOf(':')
  return { replica: key.slice(0, at), counter: Number(key.slice(at + 1)) }
}

export class CausalContext {
  /** Per replica: every counter in 1..n has been seen. */
  readonly #contiguous = new Map<string, number>()
  /** Dots seen beyond the contiguous prefix (keys from `dotKey`). */
  readonly #cloud = new Set<string>()

  contains(dot: Dot): boolean {
    return dot.counter <= (this.#contiguous.get(dot.replica) ?? 0) || this.#cloud.has(dotKey(dot))
  }

  /** The next dot of `replica`: one past every counter of it seen so far. */
  next(replica: string): Dot {
    let max = this.#contiguous.get(replica) ?? 0
    for (const key of this.#cloud) {
      const d = parseDotKey(key)
      if (d.replica === replica && d.counter > max) max = d.counter
    }
    return { replica, counter: max + 1 }
  }

  add(dot: Dot): void {
    if (this.contains(dot)) return
    if (dot.counter === (this.#contiguous.get(dot.replica) ?? 0) + 1) {
      this.#contiguous.set(dot.replica, dot.counter)
      this.#absorb(dot.replica)
    } else {
      this.#cloud.add(dotKey(dot))
    }
  }

  merge(other: CausalContext): void {
    for (const [replica, n] of other.#contiguous) {
      if (n > (this.#contiguous.get(replica) ?? 0)) this.#contiguous.set(replica, n)
    }
    for (const key of other.#cloud) if (!this.contains(parseDotKey(key))) this.#cloud.add(key)
    this.#compact()
  }

  /** True when every dot this context may hold comes from the cloud (the shape of a mutator's delta). */
  get hasOnlyCloud(): boolean {
    return this.#contiguous.size === 0
  }

  /** Every dot of the cloud, and the contiguous prefixes as [replica, n] pairs. */
  contiguous(): ReadonlyMap<string, number> {
    return this.#contiguous
  }

  cloud(): Dot[] {
    return [...this.#cloud].map(parseDotKey)
  }

  clone(): CausalContext {
    const c = new CausalContext()
    for (const [r, n] of this.#contiguous) c.#contiguous.set(r, n)
    for (const k of this.#cloud) c.#cloud.add(k)
    return c
  }

  /** A context holding exactly these dots (the context of a delta). */
  static of(dots: Iterable<Dot>, contiguous: Iterable<readonly [string, number]> = []): CausalContext {
    const c = new CausalContext()
    for (const [r, n] of contiguous) if (n > 0) c.#contiguous.set(r, Math.max(n, c.#contiguous.get(r) ?? 0))
    for (const d of dots) if (!c.contains(d)) c.#cloud.add(dotKey(d))
    c.#compact()
    return c
  }

  /** Canonical comparison: same set of dots. */
  equals(other: CausalContext): boolean {
    const a = this.clone()
    const b = other.clone()
    a.#compact()
    b.#compact()
    if (a.#contiguous.size !== b.#contiguous.size || a.#cloud.size !== b.#cloud.size) return false
    for (const [r, n] of a.#contiguous) if (b.#contiguous.get(r) !== n) return false
    for (const k of a.#cloud) if (!b.#cloud.has(k)) return false
    return true
  }

  /** Moves cloud dots that extend a contiguous prefix into it, so the cloud stays small. */
  #compact(): void {
    if (this.#cloud.size === 0) return
    const touched = new Set<string>()
    for (const key of this.#cloud) {
      const d = parseDotKey(key)
      if (d.counter <= (this.#contiguous.get(d.replica) ?? 0)) this.#cloud.delete(key)
      else touched.add(d.replica)
    }
    for (const replica of touched) this.#absorb(replica)
  }

  #absorb(replica: string): void {
    let n = this.#contiguous.get(replica) ?? 0
    while (this.#cloud.delete(`${replica}:${n + 1}`)) n++
    if (n > 0) this.#contiguous.set(replica, n)
  }
}
