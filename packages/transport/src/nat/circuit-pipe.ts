/**
 * One end of a relayed circuit as a carrier pipe (SPEC.md section 5.10.2): bytes go to the relay on
 * an outbound bulk stream and come back on an inbound one, each opened with the 16-byte circuit id.
 * The secure channel runs over this pipe end to end, so the relay forwards ciphertext only; stream
 * credit gives the pipe its backpressure.
 */
import type { BytePipe } from '../carrier.ts'
import { closedError } from '../carriers/waiters.ts'
import type { IncomingStream } from '../streams/inbound.ts'
import type { StreamWriter } from '../streams/outbound.ts'
import { CIRCUIT_ID_BYTES } from './codec.ts'

type Reader = { onData(chunk: Uint8Array): void; onEnd(error?: Error): void }

/** The open iterator of an inbound circuit stream after its id, and the bytes that followed the id. */
export interface CircuitInbound { readonly iterator: AsyncIterator<Uint8Array>; readonly leftover: Uint8Array }

/** Reads the circuit id at the head of an inbound circuit stream; undefined if the stream ends first. */
export async function readCircuitHead(stream: IncomingStream): Promise<{ id: Uint8Array; inbound: CircuitInbound } | undefined> {
  const iterator = stream[Symbol.asyncIterator]()
  let head = new Uint8Array(0)
  while (head.length < CIRCUIT_ID_BYTES) {
    const next = await iterator.next()
    if (next.done === true) return undefined
    const joined = new Uint8Array(head.length + next.value.length)
    joined.set(head)
    joined.set(next.value, head.length)
    head = joined
  }
  return { id: head.slice(0, CIRCUIT_ID_BYTES), inbound: { iterator, leftover: head.slice(CIRCUIT_ID_BYTES) } }
}

export class CircuitPipe implements BytePipe {
  readonly localAddr: string
  readonly remoteAddr: string
  readonly #writer: StreamWriter
  readonly #onGone: () => void
  #inbound: CircuitInbound | undefined
  #reader: Reader | undefined
  #closed = false
  #ended = false
  #paused = false
  #resume: (() => void) | undefined
  #pumping = false

  constructor(init: { localAddr: string; remoteAddr: string; writer: StreamWriter; onGone: () => void }) {
    this.localAddr = init.localAddr
    this.remoteAddr = init.remoteAddr
    this.#writer = init.writer
    this.#onGone = init.onGone
  }

  get closed(): boolean { return this.#closed }

  /** The relay's stream towards us arrived. */
  attach(inbound: CircuitInbound): void {
    if (this.#closed || this.#inbound !== undefined) { void inbound.iterator.return?.(); return }
    this.#inbound = inbound
    this.#pump()
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(closedError())
    return this.#writer.write(chunk).catch((error: unknown) => {
      this.close(closedError(error instanceof Error ? error : undefined))
      throw closedError(error instanceof Error ? error : undefined)
    })
  }

  setReader(reader: Reader): void {
    if (this.#reader !== undefined) throw new Error('setReader: a reader is already installed')
    this.#reader = reader
    if (this.#ended) { queueMicrotask(() => reader.onEnd()); return }
    this.#pump()
  }

  pause(): void { this.#paused = true }

  resume(): void {
    this.#paused = false
    const wake = this.#resume
    this.#resume = undefined
    wake?.()
  }

  close(error?: Error): void {
    if (this.#closed) return
    this.#closed = true
    if (error === undefined) void this.#writer.close().catch(() => {})
    else this.#writer.abort(error)
    void this.#inbound?.iterator.return?.()
    this.resume()
    this.#end(error)
  }

  async #pump(): Promise<void> {
    const inbound = this.#inbound
    const reader = this.#reader
    if (inbound === undefined || reader === undefined || this.#pumping) return
    this.#pumping = true
    try {
      if (inbound.leftover.length > 0) reader.onData(inbound.leftover)
      while (!this.#closed) {
        if (this.#paused) { await new Promise<void>((resolve) => { this.#resume = resolve }); continue }
        const next = await inbound.iterator.next()
        if (next.done === true) break
        if (!this.#closed) reader.onData(next.value)
      }
      this.close()
    } catch (error) {
      this.close(closedError(error instanceof Error ? error : undefined))
    }
  }

  #end(error: Error | undefined): void {
    if (this.#ended) return
    this.#ended = true
    const reader = this.#reader
    if (reader !== undefined) queueMicrotask(() => reader.onEnd(error === undefined ? undefined : closedError(error)))
    this.#onGone()
  }
}
