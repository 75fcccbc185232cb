/**
 * A BytePipe (carrier contract, src/carrier.ts) over one WebTransport session that carries exactly
 * one long-lived bidirectional stream. Every wait is raced against the session's end, because the
 * library never settles a write that is blocked on flow control when the session dies.
 */
import type { BytePipe } from '../carrier.ts'
import { closedError, DrainWaiters } from '../carriers/waiters.ts'
import { ConnectionClosedError } from '../errors.ts'
import type { WtBidirectionalStream, WtSession } from './library.ts'

type Reader = { onData(chunk: Uint8Array): void; onEnd(error?: Error): void }

/** Session close codes this carrier sends (the peer only distinguishes zero from non-zero). */
export const CLOSE_GRACEFUL = 0
export const CLOSE_ERROR = 1
/**
 * The reason sent with an error close: always this, never the local error's text (which may name the
 * peer we expected, or what exactly failed in a handshake). The details stay in the local error.
 */
export const ERROR_CLOSE_REASON = 'error'

/** WebTransport close reasons are limited to 1024 bytes; ours stay short. */
const MAX_REASON_CHARS = 120

export interface WtPipeInit {
  session: WtSession
  stream: WtBidirectionalStream
  localAddr: string
  remoteAddr: string
  /** After a graceful close, how long to wait for the peer to close the session before closing it ourselves. */
  lingerMs: number
  onGone: (pipe: WtPipe) => void
}

export class WtPipe implements BytePipe {
  readonly localAddr: string
  readonly remoteAddr: string
  readonly #session: WtSession
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  readonly #drain = new DrainWaiters()
  readonly #lingerMs: number
  readonly #onGone: (pipe: WtPipe) => void
  #consumer: Reader | undefined
  #pendingEnd: { error: Error | undefined } | undefined
  #closed = false
  #ended = false
  #paused = false
  #reading = false
  #sessionGone = false
  /** A chunk whose read completed after pause(); delivered first on resume(). */
  #held: Uint8Array | undefined

  constructor(init: WtPipeInit) {
    this.localAddr = init.localAddr
    this.remoteAddr = init.remoteAddr
    this.#session = init.session
    this.#lingerMs = init.lingerMs
    this.#onGone = init.onGone
    this.#writer = init.stream.writable.getWriter()
    this.#reader = init.stream.readable.getReader()
    this.#writer.closed.catch(() => { /* reported through the session */ })
    this.#reader.closed.catch(() => { /* reported through the read loop */ })
    init.session.closed.then(
      (info) => this.#onSessionClosed((info.closeCode ?? 0) === CLOSE_GRACEFUL ? undefined : new Error(`session closed with code ${info.closeCode}: ${info.reason ?? ''}`)),
      (error: unknown) => this.#onSessionClosed(error instanceof Error ? error : new Error(String(error))),
    )
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(closedError())
    // The library keeps the chunk until flow control lets it out; callers may reuse theirs.
    if (chunk.length === 0) return Promise.resolve()
    this.#writer.write(chunk.slice()).catch((error: unknown) => this.#fail(error))
    if ((this.#writer.desiredSize ?? 0) > 0) return Promise.resolve()
    const waiting = this.#drain.wait()
    this.#writer.ready.then(() => this.#drain.resolveAll(), () => { /* #fail rejects the waiters */ })
    return waiting
  }

  setReader(reader: Reader): void {
    if (this.#consumer !== undefined) throw new Error('setReader: a reader is already installed')
    this.#consumer = reader
    if (this.#pendingEnd !== undefined) {
      const { error } = this.#pendingEnd
      queueMicrotask(() => reader.onEnd(error))
      return
    }
    this.#pump()
  }

  pause(): void {
    this.#paused = true
  }

  resume(): void {
    this.#paused = false
    this.#pump()
  }

  close(error?: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.#drain.rejectAll(closedError(error))
    this.#notifyEnd(error)
    this.#reader.cancel().catch(() => { /* session may be gone */ })
    if (error !== undefined || this.#sessionGone) {
      this.#closeSession(CLOSE_ERROR, error === undefined ? 'closed' : ERROR_CLOSE_REASON)
      return
    }
    // Graceful: FIN after everything already written; the peer reads it, ends its pipe and
    // closes the session. If it does not within the linger time, close the session ourselves.
    this.#writer.close().catch(() => { /* session may be gone */ })
    const timer = setTimeout(() => this.#closeSession(CLOSE_GRACEFUL, 'closed'), this.#lingerMs)
    timer.unref()
    this.#session.closed.finally(() => clearTimeout(timer)).catch(() => { /* see constructor */ })
  }

  /** Used by the carrier and listener on shutdown. */
  destroy(reason: string): void {
    this.close(new ConnectionClosedError(reason))
  }

  #pump(): void {
    if (this.#reading || this.#paused || this.#consumer === undefined || this.#ended) return
    const held = this.#held
    if (held !== undefined) {
      this.#held = undefined
      this.#consumer.onData(held)
      this.#pump()
      return
    }
    this.#reading = true
    this.#reader.read().then(
      ({ value, done }) => {
        this.#reading = false
        if (done) { this.#finish(undefined); return }
        if (this.#ended) return
        if (this.#paused) { this.#held = value; return }
        this.#consumer?.onData(value)
        this.#pump()
      },
      (error: unknown) => {
        this.#reading = false
        this.#fail(error)
      },
    )
  }

  #onSessionClosed(error: Error | undefined): void {
    this.#sessionGone = true
    this.#drain.rejectAll(closedError(error))
    this.#onGone(this)
    // A graceful close leaves data and the FIN queued in the stream: the read loop delivers them
    // (when not paused) and then ends the pipe. An error close discards them, so end now.
    if (error !== undefined) this.#finish(error)
    else if (!this.#closed) {
      this.#closed = true
      this.#pump()
    }
  }

  #fail(error: unknown): void {
    this.#finish(error instanceof Error ? error : new Error(String(error)))
  }

  /** The stream ended (FIN) or failed: this pipe is closed for both directions. */
  #finish(error: Error | undefined): void {
    const wrapped = error === undefined ? undefined : closedError(error)
    if (!this.#closed) {
      this.#closed = true
      this.#drain.rejectAll(closedError(error))
      this.#closeSession(error === undefined ? CLOSE_GRACEFUL : CLOSE_ERROR, error === undefined ? 'end of stream' : ERROR_CLOSE_REASON)
    }
    this.#notifyEnd(wrapped)
  }

  #closeSession(code: number, reason: string): void {
    if (this.#sessionGone) return
    try {
      this.#session.close({ closeCode: code, reason: reason.slice(0, MAX_REASON_CHARS) })
    } catch {
      // the session ended concurrently; its closed promise reports it
    }
  }

  #notifyEnd(error: Error | undefined): void {
    if (this.#ended) return
    this.#ended = true
    const consumer = this.#consumer
    if (consumer === undefined) this.#pendingEnd = { error }
    else queueMicrotask(() => consumer.onEnd(error))
  }
}
