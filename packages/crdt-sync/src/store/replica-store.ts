/**
 * Binds a replica to its log file: loading rebuilds the document from the last snapshot and the
 * bundles after it; afterwards every `applied` event appends its bundle (cost of the delta, not the
 * document) and a received snapshot, or a log grown past `compactAtBytes`, rewrites the file as one
 * snapshot record. `record()` resolves when the change is durable: a local change is acknowledged then.
 */
import type { PeerId, Rng } from '@saorsa-gossip/types'
import type { DocState } from '../docs/doc-state.ts'
import type { SyncConfig } from '../proto/config.ts'
import type { Bundle, SyncEvent, VvEntry } from '../proto/messages.ts'
import { ReplicaCore } from '../replica.ts'
import { StoreError } from '../errors.ts'
import { LogFile } from './log-file.ts'

export interface StoredReplicaInit<D extends DocState> {
  readonly path: string
  readonly self: PeerId
  readonly doc: D
  readonly config: SyncConfig
  readonly rng: Rng
  readonly now: () => number
  /** Compact once the file passes this size (and twice the last snapshot): 1 MiB keeps reloads short. */
  readonly compactAtBytes?: number
  readonly signal?: AbortSignal
}

export interface LoadedDoc {
  readonly log: LogFile
  /** Version vector of the last snapshot and the bundles stored after it, already applied to the document. */
  readonly loadedVv: readonly VvEntry[]
  readonly loadedLog: readonly Bundle[]
  readonly truncatedBytes: number
}

/** Opens a document's log file and applies what it holds to `doc`; StoreError if it holds another type. */
export async function loadDoc(path: string, doc: DocState, signal?: AbortSignal): Promise<LoadedDoc> {
  const { log, loaded } = await LogFile.open(path, signal === undefined ? {} : { signal })
  let loadedVv: readonly VvEntry[] = []
  let loadedLog: Bundle[] = []
  for (const record of loaded.records) {
    if (record.type === 'snapshot') {
      if (!doc.apply(record.state)) throw new StoreError(`${path}: snapshot does not decode as a ${doc.type} document`)
      loadedVv = record.vv
      loadedLog = []
    } else {
      if (!doc.apply(record.bundle.payload)) throw new StoreError(`${path}: a stored delta does not decode as a ${doc.type} document`)
      loadedLog.push(record.bundle)
    }
  }
  return { log, loadedVv, loadedLog, truncatedBytes: loaded.truncatedBytes }
}

export class StoredReplica<D extends DocState> {
  readonly replica: ReplicaCore<D>
  readonly log: LogFile
  /** Bytes cut off a torn tail when loading (a crash during a write). */
  readonly truncatedBytes: number
  readonly #compactAt: number
  #lastSnapshotBytes = 0
  #compaction: Promise<void> | null = null

  private constructor(replica: ReplicaCore<D>, log: LogFile, truncatedBytes: number, compactAt: number) {
    this.replica = replica
    this.log = log
    this.truncatedBytes = truncatedBytes
    this.#compactAt = compactAt
  }

  static async open<D extends DocState>(init: StoredReplicaInit<D>): Promise<StoredReplica<D>> {
    const { log, loadedVv, loadedLog, truncatedBytes } = await loadDoc(init.path, init.doc, init.signal)
    const replica = new ReplicaCore({ self: init.self, doc: init.doc, config: init.config, rng: init.rng, now: init.now, loadedVv, loadedLog })
    return new StoredReplica(replica, log, truncatedBytes, init.compactAtBytes ?? 1024 * 1024)
  }

  /** Makes a core event durable; resolves when it is on disk (undefined for events that store nothing). */
  record(event: SyncEvent): Promise<void> | undefined {
    if (event.type === 'applied') {
      const done = this.log.append({ type: 'bundle', bundle: event.bundle })
      if (this.#compaction !== null || this.log.size <= Math.max(this.#compactAt, 2 * this.#lastSnapshotBytes)) return done
      return this.compact()
    }
    if (event.type === 'snapshot-applied') return this.compact()
    return undefined
  }

  /** Rewrites the file as one snapshot of the current state. */
  compact(): Promise<void> {
    const state = this.replica.doc.snapshot()
    this.#lastSnapshotBytes = state.length
    const compaction = this.log.compact([{ type: 'snapshot', vv: this.replica.core.versionVector(), state }])
    this.#compaction = compaction.finally(() => { if (this.#compaction === tracked) this.#compaction = null })
    const tracked = this.#compaction
    return compaction
  }

  close(): Promise<void> {
    return this.log.close()
  }
}
