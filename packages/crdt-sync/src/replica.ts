/**
 * One document replica without IO: a document type wired to its sync core. Local mutations of the
 * document enter the core as `local` commands; everything the core asks for (send, publish, emit,
 * schedule) collects in `outbox` for the caller (the service driver, the simulator, a benchmark)
 * to carry out. `nowMs` for local changes comes from the injected clock.
 */
import type { PeerId, Rng } from '@saorsa-gossip/types'
import type { SyncConfig } from './proto/config.ts'
import type { Bundle, SyncInput, SyncOutput, VvEntry } from './proto/messages.ts'
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

  /** Removes and returns everything the core has asked for so far. */
  drain(): SyncOutput[] {
    return this.outbox.splice(0, this.outbox.length)
  }
}
