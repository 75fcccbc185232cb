/**
 * The sans-IO sync core of one document (docs/architecture.md section 2). Local deltas are published at
 * once; remote bundles are applied only in causal order (a gap parks the bundle and asks the sender
 * for what we lack, never applying out of order); every `antiEntropyIntervalMs` a random neighbour
 * gets a 16-byte digest of our version vector, and only on a mismatch do the two exchange vectors and
 * then exactly the missing delta groups, or a snapshot when the log no longer holds them.
 */
import { type PeerId, type Rng } from '@saorsa-gossip/types'
import { checkSyncConfig, type SyncConfig } from './config.ts'
import { DeltaLog } from './delta-log.ts'
import type { Bundle, DropReason, SyncInput, SyncMessage, SyncOutbox, SyncedState, VvEntry } from './messages.ts'
import { satisfies, sortedEntries, vvDigest, type VersionVector } from './version-vector.ts'

export interface DocSyncInit {
  /** Our PeerId in hex: the origin of local deltas. */
  readonly self: string
  readonly state: SyncedState
  readonly config: SyncConfig
  readonly rng: Rng
  /** Version vector of a state loaded from storage; its deltas are served as snapshots only. */
  readonly loadedVv?: Iterable<VvEntry>
  /** Bundles loaded from storage after that state, in order (re-entered into the log, not re-applied). */
  readonly loadedLog?: Iterable<Bundle>
}

export interface DocSyncMetrics {
  applied: number
  parked: number
  dropped: Record<DropReason, number>
  rounds: number
  snapshotsSent: number
  snapshotsApplied: number
}

interface Parked { readonly bundle: Bundle; readonly from: PeerId }

const NO_DEPS: readonly VvEntry[] = Object.freeze([])

