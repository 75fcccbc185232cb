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
  /** Closed groups, oldest first. */
  #groups: Entry[] = []
  /**
   * Entries since the last group. Payload bytes are copied into one growing buffer and the common
   * entry (one origin, no deps) is kept as three plain array slots, so nothing of an appended bundle
   * stays referenced: its objects die young instead of being promoted and collected in the old space.
   */
  #open = new OpenRun()
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
    return this.#groups.length + this.#open.count
  }

  append(bundle: Bundle): void {
    this.#open.push(bundle)
    this.#bytes += bundle.payload.length
    if (this.#open.count >= this.#options.groupSize) this.#closeRun()
    while (this.#bytes > this.#options.budgetBytes && this.length > 1) this.#dropOldest()
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
    const lacks = (b: Entry) => b.cover.some(([origin, , to]) => to > (theirs.get(origin) ?? 0))
    const needed = [...this.#groups, ...this.#open.entries()].filter(lacks)
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
    return [...this.#groups, ...this.#open.entries()].map((e) => ({ cover: e.cover, deps: e.deps, payload: e.ends === null ? e.data : this.#options.merge(parts(e)) }))
  }

  #closeRun(): void {
    const group = this.#open.pack()
    if (group !== undefined) this.#groups.push(group)
    this.#open = new OpenRun()
  }

  #dropOldest(): void {
    if (this.#groups.length === 0) this.#closeRun()
    const dropped = this.#groups.shift()!
    this.#bytes -= dropped.data.length
    for (const [origin, , to] of dropped.cover) this.raiseFloor(origin, to)
  }
}

/** The entries after the last group: payload bytes in one buffer, covers as plain slots when simple. */
class OpenRun {
  #data = new Uint8Array(4096)
  #at = 0
  readonly #ends: number[] = []
  /** Per entry: its origin and range when it covers one origin without deps, else the whole entry's cover and deps. */
  readonly #origins: string[] = []
  readonly #from: number[] = []
  readonly #to: number[] = []
  readonly #general = new Map<number, { readonly cover: readonly Cover[]; readonly deps: readonly VvEntry[] }>()

  get count(): number {
    return this.#ends.length
  }

  push(bundle: Bundle): void {
    const p = bundle.payload
    if (this.#at + p.length > this.#data.length) {
      const grown = new Uint8Array(Math.max(this.#data.length * 2, this.#at + p.length))
      grown.set(this.#data.subarray(0, this.#at))
      this.#data = grown
    }
    this.#data.set(p, this.#at)
    this.#at += p.length
    const i = this.#ends.length
    this.#ends.push(this.#at)
    const c = bundle.cover
    if (c.length === 1 && bundle.deps.length === 0) {
      this.#origins.push(c[0]![0])
      this.#from.push(c[0]![1])
      this.#to.push(c[0]![2])
    } else {
      this.#origins.push('')
      this.#from.push(0)
      this.#to.push(0)
      this.#general.set(i, { cover: c, deps: bundle.deps })
    }
  }

  #cover(i: number): { readonly cover: readonly Cover[]; readonly deps: readonly VvEntry[] } {
    return this.#general.get(i) ?? { cover: [[this.#origins[i]!, this.#from[i]!, this.#to[i]!]], deps: [] }
  }

  /** Each entry as a standalone entry (payload views into the buffer). */
  entries(): Entry[] {
    return this.#ends.map((end, i) => ({ ...this.#cover(i), data: this.#data.subarray(i === 0 ? 0 : this.#ends[i - 1]!, end), ends: null }))
  }

  /** The run as one group entry (one copy of its bytes), or undefined when empty. */
  pack(): Entry | undefined {
    const n = this.#ends.length
    if (n === 0) return undefined
    if (n === 1) return this.entries()[0]
    let covers: { cover: Cover[]; deps: VvEntry[] } | undefined
    if (this.#general.size === 0) {
      const origin = this.#origins[0]!
      if (this.#origins.every((o) => o === origin)) {
        const from = this.#from.reduce((a, b) => Math.min(a, b))
        const to = this.#to.reduce((a, b) => Math.max(a, b))
        covers = { cover: [[origin, from, to]], deps: [] }
      }
    }
    covers ??= mergeCovers(this.#ends.map((_, i) => this.#cover(i)))
    return { ...covers, data: this.#data.slice(0, this.#at), ends: Uint32Array.from(this.#ends) }
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

/**
 * Packs consecutive entries of a causal log into one entry, payloads concatenated (no merge). On the
 * local edit path every 256th edit pays for this, so it copies each byte once and allocates three
 * arrays, whatever the run holds.
 */
function pack(run: readonly Entry[]): Entry {
  if (run.length === 1) return run[0]!
  let size = 0
  let count = 0
  for (const e of run) {
    size += e.data.length
    count += e.ends === null ? 1 : e.ends.length
  }
  const data = new Uint8Array(size)
  const ends = new Uint32Array(count)
  let at = 0
  let i = 0
  for (const e of run) {
    data.set(e.data, at)
    if (e.ends === null) ends[i++] = at + e.data.length
    else for (const end of e.ends) ends[i++] = at + end
    at += e.data.length
  }
  const { cover, deps } = mergeCovers(run)
  return { cover, deps, data, ends }
}

/** Cover and deps of consecutive bundles of a causal log taken as one. */
export function mergeCovers(run: ReadonlyArray<{ readonly cover: readonly Cover[]; readonly deps: readonly VvEntry[] }>): { cover: Cover[]; deps: VvEntry[] } {
  const single = soleOrigin(run)
  if (single !== undefined) return { cover: [single], deps: [] }
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

/**
 * The cover of a run of one origin's consecutive deltas without dependencies (a writer typing alone,
 * the hot path), or undefined when the run needs the general merge.
 */
function soleOrigin(run: ReadonlyArray<{ readonly cover: readonly Cover[]; readonly deps: readonly VvEntry[] }>): Cover | undefined {
  const first = run[0]?.cover
  if (first === undefined || first.length !== 1) return undefined
  const origin = first[0]![0]
  let from = first[0]![1]
  let to = first[0]![2]
  for (const b of run) {
    if (b.deps.length > 0 || b.cover.length !== 1) return undefined
    const [o, f, t] = b.cover[0]!
    if (o !== origin) return undefined
    if (f < from) from = f
    if (t > to) to = t
  }
  return [origin, from, to]
}
