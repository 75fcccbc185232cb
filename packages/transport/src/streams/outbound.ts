/**
 * The sending end of one bulk stream (SPEC.md section 5.6): writes queue without copying and resolve
 * once their last byte was handed to the carrier; the connection's scheduler takes at most one chunk
 * per round and only within the credit the receiver granted, so a slow reader makes `write` wait.
 */
import { AbortError, InvalidParametersError, raceAbort } from '@saorsa-gossip/types'
import type { AbortOptions } from '../carrier.ts'
import { StreamResetError, type StreamResetReason } from '../errors.ts'
import { FRAME_KIND, frame, prefixedFrame, STREAM_CHUNK_BYTES, writeU32, type OutFrame } from '../frames.ts'
import { encodeProtocolName, type StreamProtocol } from '../protocols.ts'
import { STREAM_WINDOW_BYTES } from './inbound.ts'

/** The writable end returned by `openStream`. */
export interface StreamWriter {
  readonly protocol: StreamProtocol
  /** Queues `chunk` (not copied: leave it unchanged until the promise resolves, when it reached the carrier). */
  write(chunk: Uint8Array, options?: AbortOptions): Promise<void>
  /** Ends the stream after the queued writes; resolves when the end frame reached the carrier. */
  close(): Promise<void>
  /** Resets the stream: pending writes reject, the receiver's reader fails with StreamResetError('aborted'). */
  abort(reason?: unknown): void
}

interface Write {
  readonly data: Uint8Array
  offset: number
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

export interface OutboundHooks {
  /** Something became sendable: schedule a round. */
  wake(): void
  /** Forget the stream, queueing a reset frame when the receiver already knows it. */
  reset(id: number, frame: OutFrame | undefined): void
}

function idFrame(kind: number, id: number, extra: Uint8Array = new Uint8Array(0)): OutFrame {
  const body = new Uint8Array(4 + extra.length)
  writeU32(body, 0, id)
  body.set(extra, 4)
  return frame(kind, body)
}

export function streamResetFrame(kind: number, id: number, code: number): OutFrame {
  return idFrame(kind, id, new Uint8Array([code]))
}

export class OutboundStream implements StreamWriter {
  readonly protocol: StreamProtocol
  readonly id: number
  readonly #hooks: OutboundHooks
  readonly #writes: Write[] = []
  #credit = STREAM_WINDOW_BYTES
  #written = 0
  #opened = false
  #closing: { resolve: () => void; reject: (error: Error) => void; promise: Promise<void> } | undefined
  #error: Error | undefined
  #ended = false

  constructor(id: number, protocol: StreamProtocol, hooks: OutboundHooks) {
    this.id = id
    this.protocol = protocol
    this.#hooks = hooks
  }

  get finished(): boolean { return this.#error !== undefined || this.#ended }

  write(chunk: Uint8Array, options?: AbortOptions): Promise<void> {
    if (!(chunk instanceof Uint8Array)) return Promise.reject(new InvalidParametersError('write: chunk must be a Uint8Array'))
    if (this.#error !== undefined) return Promise.reject(this.#error)
    if (this.#closing !== undefined) return Promise.reject(new InvalidParametersError('write: the stream is closed'))
    if (options?.signal?.aborted === true) return Promise.reject(new AbortError(undefined, { cause: options.signal.reason }))
    if (this.#written + chunk.length > this.protocol.maxBytes) {
      return Promise.reject(new InvalidParametersError(`write: ${this.protocol.name} streams carry at most ${this.protocol.maxBytes} bytes`))
    }
    this.#written += chunk.length
    const done = new Promise<void>((resolve, reject) => { this.#writes.push({ data: chunk, offset: 0, resolve, reject }) })
    this.#hooks.wake()
    // An abort while waiting for credit resets the stream: part of the chunk may already be on the wire.
    return raceAbort(done, options?.signal).catch((error: unknown) => {
      if (error instanceof AbortError) this.abort(error)
      throw error
    })
  }

  close(): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error)
    if (this.#closing === undefined) {
      let resolve!: () => void
      let reject!: (error: Error) => void
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
      this.#closing = { resolve, reject, promise }
      this.#hooks.wake()
    }
    return this.#closing.promise
  }

  abort(reason?: unknown): void {
    if (this.#error !== undefined || this.#ended) return
    this.#fail(new StreamResetError('aborted', reason instanceof Error ? `stream aborted: ${reason.message}` : 'stream aborted'))
    // A stream whose open frame never left has nothing to reset on the other side.
    this.#hooks.reset(this.id, this.#opened ? streamResetFrame(FRAME_KIND.streamReset, this.id, RESET_CODES.indexOf('aborted') + 1) : undefined)
  }

  addCredit(bytes: number): void {
    // A receiver cannot usefully grant more than 2^32 at once; the sum is capped to stay an exact integer.
    this.#credit = Math.min(Number.MAX_SAFE_INTEGER, this.#credit + bytes)
    this.#hooks.wake()
  }

  /** The receiver stopped the stream, or the connection closed. */
  fail(error: Error): void {
    this.#fail(error)
  }

  #fail(error: Error): void {
    if (this.#error !== undefined || this.#ended) return
    this.#error = error
    for (const w of this.#writes.splice(0)) w.reject(error)
    this.#closing?.reject(error)
    void this.#closing?.promise.catch(() => {})
  }

  /** Whether the scheduler can take frames from this stream now. */
  get ready(): boolean {
    if (this.#error !== undefined || this.#ended) return false
    if (!this.#opened) return this.#writes.length > 0 || this.#closing !== undefined
    if (this.#writes.length > 0) return this.#credit > 0
    return this.#closing !== undefined
  }

  /** The next frames (open, one chunk, end) and what to settle once they reached the carrier. */
  take(): { frames: OutFrame[]; sent: () => void; chunks: number } {
    const frames: OutFrame[] = []
    const settled: Array<() => void> = []
    let chunks = 0
    if (!this.#opened) {
      this.#opened = true
      const name = encodeProtocolName(this.protocol.name)
      const body = new Uint8Array(4 + name.length)
      writeU32(body, 0, this.id)
      body.set(name, 4)
      frames.push(frame(FRAME_KIND.streamOpen, body))
    }
    const write = this.#writes[0]
    if (write !== undefined && this.#credit > 0) {
      const size = Math.min(STREAM_CHUNK_BYTES, this.#credit, write.data.length - write.offset)
      const prefix = new Uint8Array(4)
      writeU32(prefix, 0, this.id)
      frames.push(prefixedFrame(FRAME_KIND.streamData, prefix, write.data.subarray(write.offset, write.offset + size)))
      write.offset += size
      this.#credit -= size
      chunks++
      if (write.offset >= write.data.length) { this.#writes.shift(); settled.push(write.resolve) }
    }
    if (this.#writes.length === 0 && this.#closing !== undefined) {
      frames.push(idFrame(FRAME_KIND.streamEnd, this.id))
      this.#ended = true
      settled.push(this.#closing.resolve)
    }
    return { frames, chunks, sent: () => { for (const s of settled) s() } }
  }
}

/** Reset and stop codes on the wire are the 1-based index in this list. */
export const RESET_CODES: readonly StreamResetReason[] = ['no-handler', 'too-large', 'busy', 'cancelled', 'aborted']
