/**
 * One authenticated connection (SPEC.md sections 5.4-5.6): a strict-priority frame scheduler on the
 * send side (control, then every queued mship frame, then pubsub, then ONE bulk chunk per round),
 * bounded per-class queues, bulk reassembly with a size cap, read pausing when handlers lag, and a
 * single fail-closed path: any record, frame or carrier failure ends the connection with a typed error.
 */
import { AbortError, InvalidParametersError, raceAbort, LIMITS, toHex, type PeerId } from '@saorsa-gossip/types'
import type { AbortOptions, BytePipe } from './carrier.ts'
import type { Aead } from './channel/aead.ts'
import type { HandshakeResult } from './channel/handshake.ts'
import type { PipeInbox } from './channel/pipe-inbox.ts'
import { MAX_RECORD_PLAINTEXT, RecordOpener, RecordSealer, type RekeyPolicy } from './channel/records.ts'
import { DrainWaiters, closedError } from './carriers/waiters.ts'
import { ConnectionClosedError, FrameError, RecordAuthError } from './errors.ts'
import { FRAME_HEADER_BYTES, FRAME_KIND, frame, frameSize, parseFrames, PING_BYTES, type OutFrame, type StreamClass } from './frames.ts'
import type { Connection, ConnectionStats, MessageHandler } from './types.ts'

export interface ConnectionInit {
  readonly id: string
  readonly direction: 'inbound' | 'outbound'
  readonly pipe: BytePipe
  readonly inbox: PipeInbox
  readonly handshake: HandshakeResult
  readonly aead: Aead
  readonly rekey: RekeyPolicy
  readonly maxBulkMessageBytes: number
  readonly highWaterMark: number
  readonly maxPendingHandlers: number
  readonly handlerFor: (streamClass: StreamClass) => MessageHandler | undefined
  readonly onClosed: (connection: SecureConnection, error: Error | undefined) => void
}

interface BulkJob {
  readonly message: Uint8Array
  offset: number
  started: boolean
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

/** Bulk chunk payload so that the chunk frame body (with the 4-byte total on the first) stays within the cap. */
const BULK_CHUNK_DATA = LIMITS.maxBulkFrameBytes - 4
/** An orderly close waits this long for queued frames to reach the carrier before it drops them. */
const CLOSE_FLUSH_MS = 5_000
/** Control frames (pongs, close) queued while the carrier is not accepting writes. */
const MAX_QUEUED_CONTROL = 1024
const CLASS_CAP = { mship: LIMITS.maxMshipFrameBytes, pubsub: LIMITS.maxPubsubFrameBytes } as const

export class SecureConnection implements Connection {
  readonly id: string
  readonly remotePeer: PeerId
  readonly remotePublicKey: Uint8Array
  readonly remoteAddr: string
  readonly observedAddr: string
  readonly direction: 'inbound' | 'outbound'
  readonly closed: Promise<void>
  readonly #init: ConnectionInit
  readonly #pipe: BytePipe
  readonly #sealer: RecordSealer
  readonly #opener: RecordOpener
  readonly #control: OutFrame[] = []
  readonly #queues = { mship: [] as OutFrame[], pubsub: [] as OutFrame[] }
  readonly #queuedBytes = { mship: 0, pubsub: 0 }
  readonly #space = { mship: new DrainWaiters(), pubsub: new DrainWaiters() }
  readonly #bulk: BulkJob[] = []
  readonly #pings = new Map<string, { start: number; resolve: (rtt: number) => void; reject: (e: Error) => void }>()
  #bulkIn: { buffer: Uint8Array; filled: number } | undefined
  #pumping = false
  #pumpScheduled = false
  #closing = false
  #dead = false
  #closeError: Error | undefined
  #resolveClosed!: () => void
  #pendingHandlers = 0
  #stats = { recordsSent: 0, recordsReceived: 0, bytesSent: 0, bytesReceived: 0, bulkChunksSent: 0, bulkChunksReceived: 0, handlerErrors: 0 }

