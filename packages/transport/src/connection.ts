/**
 * One authenticated connection (SPEC.md sections 5.4-5.6): a strict-priority frame scheduler on the
 * send side (control, then every queued mship frame, then pubsub, then ONE bulk stream chunk per
 * round), bounded per-class queues, protocol routing of inbound frames (unknown names are counted
 * drops), read pausing when handlers lag, and a single fail-closed path: any record, frame or carrier
 * failure ends the connection with a typed error. Direct messages and streams live in direct/ and streams/.
 */
import { AbortError, InvalidParametersError, raceAbort, toHex, type PeerId } from '@saorsa-gossip/types'
import type { AbortOptions, BytePipe } from './carrier.ts'
import type { Aead } from './channel/aead.ts'
import type { HandshakeResult } from './channel/handshake.ts'
import type { PipeInbox } from './channel/pipe-inbox.ts'
import { MAX_RECORD_PLAINTEXT, RecordOpener, RecordSealer, type RekeyPolicy } from './channel/records.ts'
import { DrainWaiters, closedError } from './carriers/waiters.ts'
import { CLASS_CAP, DirectEndpoint } from './direct/endpoint.ts'
import { ConnectionClosedError, FrameError, RecordAuthError } from './errors.ts'
import { FRAME_KIND, frame, frameSize, parseFrames, PING_BYTES, prefixedFrame, tagged, type OutFrame } from './frames.ts'
import { protocolNameOf, startsWithProtocolName, trafficClassOf, type TrafficLedger } from './traffic.ts'
import { encodeProtocolName, readProtocolName, validateMessageProtocol, type MessageProtocol, type StreamProtocol } from './protocols.ts'
import type { ProtocolRoutes } from './routes.ts'
import type { MemoryBudget } from './streams/budget.ts'
import { StreamMux } from './streams/mux.ts'
import type { StreamWriter } from './streams/outbound.ts'
import type { Connection, ConnectionStats, DropCounts, DropReason, RequestOptions } from './types.ts'

export interface ConnectionInit {
  readonly id: string
  readonly direction: 'inbound' | 'outbound'
  readonly pipe: BytePipe
  readonly inbox: PipeInbox
  /** Its traffic keys pass to the record layer; the connection keeps nothing else of it. */
  readonly handshake: HandshakeResult
  readonly aead: Aead
  readonly rekey: RekeyPolicy
  readonly highWaterMark: number
  readonly maxPendingHandlers: number
  readonly routes: ProtocolRoutes
  /** Counts frame bytes by class and protocol (shared by the transport's connections). */
  readonly traffic?: TrafficLedger
  readonly budget: MemoryBudget
  readonly onDrop: (reason: DropReason) => void
  /** A message from the remote failed to parse or validate (counted against the remote's score). */
  readonly onInvalid: (connection: SecureConnection) => void
  /** The remote's bytes broke the channel (a record failed authentication or a frame the framing rules): fatal. */
  readonly onViolation: (connection: SecureConnection) => void
  readonly onClosed: (connection: SecureConnection, error: Error | undefined) => void
}

/** An orderly close waits this long for queued frames to reach the carrier before it drops them. */
const CLOSE_FLUSH_MS = 5_000
/** Control frames (pongs, credits, stream stops, close) queued while the carrier is not accepting writes. */
const MAX_QUEUED_CONTROL = 1024

export function emptyDrops(): { -readonly [K in DropReason]: number } {
  return { 'unknown-protocol': 0, 'wrong-route': 0, 'malformed-direct': 0, 'unknown-response': 0, 'unknown-stream': 0, 'refused-stream': 0 }
}

export class SecureConnection implements Connection {
  readonly id: string
  readonly remotePeer: PeerId
  readonly remotePublicKey: Uint8Array
  readonly remoteAddr: string
  readonly localAddr: string
  readonly observedAddr: string
  readonly direction: 'inbound' | 'outbound'
  readonly closed: Promise<void>
  readonly #init: Omit<ConnectionInit, 'handshake'>
  readonly #pipe: BytePipe
  readonly #sealer: RecordSealer
  readonly #opener: RecordOpener
  readonly #control: OutFrame[] = []
  readonly #queues = { mship: [] as OutFrame[], pubsub: [] as OutFrame[] }
  readonly #queuedBytes = { mship: 0, pubsub: 0 }
  readonly #space = { mship: new DrainWaiters(), pubsub: new DrainWaiters() }
  readonly #pings = new Map<string, { start: number; resolve: (rtt: number) => void; reject: (e: Error) => void }>()
  readonly #lifetime = new AbortController()
  readonly #direct: DirectEndpoint
  readonly #streams: StreamMux
  #pumping = false
  #pumpScheduled = false
  #closing = false
  /** The close frame of an orderly close, until the pump writes it after the frames queued before it. */
  #closeFrame: OutFrame | undefined
  #dead = false
  #closeError: Error | undefined
  #resolveClosed!: () => void
  #pendingHandlers = 0
  readonly #drops = emptyDrops()
  #stats = { recordsSent: 0, recordsReceived: 0, bytesSent: 0, bytesReceived: 0, bulkChunksSent: 0, bulkChunksReceived: 0, handlerErrors: 0, invalidMessages: 0 }

