/**
 * Positive-negative counter as a delta-state CRDT (Shapiro et al., INRIA RR-7506, 2011,
 * specification 7; deltas after Almeida et al., JPDC 2018, section 6): each replica owns one pair of
 * monotonic totals, the join keeps the larger total per replica, and the value is the sum of
 * increments minus the sum of decrements. The delta of a change is the writer's own pair.
 */

export interface CounterEntry {
  readonly increments: number
  readonly decrements: number
}

export class PnCounter {
  readonly #entries = new Map<string, CounterEntry>()

  get value(): number {
    let v = 0
    for (const e of this.#entries.values()) v += e.increments - e.decrements
    return v
  }

  /** Adds `by` (negative to decrement) for `replica`; returns the delta. RangeError past 2^53. */
  add(replica: string, by: number): PnCounter {
    if (!Number.isSafeInteger(by)) throw new RangeError(`PnCounter.add: by must be a safe integer, got ${by}`)
    const e = this.#entries.get(replica) ?? { increments: 0, decrements: 0 }
    const next = by >= 0 ? { increments: e.increments + by, decrements: e.decrements } : { increments: e.increments, decrements: e.decrements - by }
    if (!Number.isSafeInteger(next.increments) || !Number.isSafeInteger(next.decrements)) throw new RangeError('PnCounter.add: total would exceed 2^53')
    const delta = new PnCounter()
    delta.#entries.set(replica, next)
    this.merge(delta)
    return delta
  }

  merge(other: PnCounter): void {
    for (const [r, e] of other.#entries) {
      const mine = this.#entries.get(r)
      if (mine === undefined) this.#entries.set(r, e)
      else this.#entries.set(r, { increments: Math.max(mine.increments, e.increments), decrements: Math.max(mine.decrements, e.decrements) })
    }
  }

  entries(): Array<[string, CounterEntry]> {
    return [...this.#entries]
  }

  clone(): PnCounter {
    return PnCounter.fromEntries(this.#entries)
  }

  equals(other: PnCounter): boolean {
    if (this.#entries.size !== other.#entries.size) return false
    for (const [r, e] of this.#entries) {
      const o = other.#entries.get(r)
      if (o === undefined || o.increments !== e.increments || o.decrements !== e.decrements) return false
    }
    return true
  }

  static fromEntries(entries: Iterable<readonly [string, CounterEntry]>): PnCounter {
    const c = new PnCounter()
    const tmp = new PnCounter()
    for (const [r, e] of entries) {
      tmp.#entries.clear()
      tmp.#entries.set(r, e)
      c.merge(tmp)
    }
    return c
  }
}
