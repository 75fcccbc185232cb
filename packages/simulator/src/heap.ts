/**
 * A min-heap of scheduled simulator events ordered by (time, sequence number). The sequence number
 * breaks ties in insertion order, which is what makes a run deterministic: two events at the same
 * virtual millisecond always run in the order they were scheduled. Sequence numbers are unique, so
 * the pop order is fixed by the keys alone, whatever the heap's shape.
 *
 * The keys live in two typed arrays beside the items, and each node has four children: a pop
 * compares keys in contiguous memory over half the levels of a binary heap of objects, where every
 * comparison loaded two events from scattered places (the simulator's busiest loop).
 */

export interface Scheduled {
  readonly time: number
  readonly seq: number
}

/** Children per node. */
const D = 4

export class EventHeap<T extends Scheduled> {
  #times = new Float64Array(1024)
  #seqs = new Float64Array(1024)
  #items: Array<T | undefined> = new Array<T | undefined>(1024)
  #size = 0

  get size(): number {
    return this.#size
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[0]
  }

  push(item: T): void {
    if (this.#size === this.#times.length) this.#grow()
    const times = this.#times
    const seqs = this.#seqs
    const items = this.#items
    const time = item.time
    const seq = item.seq
    let i = this.#size++
    while (i > 0) {
      const parent = ((i - 1) / D) | 0
      const pt = times[parent]!
      if (pt < time || (pt === time && seqs[parent]! < seq)) break
      times[i] = pt
      seqs[i] = seqs[parent]!
      items[i] = items[parent]
      i = parent
    }
    times[i] = time
    seqs[i] = seq
    items[i] = item
  }

  pop(): T | undefined {
    if (this.#size === 0) return undefined
    const times = this.#times
    const seqs = this.#seqs
    const items = this.#items
    const top = items[0]
    const n = --this.#size
    const lastTime = times[n]!
    const lastSeq = seqs[n]!
    const last = items[n]
    items[n] = undefined
    if (n === 0) return top
    let i = 0
    for (;;) {
      const first = D * i + 1
      if (first >= n) break
      // The smallest of up to D children.
      let child = first
      let ct = times[first]!
      let cs = seqs[first]!
      const end = Math.min(first + D, n)
      for (let k = first + 1; k < end; k++) {
        const kt = times[k]!
        if (kt < ct || (kt === ct && seqs[k]! < cs)) {
          child = k
          ct = kt
          cs = seqs[k]!
        }
      }
      if (lastTime < ct || (lastTime === ct && lastSeq < cs)) break
      times[i] = ct
      seqs[i] = cs
      items[i] = items[child]
      i = child
    }
    times[i] = lastTime
    seqs[i] = lastSeq
    items[i] = last
    return top
  }

  #grow(): void {
    const capacity = this.#times.length * 2
    const times = new Float64Array(capacity)
    times.set(this.#times)
    this.#times = times
    const seqs = new Float64Array(capacity)
    seqs.set(this.#seqs)
    this.#seqs = seqs
    this.#items.length = capacity
  }
}
