/**
 * A pool of worker threads that check ML-DSA-65 signatures (FIPS 204) off the event loop, for a
 * process whose busiest work is verification (a node relaying many messages, or many nodes in one
 * process). Requests made in one turn of the event loop go to the least busy worker as one packed
 * batch (`batch.ts`); answers keep request order. A worker that fails, or a closed pool, leaves its
 * requests to the fallback backend on the calling thread: every request is answered exactly once.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { throwIfAborted, type AbortOptions } from '@saorsa-gossip/types'
import { assertVerifyArgs, type SignatureBackend } from '../backend.ts'
import { activeMlDsa65Backend } from '../fast-backend.ts'
import { packBatch, type VerifyRequest } from './batch.ts'
import type { ResultMessage } from './worker.ts'

export interface VerifyPoolInit {
  /**
   * Worker threads. Default: the machine's parallelism minus one (the calling thread keeps a core
   * for everything else), at least 1 and at most 4: one worker checks about 7,000 signatures a
   * second, more than four cores of gossip produce.
   */
  readonly threads?: number
  /** `'fast'` (default) loads liboqs in each worker, noble where it cannot load; `'noble'` skips it. */
  readonly prefer?: 'fast' | 'noble'
  /** Checks requests on the calling thread when no worker can. Default: `activeMlDsa65Backend()`. */
  readonly fallback?: SignatureBackend
}

/** Checks signatures on worker threads. `verify` never rejects for a bad signature: it resolves false. */
export interface VerifyPool {
  /**
   * True only for a valid signature of `message` under `publicKey` (raw ML-DSA-65, empty context).
   * Rejects only for non-Uint8Array arguments, or a `signal` aborted when the request is made (a
   * check takes a fraction of a millisecond, so one in flight is not withdrawn).
   */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options?: AbortOptions): Promise<boolean>
  /** Requests made and not yet answered. */
  readonly pending: number
  /** Worker threads still running. */
  readonly threads: number
  /** Requests answered by a worker so far (the rest were checked on the calling thread). */
  readonly workerChecks: number
  /** Stops the workers; requests in flight and later ones are checked on the calling thread. */
  close(): Promise<void>
}

/** Largest batch posted at once, so one slow batch never holds many requests behind it. */
const MAX_BATCH = 64

interface Pending extends VerifyRequest { readonly resolve: (valid: boolean) => void }

interface Thread {
  readonly worker: Worker
  readonly batches: Map<number, Pending[]>
  requests: number
  alive: boolean
}

/**
 * Creates a pool. Workers start at once and load their backend (a few ms); requests made meanwhile
 * wait in their queue.
 *
 * @example
 * ```ts
 * import { createVerifyPool } from '@saorsa-gossip/identity/verify-pool'
 * const pool = createVerifyPool()
 * const valid = await pool.verify(publicKey, signingInput(DOMAIN.test, body), signature)
 * await pool.close()
 * ```
 */
export function createVerifyPool(init: VerifyPoolInit = {}): VerifyPool {
  return new WorkerVerifyPool(init)
}

class WorkerVerifyPool implements VerifyPool {
  readonly #threads: Thread[] = []
  readonly #fallback: SignatureBackend | undefined
  #queue: Pending[] = []
  #flushScheduled = false
  #nextBatch = 1
  #closed = false
  #workerChecks = 0

  constructor(init: VerifyPoolInit) {
    const threads = init.threads ?? Math.min(4, Math.max(1, availableParallelism() - 1))
    if (!Number.isSafeInteger(threads) || threads < 1 || threads > 64) throw new RangeError('threads: expected an integer from 1 to 64')
    if (init.prefer !== undefined && init.prefer !== 'fast' && init.prefer !== 'noble') {
      throw new RangeError(`prefer: expected 'fast' or 'noble', got ${String(init.prefer)}`)
    }
    this.#fallback = init.fallback
    // The compiled worker, from both src/ (tests) and dist/ (the package): ../../dist/ is dist/ in either.
    const url = new URL('../../dist/verify-pool/worker.js', import.meta.url)
    for (let i = 0; i < threads; i++) this.#threads.push(this.#spawn(url, init.prefer ?? 'fast'))
  }

  get pending(): number {
    let n = this.#queue.length
    for (const t of this.#threads) n += t.requests
    return n
  }

  get workerChecks(): number {
    return this.#workerChecks
  }

  get threads(): number {
    return this.#threads.filter((t) => t.alive).length
  }

  async verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, options: AbortOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal)
    assertVerifyArgs(publicKey, message, signature)
    if (this.#closed || this.threads === 0) return this.#inline({ publicKey, message, signature })
    return new Promise<boolean>((resolve) => {
      this.#queue.push({ publicKey, message, signature, resolve })
      if (!this.#flushScheduled) {
        this.#flushScheduled = true
        // Everything requested in this turn (a whole TCP read of frames) leaves as one batch.
        queueMicrotask(() => this.#flush())
      }
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const threads = this.#threads.filter((t) => t.alive)
    for (const t of threads) this.#retire(t)
    this.#drainInline()
    await Promise.all(threads.map((t) => t.worker.terminate()))
  }

  #spawn(url: URL, prefer: 'fast' | 'noble'): Thread {
    const worker = new Worker(url, { workerData: { prefer } })
    const thread: Thread = { worker, batches: new Map(), requests: 0, alive: true }
    worker.on('message', (msg: ResultMessage) => this.#onResult(thread, msg))
    // A worker that dies hands its requests back to this thread; the others carry on.
    worker.on('error', () => this.#retire(thread))
    worker.on('exit', () => this.#retire(thread))
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref()
    return thread
  }

  #flush(): void {
    this.#flushScheduled = false
    while (this.#queue.length > 0) {
      const thread = this.#leastBusy()
      if (thread === undefined) return this.#drainInline()
      const batch = this.#queue.splice(0, MAX_BATCH)
      const id = this.#nextBatch++
      const buffer = packBatch(batch)
      thread.batches.set(id, batch)
      if (thread.requests === 0) thread.worker.ref()
      thread.requests += batch.length
      thread.worker.postMessage({ batch: id, buffer }, [buffer])
    }
  }

  #leastBusy(): Thread | undefined {
    let best: Thread | undefined
    for (const t of this.#threads) if (t.alive && (best === undefined || t.requests < best.requests)) best = t
    return best
  }

  #onResult(thread: Thread, msg: ResultMessage): void {
    const batch = thread.batches.get(msg.batch)
    if (batch === undefined) return
    thread.batches.delete(msg.batch)
    thread.requests -= batch.length
    // Held only while requests are out: an idle pool never keeps the process alive.
    if (thread.requests === 0) thread.worker.unref()
    const results = 'results' in msg && msg.results.length === batch.length ? msg.results : undefined
    if (results !== undefined) this.#workerChecks += batch.length
    for (let i = 0; i < batch.length; i++) {
      const request = batch[i]!
      request.resolve(results === undefined ? this.#inline(request) : results[i] === 1)
    }
  }

  #retire(thread: Thread): void {
    if (!thread.alive) return
    thread.alive = false
    const batches = [...thread.batches.values()]
    thread.batches.clear()
    thread.requests = 0
    thread.worker.unref()
    for (const batch of batches) for (const request of batch) request.resolve(this.#inline(request))
    if (this.threads === 0) this.#drainInline()
  }

  #drainInline(): void {
    const queue = this.#queue
    this.#queue = []
    for (const request of queue) request.resolve(this.#inline(request))
  }

  #inline(request: VerifyRequest): boolean {
    return (this.#fallback ?? activeMlDsa65Backend()).verify(request.publicKey, request.message, request.signature)
  }
}
