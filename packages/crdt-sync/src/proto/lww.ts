/**
 * Last-writer-wins register and map of registers as delta-state CRDTs (Shapiro, Preguica, Baquero,
 * Zawirski, "A comprehensive study of CRDTs", INRIA RR-7506, 2011, specification 8; deltas after
 * Almeida et al., JPDC 2018): the register with the greatest hybrid-logical-clock stamp wins, a
 * deletion is a register holding no value, and a map merges key by key. The delta of a write is the
 * written register alone.
 */
import { compareStamps, type HlcStamp } from './hlc.ts'

/** Values a register holds: CBOR scalars and byte strings. */
export type LwwValue = string | number | boolean | null | Uint8Array

/** A register: `value` absent means deleted (the map's tombstone). */
export interface LwwRegister {
  readonly stamp: HlcStamp
  readonly value?: LwwValue
}

/** The winner of two registers; `b` on an exact tie, which only the same write can produce. */
export function joinRegisters(a: LwwRegister | undefined, b: LwwRegister): LwwRegister {
  return a === undefined || compareStamps(a.stamp, b.stamp) < 0 ? b : a
}

export class LwwMap {
  readonly #registers = new Map<string, LwwRegister>()

  get(key: string): LwwValue | undefined {
    return this.#registers.get(key)?.value
  }

  has(key: string): boolean {
    return this.#registers.get(key)?.value !== undefined
  }

  /** Live keys in sorted order. */
  keys(): string[] {
    return [...this.#registers].filter(([, r]) => r.value !== undefined).map(([k]) => k).sort()
  }

  /** Writes `value` (or deletes, when undefined) with `stamp`; returns the one-entry delta. */
  set(key: string, stamp: HlcStamp, value: LwwValue | undefined): LwwMap {
    const delta = new LwwMap()
    delta.#registers.set(key, value === undefined ? { stamp } : { stamp, value })
    this.merge(delta)
    return delta
  }

  merge(other: LwwMap): void {
    for (const [key, reg] of other.#registers) this.#registers.set(key, joinRegisters(this.#registers.get(key), reg))
  }

  /** Every register, tombstones included (for encoding and for observing stamps). */
  registers(): Array<[string, LwwRegister]> {
    return [...this.#registers]
  }

  clone(): LwwMap {
    return LwwMap.fromRegisters(this.#registers)
  }

  equals(other: LwwMap): boolean {
    if (this.#registers.size !== other.#registers.size) return false
    for (const [k, r] of this.#registers) {
      const o = other.#registers.get(k)
      if (o === undefined || compareStamps(o.stamp, r.stamp) !== 0 || !valuesEqual(o.value, r.value)) return false
    }
    return true
  }

  static fromRegisters(entries: Iterable<readonly [string, LwwRegister]>): LwwMap {
    const m = new LwwMap()
    for (const [k, r] of entries) m.#registers.set(k, joinRegisters(m.#registers.get(k), r))
    return m
  }
}

export function valuesEqual(a: LwwValue | undefined, b: LwwValue | undefined): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i])
  return a === b
}
