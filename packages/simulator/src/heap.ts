/**
 * A binary min-heap of scheduled simulator events ordered by (time, sequence number). The
 * sequence number breaks ties in insertion order, which is what makes a run deterministic:
 * two events at the same virtual millisecond always run in the order they were scheduled.
 */

export interface Scheduled {
  readonly time: number
  readonly seq: number
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}

export class EventHeap<T extends Scheduled> {
  readonly #items: T[] = []

  get size(): number {
    return this.#items.length
  }

  peek(): T | undefined {
    return this.#items[0]
  }

  push(item: T): void {
    const items = this.#items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = items[parent]!
      if (!before(item, p)) break
      items[i] = p
      i = parent
    }
    items[i] = item
  }

  pop(): T | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let i = 0
    const n = items.length
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      let child = left
      if (right < n && before(items[right]!, items[left]!)) child = right
      if (!before(items[child]!, last)) break
      items[i] = items[child]!
      i = child
    }
    items[i] = last
    return top
  }
}
