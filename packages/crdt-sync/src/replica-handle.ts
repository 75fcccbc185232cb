/**
 * The typed replica `crdt.open()` returns: the document of the requested type, `change` events for
 * local and remote changes, an async iterator of remote changes with a bounded buffer, `flushed()`
 * to wait until every change so far is durable, and `close()`.
 */
import { AbortError, type AbortOptions, type TopicId } from '@saorsa-gossip/types'
import type { CounterDoc, MapDoc, RegisterDoc, SetDoc } from './docs/crdt-docs.ts'
import type { DocState, DocType } from './docs/doc-state.ts'
import type { TextDoc } from './docs/text-doc.ts'
import type { Cover } from './proto/messages.ts'

export type DocFor<T extends DocType> = T extends 'set' ? SetDoc : T extends 'map' ? MapDoc : T extends 'register' ? RegisterDoc
  : T extends 'counter' ? CounterDoc : TextDoc

export interface ReplicaChange {
  readonly local: boolean
  /** Per origin (PeerId hex), the sequence numbers (from, to] the change covers. */
  readonly cover: readonly Cover[]
}

export interface ReplicaEvents {
  change: CustomEvent<ReplicaChange>
}

/** Remote changes buffered per iterator before the oldest are dropped (a slow reader lags, it does not grow memory). */
const CHANGE_BUFFER = 1_024

export class Replica<D extends DocState> extends EventTarget {
  readonly docId: string
  readonly topic: TopicId
  readonly doc: D
  readonly #close: () => Promise<void>
  readonly #readers = new Set<{ queue: ReplicaChange[]; wake: (() => void) | undefined; lagged: number }>()
  #durable: Promise<void> = Promise.resolve()
  #closed = false

  constructor(docId: string, topic: TopicId, doc: D, close: () => Promise<void>) {
    super()
    this.docId = docId
    this.topic = topic
    this.doc = doc
    this.#close = close
  }

  get type(): DocType {
    return this.doc.type
  }

  /** Resolves when every change made or received so far is on disk (at once without a store). */
  async flushed(options: AbortOptions = {}): Promise<void> {
    if (options.signal?.aborted === true) throw new AbortError()
    await this.#durable
  }

  /**
   * Remote changes as they are applied, from this call on (the reader registers at once, not at
   * its first `next()`), until the replica closes or `signal` fires.
   */
  changes(options: AbortOptions = {}): AsyncIterableIterator<ReplicaChange> {
    const reader = { queue: [] as ReplicaChange[], wake: undefined as (() => void) | undefined, lagged: 0 }
    this.#readers.add(reader)
    const finish = (): IteratorResult<ReplicaChange> => {
      this.#readers.delete(reader)
      options.signal?.removeEventListener('abort', onAbort)
      return { done: true, value: undefined }
    }
    const onAbort = () => reader.wake?.()
    options.signal?.addEventListener('abort', onAbort)
    const next = async (): Promise<IteratorResult<ReplicaChange>> => {
      for (;;) {
        if (options.signal?.aborted === true || this.#closed) return finish()
        const change = reader.queue.shift()
        if (change !== undefined) return { done: false, value: change }
        await new Promise<void>((resolve) => { reader.wake = resolve })
        reader.wake = undefined
      }
    }
    return {
      next,
      return: async () => finish(),
      [Symbol.asyncIterator]() { return this },
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const r of this.#readers) r.wake?.()
    await this.#close()
  }

  /** @internal Called by the service for every applied change. */
  notify(change: ReplicaChange): void {
    this.dispatchEvent(new CustomEvent('change', { detail: change }))
    if (change.local) return
    for (const r of this.#readers) {
      if (r.queue.length >= CHANGE_BUFFER) {
        r.queue.shift()
        r.lagged++
      }
      r.queue.push(change)
      r.wake?.()
    }
  }

  /** @internal The service's latest durability promise. */
  track(durable: Promise<void>): void {
    this.#durable = durable
  }
}