  constructor({ handshake, ...init }: ConnectionInit) {
    this.#init = init
    this.#pipe = init.pipe
    this.id = init.id
    this.direction = init.direction
    this.remotePeer = handshake.remotePeer
    this.remotePublicKey = handshake.remotePublicKey
    this.remoteAddr = init.pipe.remoteAddr
    this.localAddr = init.pipe.localAddr
    this.observedAddr = handshake.observedAddr
    this.#sealer = new RecordSealer(init.aead, handshake.sendKey, init.rekey)
    this.#opener = new RecordOpener(init.aead, handshake.receiveKey)
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve })
    const shared = { connection: this as Connection, remotePeer: this.remotePeer, routes: init.routes, drop: (r: DropReason) => this.#drop(r), handlerFailed: () => { this.#stats.handlerErrors++ } }
    this.#direct = new DirectEndpoint({
      ...shared,
      signal: this.#lifetime.signal,
      enqueue: (cls, f, signal) => this.#enqueue(cls, f, signal),
      tryEnqueue: (cls, f) => {
        if (!this.isOpen || this.#queuedBytes[cls] >= this.#init.highWaterMark) return false
        this.#push(cls, f)
        return true
      },
      run: (call) => this.#run(call),
    })
    this.#streams = new StreamMux({ ...shared, budget: init.budget, control: (f) => this.#pushControl(f), wake: () => this.#schedulePump() })
  }

  /** Starts reading (bytes that followed the handshake first); called once the owner has registered the connection. */
  start(): void {
    this.#init.inbox.handover({ onData: (chunk) => this.#onData(chunk), onEnd: (error) => this.#onEnd(error) })
  }

  get closeError(): Error | undefined { return this.#closeError }
  get isOpen(): boolean { return !this.#dead && !this.#closing }

  stats(): ConnectionStats {
    return {
      ...this.#stats, sendEpoch: this.#sealer.epoch, receiveEpoch: this.#opener.epoch, drops: { ...this.#drops },
      pendingRequests: this.#direct.pendingRequests, pendingHandlers: this.#pendingHandlers + this.#direct.answering, openStreams: this.#streams.counts,
    }
  }

  async send(protocol: MessageProtocol, message: Uint8Array, options?: AbortOptions): Promise<void> {
    validateMessageProtocol(protocol, 'send')
    if (!(message instanceof Uint8Array)) throw new InvalidParametersError('send: message must be a Uint8Array')
    const cls = protocol.streamClass
    if (message.length > CLASS_CAP[cls]) throw new InvalidParametersError(`send: ${cls} message of ${message.length} bytes exceeds the ${CLASS_CAP[cls]}-byte cap`)
    await this.#enqueue(cls, tagged(prefixedFrame(FRAME_KIND[cls], encodeProtocolName(protocol.name), message.slice()), protocol.name), options?.signal)
  }

  sendDirect(protocol: MessageProtocol, message: Uint8Array, options?: AbortOptions): Promise<void> {
    return this.#direct.sendOneWay(protocol, message, options)
  }

  async request(protocol: MessageProtocol, message: Uint8Array, options?: RequestOptions): Promise<Uint8Array> {
    if (options?.signal?.aborted === true) throw new AbortError(undefined, { cause: options.signal.reason })
    if (!this.isOpen) throw closedError(this.#closeError)
    return this.#direct.request(protocol, message, options)
  }

  async openStream(protocol: StreamProtocol, options?: AbortOptions): Promise<StreamWriter> {
    if (options?.signal?.aborted === true) throw new AbortError(undefined, { cause: options.signal.reason })
    if (!this.isOpen) throw closedError(this.#closeError)
    return this.#streams.open(protocol)
  }

  async #enqueue(cls: 'mship' | 'pubsub', out: OutFrame, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason })
    if (!this.isOpen) throw closedError(this.#closeError)
    while (this.#queuedBytes[cls] >= this.#init.highWaterMark) {
      await raceAbort(this.#space[cls].wait(), signal)
      if (!this.isOpen) throw closedError(this.#closeError)
    }
    this.#push(cls, out)
  }

  #push(cls: 'mship' | 'pubsub', out: OutFrame): void {
    this.#queues[cls].push(out)
    this.#queuedBytes[cls] += frameSize(out)
    this.#schedulePump()
  }

  /** A peer that makes us answer (pongs, stream stops) without reading must not grow this queue without bound. */
  #pushControl(out: OutFrame): void {
    if (this.#dead) return
    if (this.#control.length >= MAX_QUEUED_CONTROL) { this.#terminate(new FrameError('too many control frames queued for a peer that does not read')); return }
    this.#control.push(out)
    this.#schedulePump()
  }

  #drop(reason: DropReason): void {
    this.#drops[reason]++
    this.#init.onDrop(reason)
    // Only a malformed envelope is the sender's fault: unknown names, late responses and frames for
    // streams already stopped happen between honest peers too (version skew, timeouts, races).
    if (reason === 'malformed-direct') this.reportInvalid()
  }

  reportInvalid(): void {
    if (this.#dead) return
    this.#stats.invalidMessages++
    this.#init.onInvalid(this)
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
    // Streams and requests cannot complete once the close frame is queued: they fail now, not at the flush deadline.
    this.#streams.failAll(error)
    this.#direct.failAll(error)
    // The close frame goes after every frame queued before close() (a membership DISCONNECT sent
    // just before closing must arrive first), so the pump appends it to the end of its next round.
    this.#closeFrame = frame(FRAME_KIND.close, new TextEncoder().encode('normal'))
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
        const bulk = this.#closing ? undefined : this.#streams.next()
        if (bulk !== undefined) { frames.push(...bulk.frames); this.#stats.bulkChunksSent += bulk.chunks }
        if (this.#closeFrame !== undefined) { frames.push(this.#closeFrame); this.#closeFrame = undefined }
        if (frames.length === 0) break
        const records = this.#seal(frames)
        if (records.length === 1) await this.#pipe.write(records[0]!)
        else await Promise.all(records.map((r) => this.#pipe.write(r)))
        bulk?.sent()
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
      this.#init.traffic?.sent(f)
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
      // Bytes the remote sent failed authentication or the framing rules. A stream cut inside a
      // record (#onEnd) is not counted: networks do that to honest peers.
      const violated = !this.#dead
      this.#terminate(error instanceof Error ? error : new FrameError(String(error)))
      if (violated) this.#init.onViolation(this)
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
    const own = (view: Uint8Array): Uint8Array => (view.length * 2 >= recordLength ? view : view.slice())
    const traffic = this.#init.traffic
    if (traffic !== undefined) {
      const cls = trafficClassOf(kind)
      const protocol = startsWithProtocolName(kind) ? protocolNameOf(body) : cls === 'bulk' ? this.#streams.protocolOf(kind, body) : undefined
      traffic.received(kind, body.length, protocol, (name) => this.#init.routes.get(name) !== undefined)
    }
    switch (kind) {
      case FRAME_KIND.mship: this.#onRouted('mship', body, own); return
      case FRAME_KIND.pubsub: this.#onRouted('pubsub', body, own); return
      case FRAME_KIND.mshipDirect: this.#direct.onFrame('mship', body, own); return
      case FRAME_KIND.pubsubDirect: this.#direct.onFrame('pubsub', body, own); return
      case FRAME_KIND.streamOpen:
      case FRAME_KIND.streamData:
      case FRAME_KIND.streamEnd:
      case FRAME_KIND.streamCredit:
      case FRAME_KIND.streamReset:
      case FRAME_KIND.streamStop:
        this.#stats.bulkChunksReceived += this.#streams.onFrame(kind, body, own)
        return
      case FRAME_KIND.close: this.#terminate(undefined); return
      case FRAME_KIND.ping:
        if (body.length !== PING_BYTES) throw new FrameError('ping body must be 8 bytes')
        this.#pushControl(frame(FRAME_KIND.pong, body.slice()))
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

  #onRouted(cls: 'mship' | 'pubsub', body: Uint8Array, own: (view: Uint8Array) => Uint8Array): void {
    const name = readProtocolName(body, 0)
    const route = name === undefined ? undefined : this.#init.routes.get(name.name)
    if (route === undefined || name === undefined) { this.#drop('unknown-protocol'); return }
    if (route.kind !== 'message' || route.protocol.streamClass !== cls) { this.#drop('wrong-route'); return }
    const message = own(body.subarray(name.end))
    const handler = route.handler
    this.#run(() => handler(message, this))
  }

  /** Calls a handler; a returned promise counts as pending, and too many pending pause reading. */
  #run(call: () => unknown): void {
    let result: unknown
    try {
      result = call()
    } catch (error) {
      this.#handlerFailed(error)
      return
    }
    if (result === null || typeof result !== 'object' || typeof (result as Promise<unknown>).then !== 'function') return
    this.#pendingHandlers++
    if (this.#pendingHandlers > this.#init.maxPendingHandlers) this.#pipe.pause()
    const settle = (): void => {
      this.#pendingHandlers--
      if (this.#pendingHandlers <= this.#init.maxPendingHandlers && !this.#dead) this.#pipe.resume()
    }
    ;(result as Promise<unknown>).then(settle, (error: unknown) => { this.#handlerFailed(error); settle() })
  }

  /** A handler that throws DecodeError says the message was malformed: that costs the sender. */
  #handlerFailed(error: unknown): void {
    this.#stats.handlerErrors++
    if (error instanceof Error && error.name === 'DecodeError') this.reportInvalid()
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
    this.#streams.failAll(closed)
    this.#direct.failAll(closed)
    for (const ping of this.#pings.values()) ping.reject(closed)
    this.#pings.clear()
    this.#control.length = 0
    this.#lifetime.abort(closed)
    this.#sealer.wipe()
    this.#opener.wipe()
    this.#pipe.close(error)
    this.#init.onClosed(this, error)
    this.#resolveClosed()
  }
}
