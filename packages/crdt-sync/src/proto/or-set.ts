/**
 * Add-wins observed-remove set as a delta-state CRDT (Almeida, Shoker, Baquero, JPDC 2018, section
 * 6.1, "AWORSet"): every add creates a fresh dot, a remove only covers the dots it has observed, and
 * a join keeps a dot unless the other side's causal context has seen it and dropped it. Because a
 * removed dot stays in the causal context, a late or repeated add-delta can never bring it back
 * (the Rust reference's merge ignored this and resurrected removed elements).
 */
import { CausalContext, dotKey, parseDotKey, type Dot } from './causal-context.ts'

/** A state or a delta: elements with their live dots, and the causal context. */
export class OrSet {
  /** element -> keys of the dots that keep it alive. */
  readonly #entries = new Map<string, Set<string>>()
  /** dot key -> the element it keeps alive, so a delta's removals cost O(|delta|). */
  readonly #owner = new Map<string, string>()
  #context = new CausalContext()

  has(element: string): boolean {
    return this.#entries.has(element)
  }

  values(): string[] {
    return [...this.#entries.keys()].sort()
  }

  get size(): number {
    return this.#entries.size
  }

  /** Adds `element` on behalf of `replica`; applies the delta locally and returns it. */
  add(replica: string, element: string): OrSet {
    const dot = this.#context.next(replica)
    const delta = new OrSet()
    delta.#entries.set(element, new Set([dotKey(dot)]))
    // The delta's context also covers the element's older dots, so the add supersedes them everywhere.
    delta.#context = CausalContext.of([dot, ...this.#dotsOf(element)])
    this.merge(delta)
    return delta
  }

  /** Removes `element` (the dots observed here); returns the delta, empty if it was absent. */
  remove(element: string): OrSet {
    const delta = new OrSet()
    delta.#context = CausalContext.of(this.#dotsOf(element))
    this.merge(delta)
    return delta
  }

  /** Join: this becomes this ⊔ other. Costs O(|other|) when other is a delta made by add/remove. */
  merge(other: OrSet): void {
    if (other.#context.hasOnlyCloud) {
      // Only dots named in other's cloud can be removed here: look them up directly.
      for (const d of other.#context.cloud()) {
        const key = dotKey(d)
        const element = this.#owner.get(key)
        if (element !== undefined && other.#entries.get(element)?.has(key) !== true) this.#dropDot(element, key)
      }
    } else {
      for (const [element, dots] of [...this.#entries]) {
        for (const key of [...dots]) {
          if (other.#entries.get(element)?.has(key) !== true && other.#context.contains(parseDotKey(key))) this.#dropDot(element, key)
        }
      }
    }
    for (const [element, dots] of other.#entries) {
      for (const key of dots) {
        if (!this.#context.contains(parseDotKey(key))) {
          let mine = this.#entries.get(element)
          if (mine === undefined) this.#entries.set(element, (mine = new Set()))
          mine.add(key)
          this.#owner.set(key, element)
        }
      }
    }
    this.#context.merge(other.#context)
  }

  clone(): OrSet {
    const c = new OrSet()
    for (const [e, dots] of this.#entries) c.#entries.set(e, new Set(dots))
    for (const [k, e] of this.#owner) c.#owner.set(k, e)
    c.#context = this.#context.clone()
    return c
  }

  equals(other: OrSet): boolean {
    if (this.#entries.size !== other.#entries.size || !this.#context.equals(other.#context)) return false
    for (const [e, dots] of this.#entries) {
      const theirs = other.#entries.get(e)
      if (theirs === undefined || theirs.size !== dots.size) return false
      for (const k of dots) if (!theirs.has(k)) return false
    }
    return true
  }

  /** The parts, for encoding. */
  entries(): Array<[string, Dot[]]> {
    return [...this.#entries].map(([e, dots]) => [e, [...dots].map(parseDotKey)])
  }

  context(): CausalContext {
    return this.#context
  }

  /** Rebuilds a state or delta from decoded parts (the codec has checked shapes and caps); RangeError on a shared dot. */
  static fromParts(entries: Iterable<readonly [string, Iterable<Dot>]>, context: CausalContext): OrSet {
    const s = new OrSet()
    for (const [e, dots] of entries) {
      const keys = new Set([...dots].map(dotKey))
      if (keys.size === 0) continue
      s.#entries.set(e, keys)
      for (const k of keys) {
        if (s.#owner.has(k)) throw new RangeError(`OrSet: dot ${k} keeps two elements alive`)
        s.#owner.set(k, e)
      }
    }
    s.#context = context.clone()
    // An entry dot absent from its own context is malformed; the context must cover its entries.
    for (const dots of s.#entries.values()) for (const k of dots) s.#context.add(parseDotKey(k))
    return s
  }

  #dotsOf(element: string): Dot[] {
    return [...(this.#entries.get(element) ?? [])].map(parseDotKey)
  }

  #dropDot(element: string, key: string): void {
    const dots = this.#entries.get(element)
    if (dots === undefined) return
    dots.delete(key)
    this.#owner.delete(key)
    if (dots.size === 0) this.#entries.delete(element)
  }
}
