/**
 * One document replica without IO: a document type wired to its sync core. Local mutations of the
 * document enter the core as `local` commands; everything the core asks for (send, publish, emit,
 * schedule) collects in `outbox` for the caller (the service driver, the simulator, a benchmark)
 * to carry out. `nowMs` for local changes comes from the injected clock. Local deltas made between
 * two drains (a paste, a scripted burst, edits within one tick) leave as one published bundle, so one
 * origin signature covers them; a drain after every keystroke publishes every keystroke.
 */
import type { PeerId, Rng } from '@saorsa-gossip/types'
import { CRDT_LIMITS } from './limits.ts'
import { mergeCovers } from './proto/delta-log.ts'
import type { SyncConfig } from './proto/config.ts'
import type { Bundle, DeltaMessage, SyncInput, SyncOutput, VvEntry } from './proto/messages.ts'
import { DocSyncCore } from './proto/sync.ts'
import type { DocState } from './docs/doc-state.ts'

export interface ReplicaCoreInit<D extends DocState> {
  readonly self: PeerId
  readonly doc: D
  readonly config: SyncConfig
  readonly rng: Rng
  /** Monotonic milliseconds for the core. */
  readonly now: () => number
  readonly loadedVv?: Iterable<VvEntry>
  readonly loadedLog?: Iterable<Bundle>
}

export class ReplicaCore<D extends DocState> {
  readonly doc: D
  readonly core: DocSyncCore
  readonly outbox: SyncOutput[] = []
  readonly #now: () => number

  constructor(init: ReplicaCoreInit<D>) {
    this.doc = init.doc
    this.#now = init.now
    this.core = new DocSyncCore({
      self: init.self.toHex(), state: init.doc, config: init.config, rng: init.rng,
      ...(init.loadedVv === undefined ? {} : { loadedVv: init.loadedVv }),
      ...(init.loadedLog === undefined ? {} : { loadedLog: init.loadedLog }),
    })
    init.doc.onLocal = (payload) => this.core.handle({ type: 'command', command: { type: 'local', payload } }, this.#now(), this.outbox)
  }

  handle(input: SyncInput): void {
    this.core.handle(input, this.#now(), this.outbox)
  }

  /** Removes and returns everything the core has asked for so far, local deltas coalesced. */
  drain(): SyncOutput[] {
    const outputs = this.outbox.splice(0, this.outbox.length)
    let count = 0
    for (const o of outputs) if (o.type === 'publish') count++
    if (count < 2) return outputs
    const publishes = outputs.filter((o): o is { type: 'publish'; msg: DeltaMessage } => o.type === 'publish')
    const merged = this.#coalesce(publishes.map((p) => p.msg.bundle))
    const rest = outputs.filter((o) => o.type !== 'publish')
    return [...rest, ...merged.map((bundle): SyncOutput => ({ type: 'publish', msg: { type: 'delta', bundle } }))]
  }

  /** Consecutive local bundles as few bundles as the delta payload cap allows. */
  #coalesce(bundles: readonly Bundle[]): Bundle[] {
    const out: Bundle[] = []
    let run: Bundle[] = []
    let bytes = 0
    const flush = () => {
      if (run.length === 1) out.push(run[0]!)
      else if (run.length > 1) {
        const payload = this.doc.merge(run.map((b) => b.payload))
        if (payload.length > CRDT_LIMITS.maxDeltaPayloadBytes) out.push(...run)
        else out.push({ ...mergeCovers(run), payload })
      }
      run = []
      bytes = 0
    }
    for (const b of bundles) {
      if (bytes + b.payload.length > CRDT_LIMITS.maxDeltaPayloadBytes) flush()
      run.push(b)
      bytes += b.payload.length
    }
    flush()
    return out
  }
}