export class DocSyncCore {
  readonly self: string
  readonly #state: SyncedState
  readonly #config: SyncConfig
  readonly #rng: Rng
  readonly #vv: VersionVector = new Map()
  readonly #log: DeltaLog
  /** Entries of the vector advanced by remote bundles since our last local delta: that delta's deps. */
  readonly #sinceLocal = new Map<string, number>()
  #pending: Parked[] = []
  #pendingBytes = 0
  /** peer hex -> PeerId, the document's neighbours for anti-entropy. */
  readonly #neighbours = new Map<string, PeerId>()
  /** peer hex -> time of the last `want` we sent it, to rate-limit gap requests. */
  readonly #lastWant = new Map<string, number>()
  #round = 0
  #lastSpread = Number.NEGATIVE_INFINITY
  #started = false
  readonly #metrics: DocSyncMetrics = {
    applied: 0, parked: 0, rounds: 0, snapshotsSent: 0, snapshotsApplied: 0,
    dropped: { duplicate: 0, 'invalid-payload': 0, 'invalid-snapshot': 0, 'pending-full': 0, 'malformed-bundle': 0 },
  }

  constructor(init: DocSyncInit) {
    this.self = init.self
    this.#state = init.state
    this.#config = checkSyncConfig(init.config)
    this.#rng = init.rng
    this.#log = new DeltaLog({ groupSize: this.#config.logGroupSize, budgetBytes: this.#config.logBudgetBytes, merge: (p) => init.state.merge(p) })
    for (const [origin, seq] of init.loadedVv ?? []) {
      this.#vv.set(origin, seq)
      this.#log.raiseFloor(origin, seq)
    }
    for (const bundle of init.loadedLog ?? []) {
      this.#log.append(bundle)
      for (const [origin, , to] of bundle.cover) if (to > (this.#vv.get(origin) ?? 0)) this.#vv.set(origin, to)
    }
    // Which remote changes our last local delta already depended on was not stored: the next one
    // depends on everything loaded, which is safe (never early) at the cost of one longer deps list.
    for (const [origin, seq] of this.#vv) if (origin !== this.self) this.#sinceLocal.set(origin, seq)
  }

  /** Our version vector, sorted by origin. */
  versionVector(): VvEntry[] {
    return sortedEntries(this.#vv)
  }

  digest(): Uint8Array {
    return vvDigest(this.#vv)
  }

  metrics(): DocSyncMetrics {
    return { ...this.#metrics, dropped: { ...this.#metrics.dropped } }
  }

  get pendingCount(): number {
    return this.#pending.length
  }

  handle(input: SyncInput, nowMs: number, out: SyncOutbox): void {
    switch (input.type) {
      case 'command': {
        const c = input.command
        if (c.type === 'local') this.#local(c.payload, out)
        else if (c.type === 'start') this.#start(out)
        else this.#antiEntropy(out)
        return
      }
      case 'recv': return this.#recv(input.from, input.msg, nowMs, out)
      case 'timer':
        if (input.timer.round !== this.#round) return
        this.#antiEntropy(out)
        this.#schedule(out)
        return
      case 'peer-up': this.#neighbours.set(input.peer.toHex(), input.peer); return
      case 'peer-down': this.#neighbours.delete(input.peer.toHex()); this.#lastWant.delete(input.peer.toHex()); return
    }
  }

  #start(out: SyncOutbox): void {
    if (this.#started) return
    this.#started = true
    this.#schedule(out)
  }

  /** Re-arms the anti-entropy timer with ±10% jitter, so replicas started together do not stay in step. */
  #schedule(out: SyncOutbox): void {
    const base = this.#config.antiEntropyIntervalMs
    const delayMs = Math.max(1, Math.round(base * (0.9 + 0.2 * this.#rng.nextFloat())))
    out.push({ type: 'schedule', delayMs, timer: { type: 'anti-entropy', round: ++this.#round } })
  }

  #local(payload: Uint8Array, out: SyncOutbox): void {
    const seq = (this.#vv.get(this.self) ?? 0) + 1
    // The common case (a writer typing alone) allocates nothing here.
    const deps = this.#sinceLocal.size === 0 ? NO_DEPS : sortedEntries(this.#sinceLocal)
    this.#sinceLocal.clear()
    const bundle: Bundle = { cover: [[this.self, seq - 1, seq]], deps, payload }
    this.#vv.set(this.self, seq)
    this.#log.append(bundle)
    this.#metrics.applied++
    out.push({ type: 'emit', event: { type: 'applied', bundle, local: true } })
    out.push({ type: 'publish', msg: { type: 'delta', bundle } })
  }

  #recv(from: PeerId, msg: SyncMessage, nowMs: number, out: SyncOutbox): void {
    switch (msg.type) {
      case 'delta': return this.#receiveBundles(from, [msg.bundle], nowMs, out)
      case 'bundles': {
        const before = this.#metrics.applied
        this.#receiveBundles(from, msg.bundles, nowMs, out)
        if (this.#metrics.applied > before) this.#spread(from, nowMs, out)
        return
      }
      case 'summary': {
        if (equalBytes(msg.digest, this.digest())) return
        this.#lastWant.set(from.toHex(), nowMs)
        out.push({ type: 'send', to: from, msg: { type: 'want', vv: this.versionVector() } })
        return
      }
      case 'want': return this.#answerWant(from, msg.vv, nowMs, out)
      case 'snapshot': {
        const before = this.#metrics.snapshotsApplied
        this.#receiveSnapshot(msg.vv, msg.state, nowMs, out)
        if (this.#metrics.snapshotsApplied > before) this.#spread(from, nowMs, out)
        return
      }
    }
  }

  /**
   * What anti-entropy just taught us, others probably lack too (a healed partition): open extra
   * rounds at once with `spreadFanout` other neighbours instead of waiting for the timer, as rumour
   * mongering follows a push (Demers et al., "Epidemic Algorithms for Replicated Database
   * Maintenance", PODC 1987, section 1.4; more than one target keeps the rumour alive past lost
   * messages). At most once per gapRetryMs, so it costs nothing when in sync.
   */
  #spread(from: PeerId, nowMs: number, out: SyncOutbox): void {
    if (nowMs - this.#lastSpread < this.#config.gapRetryMs) return
    const others = [...this.#neighbours.values()].filter((p) => !p.equals(from))
    if (others.length === 0) return
    this.#lastSpread = nowMs
    for (let k = 0; k < this.#config.spreadFanout && others.length > 0; k++) {
      const [peer] = others.splice(this.#rng.nextInt(others.length), 1)
      this.#metrics.rounds++
      out.push({ type: 'send', to: peer!, msg: { type: 'summary', digest: this.digest(), entries: this.#vv.size } })
    }
  }

  #antiEntropy(out: SyncOutbox): void {
    if (this.#neighbours.size === 0) return
    const peers = [...this.#neighbours.values()]
    const peer = peers[this.#rng.nextInt(peers.length)]!
    this.#metrics.rounds++
    out.push({ type: 'send', to: peer, msg: { type: 'summary', digest: this.digest(), entries: this.#vv.size } })
  }

  /** Sends `from` what it lacks; if it has something we lack, asks for it in the same breath. */
  #answerWant(from: PeerId, theirEntries: readonly VvEntry[], nowMs: number, out: SyncOutbox): void {
    const theirs = new Map(theirEntries)
    const missing = this.#log.missing(theirs, this.#vv, this.#config.maxBundleBytes)
    const total = missing === 'snapshot' ? 0 : missing.reduce((n, b) => n + b.payload.length, 0)
    if (missing === 'snapshot' || total > this.#config.maxBundleBytes) {
      this.#metrics.snapshotsSent++
      out.push({ type: 'send', to: from, msg: { type: 'snapshot', vv: this.versionVector(), state: this.#state.snapshot() } })
    } else if (missing.length > 0) {
      out.push({ type: 'send', to: from, msg: { type: 'bundles', bundles: missing } })
    }
    const weLack = [...theirs].some(([origin, seq]) => seq > (this.#vv.get(origin) ?? 0))
    if (weLack && this.#mayAsk(from, nowMs)) out.push({ type: 'send', to: from, msg: { type: 'want', vv: this.versionVector() } })
  }

  #receiveBundles(from: PeerId, bundles: readonly Bundle[], nowMs: number, out: SyncOutbox): void {
    let gap = false
    for (const bundle of bundles) {
      const verdict = this.#tryApply(bundle, out)
      if (verdict === 'gap') {
        gap = true
        this.#park(bundle, from, out)
      }
    }
    this.#drainPending(out)
    if (gap && this.#pending.length > 0 && this.#mayAsk(from, nowMs)) {
      out.push({ type: 'send', to: from, msg: { type: 'want', vv: this.versionVector() } })
    }
  }

  #tryApply(bundle: Bundle, out: SyncOutbox): 'applied' | 'duplicate' | 'gap' | 'invalid' {
    let news = false
    for (const [origin, from, to] of bundle.cover) {
      const have = this.#vv.get(origin) ?? 0
      if (from > have) return 'gap'
      if (to > have) news = true
    }
    if (!news) return this.#drop('duplicate', out)
    if (!satisfies(this.#vv, bundle.deps)) return 'gap'
    if (!this.#state.apply(bundle.payload)) return this.#drop('invalid-payload', out)
    for (const [origin, , to] of bundle.cover) {
      if (to > (this.#vv.get(origin) ?? 0)) {
        this.#vv.set(origin, to)
        if (origin !== this.self) this.#sinceLocal.set(origin, to)
      }
    }
    this.#log.append(bundle)
    this.#metrics.applied++
    out.push({ type: 'emit', event: { type: 'applied', bundle, local: false } })
    return 'applied'
  }

  #park(bundle: Bundle, from: PeerId, out: SyncOutbox): void {
    const bytes = bundle.payload.length
    if (this.#pending.length >= this.#config.maxPendingBundles || this.#pendingBytes + bytes > this.#config.maxPendingBytes) {
      this.#drop('pending-full', out)
      return
    }
    this.#pending.push({ bundle, from })
    this.#pendingBytes += bytes
    this.#metrics.parked++
  }

  /** Applies parked bundles whose causal past has arrived, until none makes progress. */
  #drainPending(out: SyncOutbox): void {
    let progress = true
    while (progress && this.#pending.length > 0) {
      progress = false
      const still: Parked[] = []
      for (const p of this.#pending) {
        const verdict = this.#tryApply(p.bundle, out)
        if (verdict === 'gap') still.push(p)
        else {
          this.#pendingBytes -= p.bundle.payload.length
          if (verdict === 'applied') progress = true
        }
      }
      this.#pending = still
    }
  }

  #receiveSnapshot(vv: readonly VvEntry[], state: Uint8Array, nowMs: number, out: SyncOutbox): void {
    void nowMs
    if (!vv.some(([origin, seq]) => seq > (this.#vv.get(origin) ?? 0))) {
      this.#drop('duplicate', out)
      return
    }
    if (!this.#state.apply(state)) {
      this.#drop('invalid-snapshot', out)
      return
    }
    for (const [origin, seq] of vv) {
      if (seq > (this.#vv.get(origin) ?? 0)) {
        this.#vv.set(origin, seq)
        this.#log.raiseFloor(origin, seq)
        if (origin !== this.self) this.#sinceLocal.set(origin, seq)
      }
    }
    this.#metrics.snapshotsApplied++
    out.push({ type: 'emit', event: { type: 'snapshot-applied', vv: this.versionVector() } })
    this.#drainPending(out)
  }

  #mayAsk(peer: PeerId, nowMs: number): boolean {
    const last = this.#lastWant.get(peer.toHex())
    if (last !== undefined && nowMs - last < this.#config.gapRetryMs) return false
    this.#lastWant.set(peer.toHex(), nowMs)
    return true
  }

  #drop(reason: DropReason, out: SyncOutbox): 'duplicate' | 'invalid' {
    this.#metrics.dropped[reason]++
    out.push({ type: 'emit', event: { type: 'dropped', reason } })
    return reason === 'duplicate' ? 'duplicate' : 'invalid'
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
