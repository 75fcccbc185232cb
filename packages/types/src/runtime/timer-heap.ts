/**
 * A binary min-heap of (due time, insertion order) entries for the driver runtime: sans-IO cores
 * schedule timers as data (docs/architecture.md section 2) and the runtime keeps exactly one host timer
 * armed for the earliest entry. Equal due times pop in the order they were scheduled, so two timers
 * a core scheduled for the same instant fire in the order it asked for them.
 */
interface Entry<T> {
  readonly dueMs: number
  readonly order: number
  readonly value: T
}

export class TimerHeap<T> {
  readonly #items: Array<Entry<T>> = []
  #order = 0

  get size(): number {
    return this.#items.length
  }

  /** Due time of the earliest entry, or undefined when empty. */
  peekDue(): number | undefined {
    return this.#items[0]?.dueMs
  }

  push(dueMs: number, value: T): void {
    const items = this.#items
    items.push({ dueMs, order: this.#order++, value })
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(items[i]!, items[parent]!)) break
      swap(items, i, parent)
      i = parent
    }
  }

  /** Removes and returns every value due at or before `nowMs`, earliest first. */
  popDue(nowMs: number): T[] {
    const out: T[] = []
    while (this.#items.length > 0 && this.#items[0]!.dueMs <= nowMs) out.push(this.#pop())
    return out
  }

  clear(): void {
    this.#items.length = 0
  }

  #pop(): T {
    const items = this.#items
    const top = items[0]!
    const last = items.pop()!
    if (items.length > 0) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < items.length && before(items[l]!, items[m]!)) m = l
        if (r < items.length && before(items[r]!, items[m]!)) m = r
        if (m === i) break
        swap(items, i, m)
        i = m
      }
    }
    return top.value
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.order < b.order)
}

function swap<T>(items: T[], i: number, j: number): void {
  const t = items[i]!
  items[i] = items[j]!
  items[j] = t
}
