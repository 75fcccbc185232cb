/**
 * Owns a pipe's reader across the handshake and the record phase: it hands out length-prefixed
 * handshake messages (capped at LIMITS.maxHandshakeBytes before any allocation), then passes the
 * bytes that followed the last handshake message, and everything after, to the connection.
 */
import { LIMITS } from '@saorsa-gossip/types'
import type { BytePipe } from '../carrier.ts'
import { ConnectionClosedError, HandshakeError } from '../errors.ts'

/** Buffered bytes above which the pipe is paused until the connection takes over. */
const PAUSE_ABOVE_BYTES = 4 * LIMITS.maxHandshakeBytes

export interface InboxConsumer { onData(chunk: Uint8Array): void; onEnd(error?: Error): void }

export class PipeInbox {
  readonly #pending: Uint8Array[] = []
  #pendingBytes = 0
  #ended: { error: Error | undefined } | undefined
  #consumer: InboxConsumer | undefined
  #waiter: { resolve: (m: Uint8Array) => void; reject: (e: Error) => void } | undefined

  constructor(readonly pipe: BytePipe) {
    pipe.setReader({
      onData: (chunk) => {
        if (this.#consumer !== undefined) { this.#consumer.onData(chunk); return }
        this.#pending.push(chunk)
        this.#pendingBytes += chunk.length
        // Early records after M3 wait here; stop reading rather than buffer without bound.
        if (this.#pendingBytes > PAUSE_ABOVE_BYTES) pipe.pause()
        this.#serve()
      },
      onEnd: (error) => {
        if (this.#consumer !== undefined) { this.#consumer.onEnd(error); return }
        this.#ended = { error }
        this.#serve()
      },
    })
  }

  /** The next handshake message (`u32be length || message`). Rejects with HandshakeError on a bad length or end. */
  next(): Promise<Uint8Array> {
    if (this.#waiter !== undefined) return Promise.reject(new HandshakeError('concurrent handshake reads'))
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject }
      this.#serve()
    })
  }

  /** Fails a pending `next()` (timeout, abort). */
  abort(error: Error): void {
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.reject(error)
  }

  /** Switches to record mode: leftover bytes (and a pending end) go to `consumer` first. */
  handover(consumer: InboxConsumer): void {
    this.#consumer = consumer
    const leftover = this.#pending.splice(0)
    this.#pendingBytes = 0
    for (const chunk of leftover) consumer.onData(chunk)
    if (this.#ended !== undefined) consumer.onEnd(this.#ended.error)
    else this.pipe.resume()
  }

  #serve(): void {
    const waiter = this.#waiter
    if (waiter === undefined) return
    if (this.#pendingBytes >= 4) {
      const header = this.#peek(4)
      const length = ((header[0]! << 24) >>> 0) + (header[1]! << 16) + (header[2]! << 8) + header[3]!
      if (length === 0 || length > LIMITS.maxHandshakeBytes) {
        this.#waiter = undefined
        waiter.reject(new HandshakeError(`handshake message length ${length} outside 1..${LIMITS.maxHandshakeBytes}`))
        return
      }
      if (this.#pendingBytes >= 4 + length) {
        this.#waiter = undefined
        const message = this.#take(4 + length).subarray(4)
        waiter.resolve(message)
        return
      }
    }
    if (this.#ended !== undefined) {
      this.#waiter = undefined
      waiter.reject(new HandshakeError('pipe ended during the handshake', { cause: this.#ended.error ?? new ConnectionClosedError() }))
    }
  }

  #peek(n: number): Uint8Array {
    const first = this.#pending[0]!
    if (first.length >= n) return first.subarray(0, n)
    const out = new Uint8Array(n)
    let filled = 0
    for (const chunk of this.#pending) {
      const take = Math.min(n - filled, chunk.length)
      out.set(chunk.subarray(0, take), filled)
      filled += take
      if (filled === n) break
    }
    return out
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.#pending[0]!
      const take = Math.min(n - filled, chunk.length)
      out.set(chunk.subarray(0, take), filled)
      filled += take
      if (take === chunk.length) this.#pending.shift()
      else this.#pending[0] = chunk.subarray(take)
    }
    this.#pendingBytes -= n
    return out
  }
}

/** `u32be length || message`, the handshake-phase framing on the pipe. */
export function lengthPrefixed(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + message.length)
  new DataView(out.buffer).setUint32(0, message.length)
  out.set(message, 4)
  return out
}
