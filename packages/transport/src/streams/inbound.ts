/**
 * The receiving end of one bulk stream (SPEC.md section 5.6): buffers only bytes actually received,
 * within a window reserved from the transport's memory budget, and grants the window back as credit
 * as the reader consumes it, so a slow reader stalls its sender instead of growing memory.
 */
import type { PeerId } from '@saorsa-gossip/types'
import { FrameError, StreamResetError, type StreamResetReason } from '../errors.ts'
import type { StreamProtocol } from '../protocols.ts'
import type { MemoryBudget } from './budget.ts'

/**
 * The credit a sender starts with and the most a receiver holds per stream: 1 MiB (four chunks) keeps
 * about 10 MB/s per stream on a 100 ms round trip, while a stalled reader pins at most 1 MiB.
 */
export const STREAM_WINDOW_BYTES = 1024 * 1024
/** Credit goes back once a quarter of the window was read: few credit frames, the pipe stays full. */
const GRANT_THRESHOLD = STREAM_WINDOW_BYTES / 4
/**
 * A sender that holds credit and sends nothing for this long is stopped, so an opened stream cannot
 * pin its share of the memory budget forever. 30 s is far beyond any scheduling gap of a live sender
 * (bulk is lowest priority, but one chunk goes out per round); a slow reader never counts against it.
 */
export const STREAM_IDLE_TIMEOUT_MS = 30_000

/** What an inbound stream handler receives: the chunks in order, ending when the sender closes. */
export interface IncomingStream extends AsyncIterable<Uint8Array> {
  readonly remotePeer: PeerId
  readonly protocol: string
  /** Reads the whole stream into one buffer (at most the protocol's `maxBytes`). */
  bytes(): Promise<Uint8Array>
}

export interface InboundHooks {
  grant(id: number, bytes: number): void
  stop(id: number, reason: StreamResetReason): void
  finished(id: number): void
}

export class InboundStream implements IncomingStream {
  readonly remotePeer: PeerId
  readonly protocol: string
  readonly #id: number
  readonly #maxBytes: number
  readonly #budget: MemoryBudget
  readonly #reservation: number
  readonly #hooks: InboundHooks
  readonly #chunks: Uint8Array[] = []
  #buffered = 0
  #received = 0
  #creditLeft = STREAM_WINDOW_BYTES
  #readSinceGrant = 0
  #ended = false
  #error: Error | undefined
  #done = false
  #wake: (() => void) | undefined
  #idle: ReturnType<typeof setTimeout> | undefined

  constructor(id: number, protocol: StreamProtocol, remotePeer: PeerId, budget: MemoryBudget, reservation: number, hooks: InboundHooks) {
    this.#id = id
    this.protocol = protocol.name
    this.#maxBytes = protocol.maxBytes
    this.remotePeer = remotePeer
    this.#budget = budget
    this.#reservation = reservation
    this.#hooks = hooks
    this.#armIdle()
  }

  #armIdle(): void {
    clearTimeout(this.#idle)
    this.#idle = setTimeout(() => {
      if (this.#done || this.#ended) return
      // The sender is waiting for us (no credit left): our reader is slow, not the sender idle.
      if (this.#creditLeft === 0) { this.#armIdle(); return }
      this.#hooks.stop(this.#id, 'cancelled')
      this.#fail(new StreamResetError('cancelled', `stream ${this.protocol}: no data for ${STREAM_IDLE_TIMEOUT_MS} ms`))
    }, STREAM_IDLE_TIMEOUT_MS)
    this.#idle.unref?.()
  }

  get buffered(): number { return this.#buffered }

  /** A data frame; throws FrameError when the sender overran the credit it was granted. */
  onData(data: Uint8Array): void {
    if (this.#done || this.#ended) return
    if (data.length > this.#creditLeft) throw new FrameError(`stream ${this.#id}: ${data.length} bytes sent with ${this.#creditLeft} of credit`)
    this.#armIdle()
    this.#creditLeft -= data.length
    this.#received += data.length
    if (this.#received > this.#maxBytes) {
      this.#hooks.stop(this.#id, 'too-large')
      this.#fail(new StreamResetError('too-large', `stream ${this.protocol} exceeded its ${this.#maxBytes}-byte cap`))
      return
    }
    if (data.length === 0) return
    this.#chunks.push(data)
    this.#buffered += data.length
    this.#budget.hold(data.length)
    this.#notify()
  }

  onEnd(): void {
    if (this.#done) return
    this.#ended = true
    clearTimeout(this.#idle)
    this.#notify()
    if (this.#chunks.length === 0) this.#finish()
  }

  /** The sender reset the stream, or the connection closed. */
  fail(error: Error): void {
    this.#fail(error)
  }

  #fail(error: Error): void {
    if (this.#done) return
    this.#error = error
    this.#finish()
    this.#notify()
  }

  #finish(): void {
    if (this.#done) return
    this.#done = true
    clearTimeout(this.#idle)
    this.#budget.drop(this.#buffered)
    this.#chunks.length = 0
    this.#buffered = 0
    this.#budget.release(this.#reservation)
    this.#hooks.finished(this.#id)
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #take(): Uint8Array {
    const chunk = this.#chunks.shift()!
    this.#buffered -= chunk.length
    this.#budget.drop(chunk.length)
    this.#readSinceGrant += chunk.length
    if (this.#ended) {
      if (this.#chunks.length === 0) this.#finish()
    } else if (this.#readSinceGrant >= GRANT_THRESHOLD) {
      this.#creditLeft += this.#readSinceGrant
      this.#hooks.grant(this.#id, this.#readSinceGrant)
      this.#readSinceGrant = 0
    }
    return chunk
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      while (true) {
        if (this.#chunks.length > 0) { yield this.#take(); continue }
        if (this.#error !== undefined) throw this.#error
        if (this.#ended || this.#done) return
        await new Promise<void>((resolve) => { this.#wake = resolve })
      }
    } finally {
      // A reader that stops early (break, throw) tells the sender to stop and frees the window.
      if (!this.#done) {
        this.#hooks.stop(this.#id, 'cancelled')
        this.#fail(new StreamResetError('cancelled', 'the reader stopped reading'))
      }
    }
  }

  /**
   * The chunks collected here stay charged to the memory budget until the whole stream is in, so the
   * budget bounds what the transport holds even for readers that gather a stream before using it.
   */
  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = []
    let total = 0
    try {
      for await (const chunk of this) {
        if (!this.#budget.tryReserve(chunk.length)) {
          const error = new StreamResetError('busy', `stream ${this.protocol}: the transport memory budget is spent`)
          this.#hooks.stop(this.#id, 'busy')
          this.#fail(error)
          throw error
        }
        parts.push(chunk)
        total += chunk.length
      }
    } finally {
      this.#budget.release(total)
    }
    if (parts.length === 1) return parts[0]!
    const out = new Uint8Array(total)
    let offset = 0
    for (const part of parts) { out.set(part, offset); offset += part.length }
    return out
  }
}
