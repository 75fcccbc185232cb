/**
 * Bulk streams of one connection (SPEC.md section 5.6): opens streams, hands the scheduler one chunk
 * per round from the ready streams in turn (fair interleaving), and routes inbound stream frames.
 * Only an open frame naming a registered stream protocol creates receive state; every other stream
 * frame is dropped without buffering, and the unregistered stream is stopped.
 */
import type { PeerId } from '@saorsa-gossip/types'
import { FrameError, StreamResetError, type StreamResetReason } from '../errors.ts'
import { FRAME_KIND, frame, readU32, tagged, writeU32, type OutFrame } from '../frames.ts'
import { readProtocolName, validateStreamProtocol, type StreamProtocol } from '../protocols.ts'
import type { ProtocolRoutes } from '../routes.ts'
import type { Connection, DropReason } from '../types.ts'
import type { MemoryBudget } from './budget.ts'
import { InboundStream, STREAM_WINDOW_BYTES } from './inbound.ts'
import { OutboundStream, RESET_CODES, streamResetFrame, type StreamWriter } from './outbound.ts'

/**
 * Streams a peer may have open towards us at once: 16 concurrent transfers per peer is ample, and with
 * 1 MiB windows one peer can reserve at most a quarter of the default 64 MiB budget.
 */
export const MAX_INBOUND_STREAMS = 16

export interface StreamHost {
  readonly connection: Connection
  readonly remotePeer: PeerId
  readonly routes: ProtocolRoutes
  readonly budget: MemoryBudget
  control(frame: OutFrame): void
  wake(): void
  drop(reason: DropReason): void
  handlerFailed(): void
}

function reasonOf(code: number): StreamResetReason {
  return RESET_CODES[code - 1] ?? 'aborted'
}

export class StreamMux {
  readonly #host: StreamHost
  readonly #inbound = new Map<number, InboundStream>()
  readonly #outbound = new Map<number, OutboundStream>()
  #order: OutboundStream[] = []
  #cursor = 0
  #nextId = 1

  constructor(host: StreamHost) {
    this.#host = host
  }

