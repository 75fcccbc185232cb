/**
 * The log of applied bundles, in the order they were applied (a causal order), from which a replica
 * serves what a peer lacks. Runs of `groupSize` consecutive bundles become one delta group (Almeida
 * et al., JPDC 2018, section 7.1): per origin the covered ranges are contiguous and deps on covered
 * origins are implied, so a group is itself a valid bundle. A group packs its payloads into one
 * buffer and merges them only when served, keeping the local edit path free of merge work. Past
 * `budgetBytes` the oldest groups are dropped and a peer needing them gets a snapshot instead.
 */
import type { Bundle, Cover, VvEntry } from './messages.ts'

export interface DeltaLogOptions {
  readonly groupSize: number
  readonly budgetBytes: number
  /** The doc type's payload merge. */
  readonly merge: (payloads: readonly Uint8Array[]) => Uint8Array
}

/** A bundle whose payload may still be packed parts: `data` split at `ends` (null: one payload). */
interface Entry {
  readonly cover: readonly Cover[]
  readonly deps: readonly VvEntry[]
  readonly data: Uint8Array
  readonly ends: Uint32Array | null
}

export class DeltaLog {
  readonly #options: DeltaLogOptions
  #entries: Entry[] = []
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
    this.#entries.push({ cover: bundle.cover, deps: bundle.deps, data: bundle.payload, ends: null })
    this.#bytes += bundle.payload.length
    if (this.#entries.length - this.#tail >= this.#options.groupSize) {
      const group = pack(this.#entries.slice(this.#tail))
      this.#entries.length = this.#tail
      this.#entries.push(group)
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
    let run: Entry[] = []
    let runBytes = 0
    const flush = () => {
      const g = pack(run)
      out.push({ cover: g.cover, deps: g.deps, payload: this.#options.merge(parts(g)) })
    }
    for (const e of needed) {
      if (run.length > 0 && runBytes + e.data.length > maxBytes) {
        flush()
        run = []
        runBytes = 0
      }
      run.push(e)
      runBytes += e.data.length
    }
    if (run.length > 0) flush()
    return out
  }

  /** Every entry as a bundle with its payloads merged (for writing a compacted store). */
  bundles(): Bundle[] {
    return this.#entries.map((e) => ({ cover: e.cover, deps: e.deps, payload: e.ends === null ? e.data : this.#options.merge(parts(e)) }))
  }

  #dropOldest(): void {
    const dropped = this.#entries.shift()!
    if (this.#tail > 0) this.#tail--
    this.#bytes -= dropped.data.length
    for (const [origin, , to] of dropped.cover) this.raiseFloor(origin, to)
  }
}

/** The payloads of an entry, in order. */
function parts(e: Entry): Uint8Array[] {
  if (e.ends === null) return [e.data]
  const out: Uint8Array[] = []
  let start = 0
  for (const end of e.ends) {
    out.push(e.data.subarray(start, end))
    start = end
  }
  return out
}

/** Packs consecutive entries of a causal log into one entry, payloads concatenated (no merge). */
function pack(run: readonly Entry[]): Entry {
  if (run.length === 1) return run[0]!
  const all = run.flatMap(parts)
  const data = new Uint8Array(all.reduce((n, p) => n + p.length, 0))
  const ends = new Uint32Array(all.length)
  let at = 0
  all.forEach((p, i) => {
    data.set(p, at)
    at += p.length
    ends[i] = at
  })
  const { cover, deps } = mergeCovers(run)
  return { cover, deps, data, ends }
}

/** Cover and deps of consecutive bundles of a causal log taken as one. */
export function mergeCovers(run: ReadonlyArray<{ readonly cover: readonly Cover[]; readonly deps: readonly VvEntry[] }>): { cover: Cover[]; deps: VvEntry[] } {
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
  return { cover, deps: [...deps].sort(byOrigin) }
}

const byOrigin = (a: readonly [string, ...unknown[]], b: readonly [string, ...unknown[]]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
