/**
 * The log of applied bundles, in the order they were applied (a causal order), from which a replica
 * serves what a peer lacks. Runs of `groupSize` consecutive bundles are merged into one (delta groups,
 * Almeida et al., JPDC 2018, section 7.1): per origin the covered ranges are contiguous and merged
 * deps on covered origins are implied, so a group is itself a valid bundle. Past `budgetBytes` the
 * oldest groups are dropped and a peer needing them gets a snapshot instead.
 */
import type { Bundle, Cover, VvEntry } from './messages.ts'

export interface DeltaLogOptions {
  readonly groupSize: number
  readonly budgetBytes: number
  /** The doc type's payload merge. */
  readonly merge: (payloads: readonly Uint8Array[]) => Uint8Array
}

export class DeltaLog {
  readonly #options: DeltaLogOptions
  #entries: Bundle[] = []
  /** Index of the first entry not yet merged into a group. */
  #tail = 0
  #bytes = 0
  /** Per origin: the log can serve deltas above this sequence number only. */
  readonly #floor = new Map<string, number>()

  constructor(options: DeltaLogOptions) {
    this.#options = options
  }

  get bytes(): number {
    return this.#bytes
  }

  get length(): number {
    return this.#entries.length
  }

  append(bundle: Bundle): void {
    this.#entries.push(bundle)
    this.#bytes += bundle.payload.length
    if (this.#entries.length - this.#tail >= this.#options.groupSize) {
      const group = mergeBundles(this.#entries.slice(this.#tail), this.#options.merge)
      this.#bytes -= this.#entries.slice(this.#tail).reduce((n, b) => n + b.payload.length, 0)
      this.#entries.length = this.#tail
      this.#entries.push(group)
      this.#bytes += group.payload.length
      this.#tail = this.#entries.length
    }
    while (this.#bytes > this.#options.budgetBytes && this.#entries.length > 1) this.#dropOldest()
  }

  /** Deltas of `origin` at or below `seq` can no longer be served (they arrived inside a snapshot). */
  raiseFloor(origin: string, seq: number): void {
    if (seq > (this.#floor.get(origin) ?? 0)) this.#floor.set(origin, seq)
  }

  /**
   * The bundles a replica at `theirs` lacks, given our vector `ours`, or 'snapshot' when some of it
   * is no longer in the log. Each returned bundle is a run of entries merged, at most `maxBytes` of
   * payload before merging (a single larger entry travels alone).
   */
  missing(theirs: ReadonlyMap<string, number>, ours: ReadonlyMap<string, number>, maxBytes: number): Bundle[] | 'snapshot' {
    for (const [origin, seq] of ours) {
      const have = theirs.get(origin) ?? 0
      if (seq > have && have < (this.#floor.get(origin) ?? 0)) return 'snapshot'
    }
    const needed = this.#entries.filter((b) => b.cover.some(([origin, , to]) => to > (theirs.get(origin) ?? 0)))
    const out: Bundle[] = []
    let run: Bundle[] = []
    let runBytes = 0
    for (const b of needed) {
      if (run.length > 0 && runBytes + b.payload.length > maxBytes) {
        out.push(mergeBundles(run, this.#options.merge))
        run = []
        runBytes = 0
      }
      run.push(b)
      runBytes += b.payload.length
    }
    if (run.length > 0) out.push(mergeBundles(run, this.#options.merge))
    return out
  }

  #dropOldest(): void {
    const dropped = this.#entries.shift()!
    if (this.#tail > 0) this.#tail--
    this.#bytes -= dropped.payload.length
    for (const [origin, , to] of dropped.cover) this.raiseFloor(origin, to)
  }
}

/** Merges consecutive bundles of a causal log into one bundle. */
export function mergeBundles(run: readonly Bundle[], merge: (payloads: readonly Uint8Array[]) => Uint8Array): Bundle {
  if (run.length === 1) return run[0]!
  const ranges = new Map<string, [number, number]>()
  for (const b of run) {
    for (const [origin, from, to] of b.cover) {
      const r = ranges.get(origin)
      if (r === undefined) ranges.set(origin, [from, to])
      else ranges.set(origin, [Math.min(r[0], from), Math.max(r[1], to)])
    }
  }
  const deps = new Map<string, number>()
  for (const b of run) {
    for (const [origin, seq] of b.deps) {
      const r = ranges.get(origin)
      // A dependency inside a covered range is satisfied by the group itself; at or below its start
      // it is implied by the group's own precondition.
      if (r !== undefined && seq <= r[1]) continue
      if (seq > (deps.get(origin) ?? 0)) deps.set(origin, seq)
    }
  }
  const cover: Cover[] = [...ranges].map(([o, [f, t]]) => [o, f, t] as const).sort(byOrigin)
  const depList: VvEntry[] = [...deps].sort(byOrigin)
  return { cover, deps: depList, payload: merge(run.map((b) => b.payload)) }
}

const byOrigin = (a: readonly [string, ...unknown[]], b: readonly [string, ...unknown[]]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
