/**
 * The carrier contract: a carrier moves raw bytes between two endpoints, reliably and in order.
 * Every carrier (TCP, WebTransport, in-memory, the fault-injection wrapper) implements it, and the
 * post-quantum secure channel (SPEC.md section 5) runs on top, so security never depends on it.
 */
import type { AbortOptions, PeerId } from '@saorsa-gossip/types'

/** The shared options bag of `@saorsa-gossip/types`, re-exported where carriers have always found it. */
export type { AbortOptions }

/** Moves raw bytes between two endpoints, reliably and in order; the secure channel runs on top. */
export interface Carrier {
  /** URL scheme served: 'tcp', 'wt' or 'mem'. Addresses look like `tcp://127.0.0.1:4000`, `wt://host:port`, `mem://name`. */
  readonly scheme: string
  /** Starts listening; `addr` may use port 0. Resolves with the bound listener (its `addr` has the real port). */
  listen(addr: string, onPipe: (pipe: BytePipe) => void, options?: AbortOptions): Promise<CarrierListener>
  /** `localPort` binds the local end where the carrier can (TCP); other carriers ignore it. */
  dial(addr: string, options?: AbortOptions & { localPort?: number }): Promise<BytePipe>
  /** Releases shared resources (closes listeners and pipes it still tracks). Idempotent. */
  close(): Promise<void>
}

export interface CarrierListener { readonly addr: string; close(): Promise<void> }

/** A reliable, ordered, bidirectional byte pipe: one TCP socket, one long-lived WebTransport stream, one in-memory pair. */
export interface BytePipe {
  readonly localAddr: string
  /** The remote endpoint as this side observes it (used for address reflection). */
  readonly remoteAddr: string
  /** Resolves once the carrier accepted the bytes (its buffer is under the high-water mark). Rejects with
   *  ConnectionClosedError if the pipe is closed or closes while waiting: it never hangs after close.
   *  The carrier takes ownership of `chunk` (it may keep a reference until sent, to avoid a copy): the
   *  caller must not modify it afterwards. */
  write(chunk: Uint8Array): Promise<void>
  /** Installs the reader (once). Chunks arrive in order with arbitrary boundaries; `onEnd` is called exactly once. */
  setReader(reader: { onData(chunk: Uint8Array): void; onEnd(error?: Error): void }): void
  /** Read-side flow control. */
  pause(): void
  resume(): void
  /** Idempotent. Pending and later writes reject with ConnectionClosedError. */
  close(error?: Error): void
}