  constructor(init: ConnectionInit) {
    this.#init = init
    this.#pipe = init.pipe
    this.id = init.id
    this.direction = init.direction
    this.remotePeer = init.handshake.remotePeer
    this.remotePublicKey = init.handshake.remotePublicKey
    this.remoteAddr = init.pipe.remoteAddr
    this.observedAddr = init.handshake.observedAddr
    this.#sealer = new RecordSealer(init.aead, init.handshake.sendKey, init.rekey)
    this.#opener = new RecordOpener(init.aead, init.handshake.receiveKey, init.rekey)
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve })
  }

  /** Starts reading (bytes that followed the handshake first); called once the owner has registered the connection. */
  start(): void {
    this.#init.inbox.handover({ onData: (chunk) => this.#onData(chunk), onEnd: (error) => this.#onEnd(error) })
  }

  get closeError(): Error | undefined { return this.#closeError }
  get isOpen(): boolean { return !this.#dead && !this.#closing }

  stats(): ConnectionStats {
    return { ...this.#stats, sendEpoch: this.#sealer.epoch, receiveEpoch: this.#opener.epoch }
  }

  async send(streamClass: StreamClass, message: Uint8Array, options?: AbortOptions): Promise<void> {
    if (!(message instanceof Uint8Array)) throw new InvalidParametersError('send: message must be a Uint8Array')
    const signal = options?.signal
    if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason })
    if (!this.isOpen) throw closedError(this.#closeError)
    if (streamClass === 'bulk') return this.#sendBulk(message, signal)
    if (streamClass !== 'mship' && streamClass !== 'pubsub') throw new InvalidParametersError(`send: unknown stream class "${String(streamClass)}"`)
    const cap = CLASS_CAP[streamClass]
    if (message.length > cap) throw new InvalidParametersError(`send: ${streamClass} message of ${message.length} bytes exceeds the ${cap}-byte cap`)
    while (this.#queuedBytes[streamClass] >= this.#init.highWaterMark) {
      await raceAbort(this.#space[streamClass].wait(), signal)
      if (!this.isOpen) throw closedError(this.#closeError)
    }
    const out = frame(FRAME_KIND[streamClass], message.slice())
    this.#queues[streamClass].push(out)
    this.#queuedBytes[streamClass] += frameSize(out)
    this.#schedulePump()
  }

  #sendBulk(message: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    if (message.length > this.#init.maxBulkMessageBytes) {
      return Promise.reject(new InvalidParametersError(`send: bulk message of ${message.length} bytes exceeds maxBulkMessageBytes ${this.#init.maxBulkMessageBytes}`))
    }
    return new Promise<void>((resolve, reject) => {
      const job: BulkJob = { message, offset: 0, started: false, resolve, reject }
      this.#bulk.push(job)
      // A transfer can be cancelled until its first chunk is sent; after that it completes or the connection closes.
      signal?.addEventListener('abort', () => {
        const index = this.#bulk.indexOf(job)
        if (index >= 0 && !job.started) {
          this.#bulk.splice(index, 1)
          reject(new AbortError(undefined, { cause: signal.reason }))
        }
      }, { once: true })
      this.#schedulePump()
    })
  }

  async ping(options?: AbortOptions): Promise<number> {
    if (!this.isOpen) throw closedError(this.#closeError)
    const token = globalThis.crypto.getRandomValues(new Uint8Array(PING_BYTES))
    const key = toHex(token)
    const rtt = new Promise<number>((resolve, reject) => this.#pings.set(key, { start: performance.now(), resolve, reject }))
    this.#control.push(frame(FRAME_KIND.ping, token))
    this.#schedulePump()
    try {
      return await raceAbort(rtt, options?.signal)
    } finally {
      this.#pings.delete(key)
    }
  }

  close(): Promise<void> {
    if (this.#dead || this.#closing) return this.closed
    this.#closing = true
    const error = new ConnectionClosedError('connection closed locally')
    for (const cls of ['mship', 'pubsub'] as const) this.#space[cls].rejectAll(error)
    for (const job of this.#bulk.filter((j) => !j.started)) { this.#bulk.splice(this.#bulk.indexOf(job), 1); job.reject(error) }
    this.#control.push(frame(FRAME_KIND.close, new TextEncoder().encode('normal')))
    this.#schedulePump()
    const timer = setTimeout(() => this.#terminate(undefined), CLOSE_FLUSH_MS)
    timer.unref?.()
    void this.closed.then(() => clearTimeout(timer))
    return this.closed
  }

  /** Fails the connection with `error` (typed), closing the pipe abruptly. */
  fail(error: Error): void {
    this.#terminate(error)
  }

  #schedulePump(): void {
    if (this.#pumping || this.#pumpScheduled || this.#dead) return
    this.#pumpScheduled = true
    // One macrotask later, so every send made in this turn of the event loop shares the same records.
    setImmediate(() => {
      this.#pumpScheduled = false
      void this.#pump()
    })
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (!this.#dead) {
        const frames: OutFrame[] = this.#control.splice(0)
        for (const cls of ['mship', 'pubsub'] as const) {
          // Taken frames leave the queue at once, so senders refill it while this round is written
          // (memory stays bounded by the queue mark plus the one round in flight).
          for (const f of this.#queues[cls].splice(0)) { frames.push(f); this.#queuedBytes[cls] -= frameSize(f) }
          this.#space[cls].resolveAll()
        }
        let finished: BulkJob | undefined
        const job = this.#bulk[0]
        if (job !== undefined) {
          frames.push(this.#nextBulkChunk(job))
          if (job.offset >= job.message.length) { this.#bulk.shift(); finished = job }
        }
        if (frames.length === 0) break
        const records = this.#seal(frames)
        if (records.length === 1) await this.#pipe.write(records[0]!)
        else await Promise.all(records.map((r) => this.#pipe.write(r)))
        finished?.resolve()
        // Yield one macrotask before the next round, so sends made meanwhile are batched into it
        // instead of alternating with the pump one frame per record.
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    } catch (error) {
      this.#terminate(error instanceof Error ? error : new ConnectionClosedError(String(error)))
    } finally {
      this.#pumping = false
    }
    if (this.#closing && !this.#dead) this.#terminate(undefined)
  }

  #nextBulkChunk(job: BulkJob): OutFrame {
    this.#stats.bulkChunksSent++
    const { message } = job
    if (!job.started) {
      job.started = true
      const data = message.subarray(0, Math.min(BULK_CHUNK_DATA, message.length))
      job.offset = data.length
      const header = new Uint8Array(FRAME_HEADER_BYTES + 4)
      const view = new DataView(header.buffer)
      view.setUint32(0, data.length + 4)
      header[4] = FRAME_KIND.bulkFirst
      view.setUint32(5, message.length)
      return { header, body: data }
    }
    const data = message.subarray(job.offset, Math.min(job.offset + BULK_CHUNK_DATA, message.length))
    job.offset += data.length
    return frame(FRAME_KIND.bulkMore, data)
  }

  /** Packs whole frames into records of at most MAX_RECORD_PLAINTEXT bytes. */
  #seal(frames: OutFrame[]): Uint8Array[] {
    const records: Uint8Array[] = []
    let pieces: Uint8Array[] = []
    let size = 0
    const flush = (): void => {
      if (pieces.length === 0) return
      const record = this.#sealer.seal(pieces)
      records.push(record)
      this.#stats.recordsSent++
      this.#stats.bytesSent += record.length
      pieces = []
      size = 0
    }
    for (const f of frames) {
      const n = f.header.length + f.body.length
      if (size + n > MAX_RECORD_PLAINTEXT) flush()
      pieces.push(f.header)
      if (f.body.length > 0) pieces.push(f.body)
      size += n
    }
    flush()
    return records
  }

  #onData(chunk: Uint8Array): void {
    if (this.#dead) return
    this.#stats.bytesReceived += chunk.length
    try {
      this.#opener.push(chunk, (plaintext) => {
        this.#stats.recordsReceived++
        if (!this.#dead) parseFrames(plaintext, (kind, body) => this.#onFrame(kind, body, plaintext.length))
      })
    } catch (error) {
      this.#terminate(error instanceof Error ? error : new FrameError(String(error)))
    }
  }

  #onEnd(error: Error | undefined): void {
    if (this.#dead) return
    if (this.#opener.midRecord) this.#terminate(new RecordAuthError('stream ended inside a record (truncated)'))
    else if (this.#closing) this.#terminate(undefined)
    else this.#terminate(error ?? new ConnectionClosedError('peer closed the stream without a close frame'))
  }

  #onFrame(kind: number, body: Uint8Array, recordLength: number): void {
    if (this.#dead) return
    // A message that fills most of its (freshly decrypted) record is handed out as a view; a small one
    // is copied so that keeping it does not keep a large record alive.
    const own = (): Uint8Array => (body.length * 2 >= recordLength ? body : body.slice())
    switch (kind) {
      case FRAME_KIND.mship: this.#deliver('mship', own()); return
      case FRAME_KIND.pubsub: this.#deliver('pubsub', own()); return
      case FRAME_KIND.bulkFirst: this.#onBulkFirst(body); return
      case FRAME_KIND.bulkMore: this.#onBulkMore(body); return
      case FRAME_KIND.close: this.#terminate(undefined); return
      case FRAME_KIND.ping:
        if (body.length !== PING_BYTES) throw new FrameError('ping body must be 8 bytes')
        // A peer that pings without reading our pongs must not grow the control queue without bound.
        if (this.#control.length >= MAX_QUEUED_CONTROL) throw new FrameError('too many unanswered pings')
        this.#control.push(frame(FRAME_KIND.pong, body.slice()))
        this.#schedulePump()
        return
      case FRAME_KIND.pong: {
        if (body.length !== PING_BYTES) throw new FrameError('pong body must be 8 bytes')
        const waiter = this.#pings.get(toHex(body))
        waiter?.resolve(performance.now() - waiter.start)
        return
      }
      default: throw new FrameError(`unexpected frame kind 0x${kind.toString(16)}`)
    }
  }

  #onBulkFirst(body: Uint8Array): void {
    if (this.#bulkIn !== undefined) throw new FrameError('bulk message started while another is incomplete')
    if (body.length < 4) throw new FrameError('bulk first chunk shorter than its length field')
    this.#stats.bulkChunksReceived++
    const total = ((body[0]! << 24) >>> 0) + (body[1]! << 16) + (body[2]! << 8) + body[3]!
    if (total > this.#init.maxBulkMessageBytes) throw new FrameError(`bulk message of ${total} bytes exceeds ${this.#init.maxBulkMessageBytes}`)
    const data = body.subarray(4)
    if (data.length > total) throw new FrameError('bulk chunk longer than its message')
    if (data.length === total) { this.#deliver('bulk', data); return }
    if (data.length < Math.min(total, BULK_CHUNK_DATA)) throw new FrameError('bulk chunk shorter than required')
    const buffer = new Uint8Array(total)
    buffer.set(data, 0)
    this.#bulkIn = { buffer, filled: data.length }
  }

  #onBulkMore(body: Uint8Array): void {
    const inbound = this.#bulkIn
    if (inbound === undefined) throw new FrameError('bulk continuation without a first chunk')
    this.#stats.bulkChunksReceived++
    const left = inbound.buffer.length - inbound.filled
    if (body.length > left || (body.length < BULK_CHUNK_DATA && body.length !== left)) throw new FrameError('bulk chunk length does not fit its message')
    inbound.buffer.set(body, inbound.filled)
    inbound.filled += body.length
    if (inbound.filled === inbound.buffer.length) {
      this.#bulkIn = undefined
      this.#deliver('bulk', inbound.buffer)
    }
  }

  #deliver(streamClass: StreamClass, message: Uint8Array): void {
    const handler = this.#init.handlerFor(streamClass)
    if (handler === undefined) return
    let result: void | Promise<void>
    try {
      result = handler(message, this)
    } catch {
      this.#stats.handlerErrors++
      return
    }
    if (result === undefined || typeof (result as Promise<void>).then !== 'function') return
    this.#pendingHandlers++
    if (this.#pendingHandlers > this.#init.maxPendingHandlers) this.#pipe.pause()
    const settle = (): void => {
      this.#pendingHandlers--
      if (this.#pendingHandlers <= this.#init.maxPendingHandlers && !this.#dead) this.#pipe.resume()
    }
    ;(result as Promise<void>).then(settle, () => { this.#stats.handlerErrors++; settle() })
  }

  #terminate(error: Error | undefined): void {
    if (this.#dead) return
    this.#dead = true
    this.#closeError = error
    const closed = closedError(error)
    for (const cls of ['mship', 'pubsub'] as const) {
      this.#space[cls].rejectAll(closed)
      this.#queues[cls].length = 0
      this.#queuedBytes[cls] = 0
    }
    for (const job of this.#bulk.splice(0)) job.reject(closed)
    for (const ping of this.#pings.values()) ping.reject(closed)
    this.#pings.clear()
    this.#control.length = 0
    this.#bulkIn = undefined
    this.#pipe.close(error)
    this.#init.onClosed(this, error)
    this.#resolveClosed()
  }
}

