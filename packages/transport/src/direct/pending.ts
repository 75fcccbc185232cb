/**
 * Direct requests awaiting their response on one connection (SPEC.md section 5.5): request ids, a
 * bounded pending map, per-request timeout and abort, and failing everything at once when the
 * connection closes. A response is matched by id and protocol name on the connection that carried
 * the request, so a response on any other connection is a counted drop.
 */
import { AbortError } from '@saorsa-gossip/types'
import { RequestRefusedError, RequestTimeoutError, TooManyRequestsError, type RefusalReason } from '../errors.ts'

/**
 * Requests in flight per connection. 64 covers the fan-out of any layer (a FOAF query asks a handful
 * of neighbours, a key-package fetch one) while bounding the pending map and the timers it holds;
 * bulk data belongs in a stream, not in many concurrent requests.
 */
export const MAX_INFLIGHT_REQUESTS = 64
/** A WAN round trip plus a handler that signs or verifies (ML-DSA-65 in pure JS is ~20 ms), with margin. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000

interface Pending {
  readonly name: string
  readonly resolve: (response: Uint8Array) => void
  readonly reject: (error: Error) => void
}

export class PendingRequests {
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  get size(): number { return this.#pending.size }

  /** Registers a request; `send` is called with its id and must queue the request frame. */
  open(name: string, options: { signal?: AbortSignal | undefined; timeoutMs: number }, send: (id: number) => Promise<void>): Promise<Uint8Array> {
    if (this.#pending.size >= MAX_INFLIGHT_REQUESTS) {
      return Promise.reject(new TooManyRequestsError(`request: ${MAX_INFLIGHT_REQUESTS} requests already in flight on this connection`))
    }
    const id = this.#allocateId()
    const { signal, timeoutMs } = options
    return new Promise<Uint8Array>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#pending.delete(id)
      }
      const onAbort = (): void => { finish(); reject(new AbortError(undefined, { cause: signal?.reason })) }
      const timer = setTimeout(() => { finish(); reject(new RequestTimeoutError(`request on ${name} got no response within ${timeoutMs} ms`)) }, timeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#pending.set(id, {
        name,
        resolve: (response) => { finish(); resolve(response) },
        reject: (error) => { finish(); reject(error) },
      })
      send(id).catch((error: unknown) => this.#pending.get(id)?.reject(error instanceof Error ? error : new Error(String(error))))
    })
  }

  /** Settles the request `id` of protocol `name`; false when no such request waits here (a drop). */
  respond(name: string, id: number, response: Uint8Array): boolean {
    const waiting = this.#pending.get(id)
    if (waiting === undefined || waiting.name !== name) return false
    waiting.resolve(response)
    return true
  }

  refuse(name: string, id: number, reason: RefusalReason): boolean {
    const waiting = this.#pending.get(id)
    if (waiting === undefined || waiting.name !== name) return false
    waiting.reject(new RequestRefusedError(reason))
    return true
  }

  failAll(error: Error): void {
    for (const waiting of [...this.#pending.values()]) waiting.reject(error)
  }

  /** Ids count up from 1 and wrap at 2^32, skipping any still pending (at most 64 are). */
  #allocateId(): number {
    let id = this.#nextId
    while (this.#pending.has(id)) id = id === 0xffffffff ? 1 : id + 1
    this.#nextId = id === 0xffffffff ? 1 : id + 1
    return id
  }
}
