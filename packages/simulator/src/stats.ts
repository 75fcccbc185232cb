/**
 * Network accounting for simulator reports: messages and bytes per node, per message kind, and
 * drops by reason. Reports are plain JSON with sorted keys so two runs can be diffed textually.
 */

export interface Distribution {
  readonly mean: number
  readonly p50: number
  readonly p95: number
  readonly max: number
}

export interface SimReport {
  readonly seed: string
  readonly nowMs: number
  readonly processedEvents: number
  readonly nodes: { readonly total: number; readonly alive: number }
  readonly messages: {
    readonly sent: number
    readonly delivered: number
    readonly duplicated: number
    readonly dropped: Readonly<Record<string, number>>
  }
  readonly bytes: { readonly sent: number; readonly delivered: number }
  readonly perKind: Readonly<Record<string, { readonly count: number; readonly bytes: number }>>
  /** Sent messages and bytes per node per virtual second, over all nodes ever added. */
  readonly perNodePerSecond: { readonly messages: Distribution; readonly bytes: Distribution }
  readonly traceHash: string
}

export class NetworkStats {
  readonly #msgsSent: number[] = []
  readonly #bytesSent: number[] = []
  readonly #perKind = new Map<string, { count: number; bytes: number }>()
  readonly #dropped = new Map<string, number>()
  #delivered = 0
  #bytesDelivered = 0
  #duplicated = 0

  addNode(): void {
    this.#msgsSent.push(0)
    this.#bytesSent.push(0)
  }

  sent(node: number, kind: string, bytes: number): void {
    this.#msgsSent[node]! += 1
    this.#bytesSent[node]! += bytes
    let entry = this.#perKind.get(kind)
    if (entry === undefined) {
      entry = { count: 0, bytes: 0 }
      this.#perKind.set(kind, entry)
    }
    entry.count++
    entry.bytes += bytes
  }

  received(_node: number, bytes: number): void {
    this.#delivered++
    this.#bytesDelivered += bytes
  }

  duplicated(): void {
    this.#duplicated++
  }

  drop(reason: string): void {
    this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + 1)
  }

  report(context: { seed: string; nowMs: number; processedEvents: number; aliveNodes: number; traceHash: string }): SimReport {
    const seconds = Math.max(context.nowMs, 1) / 1000
    const perKind: Record<string, { count: number; bytes: number }> = {}
    for (const kind of [...this.#perKind.keys()].sort()) perKind[kind] = { ...this.#perKind.get(kind)! }
    const dropped: Record<string, number> = {}
    for (const reason of [...this.#dropped.keys()].sort()) dropped[reason] = this.#dropped.get(reason)!
    return {
      seed: context.seed,
      nowMs: context.nowMs,
      processedEvents: context.processedEvents,
      nodes: { total: this.#msgsSent.length, alive: context.aliveNodes },
      messages: {
        sent: sum(this.#msgsSent), delivered: this.#delivered, duplicated: this.#duplicated, dropped,
      },
      bytes: { sent: sum(this.#bytesSent), delivered: this.#bytesDelivered },
      perKind,
      perNodePerSecond: {
        messages: distribution(this.#msgsSent.map((m) => m / seconds)),
        bytes: distribution(this.#bytesSent.map((b) => b / seconds)),
      },
      traceHash: context.traceHash,
    }
  }
}

function sum(values: readonly number[]): number {
  let total = 0
  for (const v of values) total += v
  return total
}

/** Mean, median, 95th percentile (nearest rank) and maximum, rounded to 3 decimals. */
export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { mean: 0, p50: 0, p95: 0, max: 0 }
  const sorted = values.slice().sort((a, b) => a - b)
  const rank = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
  return {
    mean: round3(sum(sorted) / sorted.length),
    p50: round3(rank(0.5)),
    p95: round3(rank(0.95)),
    max: round3(sorted[sorted.length - 1]!),
  }
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