  get counts(): { inbound: number; outbound: number } {
    return { inbound: this.#inbound.size, outbound: this.#outbound.size }
  }

  /** Bytes buffered and unread across this connection's inbound streams. */
  get buffered(): number {
    let total = 0
    for (const s of this.#inbound.values()) total += s.buffered
    return total
  }

  open(protocol: StreamProtocol): StreamWriter {
    validateStreamProtocol(protocol, 'openStream')
    let id = this.#nextId
    while (this.#outbound.has(id)) id = id === 0xffffffff ? 1 : id + 1
    this.#nextId = id === 0xffffffff ? 1 : id + 1
    const stream = new OutboundStream(id, Object.freeze({ name: protocol.name, maxBytes: protocol.maxBytes }), {
      wake: () => this.#host.wake(),
      reset: (sid, frame) => { this.#forget(sid); if (frame !== undefined) this.#host.control(tagged(frame, protocol.name)) },
    })
    this.#outbound.set(id, stream)
    this.#order.push(stream)
    return stream
  }

  /** The next stream's frames for this round (round-robin over ready streams), or undefined. */
  next(): { frames: OutFrame[]; chunks: number; sent: () => void } | undefined {
    const n = this.#order.length
    for (let i = 0; i < n; i++) {
      const index = (this.#cursor + i) % n
      const stream = this.#order[index]!
      if (!stream.ready) continue
      this.#cursor = index + 1
      const taken = stream.take()
      if (stream.finished) this.#forget(stream.id)
      return { ...taken, frames: taken.frames.map((f) => tagged(f, stream.protocol.name)) }
    }
    return undefined
  }

  #forget(id: number): void {
    const stream = this.#outbound.get(id)
    if (stream === undefined) return
    this.#outbound.delete(id)
    this.#order = this.#order.filter((s) => s !== stream)
  }

  /** Every stream fails with `error` (the connection is closing or closed). */
  failAll(error: Error): void {
    for (const s of [...this.#outbound.values()]) s.fail(error)
    this.#outbound.clear()
    this.#order = []
    for (const s of [...this.#inbound.values()]) s.fail(error)
    this.#inbound.clear()
  }

  onFrame(kind: number, body: Uint8Array, own: (view: Uint8Array) => Uint8Array): number {
    if (body.length < 4) throw new FrameError(`stream frame kind 0x${kind.toString(16)} shorter than its id`)
    const id = readU32(body, 0)
    switch (kind) {
      case FRAME_KIND.streamOpen: this.#onOpen(id, body); return 0
      case FRAME_KIND.streamData: {
        const stream = this.#inbound.get(id)
        if (stream === undefined) { this.#host.drop('unknown-stream'); return 0 }
        stream.onData(own(body.subarray(4)))
        return 1
      }
      case FRAME_KIND.streamEnd: this.#withInbound(id, (s) => s.onEnd()); return 0
      case FRAME_KIND.streamReset:
        this.#withInbound(id, (s) => s.fail(new StreamResetError(reasonOf(body[4] ?? 0), 'the sender reset the stream')))
        return 0
      case FRAME_KIND.streamCredit: {
        if (body.length !== 8) throw new FrameError('stream credit body must be 8 bytes')
        const stream = this.#outbound.get(id)
        if (stream === undefined) this.#host.drop('unknown-stream')
        else stream.addCredit(readU32(body, 4))
        return 0
      }
      default: {
        const stream = this.#outbound.get(id)
        if (stream === undefined) { this.#host.drop('unknown-stream'); return 0 }
        this.#forget(id)
        stream.fail(new StreamResetError(reasonOf(body[4] ?? 0), `the receiver stopped the stream: ${reasonOf(body[4] ?? 0)}`))
        return 0
      }
    }
  }

  #withInbound(id: number, act: (stream: InboundStream) => void): void {
    const stream = this.#inbound.get(id)
    if (stream === undefined) this.#host.drop('unknown-stream')
    else act(stream)
  }

  /** The protocol a received stream frame belongs to (read before the frame is handled), for the traffic counts. */
  protocolOf(kind: number, body: Uint8Array): string | undefined {
    if (body.length < 4) return undefined
    const id = readU32(body, 0)
    switch (kind) {
      case FRAME_KIND.streamOpen: return readProtocolName(body, 4)?.name
      case FRAME_KIND.streamCredit:
      case FRAME_KIND.streamStop: return this.#outbound.get(id)?.protocol.name
      default: return this.#inbound.get(id)?.protocol
    }
  }

  #stop(id: number, reason: StreamResetReason, protocol?: string): void {
    const out = streamResetFrame(FRAME_KIND.streamStop, id, RESET_CODES.indexOf(reason) + 1)
    this.#host.control(protocol === undefined ? out : tagged(out, protocol))
  }

  #onOpen(id: number, body: Uint8Array): void {
    if (this.#inbound.has(id)) throw new FrameError(`stream ${id} opened twice`)
    const name = readProtocolName(body, 4)
    const route = name === undefined || name.end !== body.length ? undefined : this.#host.routes.get(name.name)
    if (route?.kind !== 'stream') {
      this.#host.drop(route === undefined ? 'unknown-protocol' : 'wrong-route')
      this.#stop(id, 'no-handler')
      return
    }
    const reservation = Math.min(STREAM_WINDOW_BYTES, route.protocol.maxBytes)
    if (this.#inbound.size >= MAX_INBOUND_STREAMS || !this.#host.budget.tryReserve(reservation)) {
      this.#host.drop('refused-stream')
      this.#stop(id, 'busy')
      return
    }
    const stream = new InboundStream(id, route.protocol, this.#host.remotePeer, this.#host.budget, reservation, {
      grant: (sid, bytes) => {
        const credit = new Uint8Array(8)
        writeU32(credit, 0, sid)
        writeU32(credit, 4, bytes)
        this.#host.control(tagged(frame(FRAME_KIND.streamCredit, credit), route.protocol.name))
      },
      stop: (sid, reason) => this.#stop(sid, reason, route.protocol.name),
      finished: (sid) => { this.#inbound.delete(sid) },
    })
    this.#inbound.set(id, stream)
    try {
      route.handler(stream, this.#host.connection)
    } catch {
      this.#host.handlerFailed()
      this.#stop(id, 'cancelled')
      stream.fail(new StreamResetError('cancelled', 'the stream handler threw'))
    }
  }
}
