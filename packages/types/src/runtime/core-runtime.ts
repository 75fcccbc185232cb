/**
 * The driver runtime shared by every sans-IO core (docs/architecture.md section 2, after iroh-gossip's
 * actor loop in `net.rs`): one input queue, so a core is never re-entered by an output handler that
 * feeds it again; a timer heap with exactly one armed host timer; an injectable clock; `AbortSignal`
 * to stop; and a counter of core errors, so a bug in a core drops one input instead of the node.
 * Transports, codecs and events stay in the layer's own driver, which hands outputs to `send`,
 * `emit` and `disconnect`.
 */
import type { Clock } from '../clock.ts'
import { systemClock } from '../clock.ts'
import type { AbortOptions } from '../errors.ts'
import type { PeerId } from '../ids.ts'
import type { CoreInput, CoreOutput, ProtocolCore } from '../sansio.ts'
import { TimerHeap } from './timer-heap.ts'

export interface CoreRuntimeInit<Msg, Timer, Command, Event> {
  readonly core: ProtocolCore<Msg, Timer, Command, Event>
  /** Carries a `send` output to the network (encode and write; failures are the driver's to count). */
  send(to: PeerId, msg: Msg): void
  /** Handles an event the core emitted, in output order, from inside the input loop. */
  emit(event: Event): void
  /** Closes the connection to `peer`; default: the output is ignored. */
  disconnect?(peer: PeerId): void
  /** Monotonic time fed to the core as `nowMs` (default `performance.now()`). */
  readonly clock?: Clock
  /**
   * Inputs queued just before each batch of due timers, e.g. a wall-clock refresh the core checks
   * timestamps against. Default: none.
   */
  beforeTimers?(): ReadonlyArray<CoreInput<Msg, Timer, Command>>
  /** Told about every error the core throws; the input that caused it is dropped and counted. */
  onCoreError?(error: unknown, input: CoreInput<Msg, Timer, Command>): void
}

export interface RuntimeMetrics {
  /** Inputs handed to the core. */
  readonly inputs: number
  readonly timersFired: number
  /** Timers scheduled and not yet fired. */
  readonly timersPending: number
  /** Inputs whose handling threw (the outputs produced before the throw are still applied). */
  readonly coreErrors: number
}

/**
 * Runs one sans-IO core: `input()` queues an input and, unless the core is already running, drains
 * the queue; `schedule` outputs go to the timer heap; the other outputs go to the init's handlers.
 * Stopping disarms the host timer and discards queued inputs but keeps scheduled timers, so a
 * restarted core resumes its periodic work (overdue timers fire at once).
 *
 * @example
 * ```ts
 * import { CoreRuntime } from '@saorsa-gossip/types/runtime'
 *
 * const runtime = new CoreRuntime({
 *   core,                                                     // any ProtocolCore
 *   send: (to, msg) => connections.get(to)?.send(encode(msg)),
 *   emit: (event) => events.dispatchEvent(new CustomEvent(event.type, { detail: event })),
 *   disconnect: (peer) => void connections.get(peer)?.close(),
 * })
 * runtime.start({ signal: lifetime.signal })                  // aborting the signal stops it
 * transport.handle('my-class', (bytes, conn) => runtime.input({ type: 'recv', from: conn.remotePeer, msg: decode(bytes) }))
 * runtime.input({ type: 'command', command: { type: 'join', topic } })
 * ```
 */
export class CoreRuntime<Msg, Timer, Command, Event> {
  readonly #init: CoreRuntimeInit<Msg, Timer, Command, Event>
  readonly #clock: Clock
  readonly #queue: Array<CoreInput<Msg, Timer, Command>> = []
  readonly #timers = new TimerHeap<Timer>()
  #armed: { readonly dueMs: number; readonly handle: ReturnType<typeof setTimeout> } | undefined
  #draining = false
  #running = false
  #signal: { readonly signal: AbortSignal; readonly onAbort: () => void } | undefined
  /** The latest time handed to the core: inputs never see time go back, nor a fired timer early. */
  #nowMs = Number.NEGATIVE_INFINITY
  #inputs = 0
  #timersFired = 0
  #coreErrors = 0

  constructor(init: CoreRuntimeInit<Msg, Timer, Command, Event>) {
    this.#init = init
    this.#clock = init.clock ?? systemClock
  }

  get running(): boolean {
    return this.#running
  }

  /** Starts taking inputs and firing timers; an already aborted signal leaves it stopped. */
  start(options: AbortOptions = {}): void {
    if (this.#running || options.signal?.aborted === true) return
    this.#running = true
    const { signal } = options
    if (signal !== undefined) {
      const onAbort = (): void => this.stop()
      signal.addEventListener('abort', onAbort, { once: true })
      this.#signal = { signal, onAbort }
    }
    this.#rearm()
  }

  stop(): void {
    if (!this.#running) return
    this.#running = false
    this.#signal?.signal.removeEventListener('abort', this.#signal.onAbort)
    this.#signal = undefined
    if (this.#armed !== undefined) clearTimeout(this.#armed.handle)
    this.#armed = undefined
    this.#queue.length = 0
  }

  /**
   * Queues inputs and drains the queue. Called from inside an output handler (a sync validator, an
   * event listener that publishes), the inputs wait until the current input is finished.
   * Ignored while stopped.
   */
  input(...inputs: Array<CoreInput<Msg, Timer, Command>>): void {
    if (!this.#running || inputs.length === 0) return
    this.#queue.push(...inputs)
    if (this.#draining) return
    this.#draining = true
    try {
      for (let next = this.#queue.shift(); next !== undefined && this.#running; next = this.#queue.shift()) {
        this.#handle(next)
      }
    } finally {
      this.#draining = false
    }
    this.#rearm()
  }

  metrics(): RuntimeMetrics {
    return { inputs: this.#inputs, timersFired: this.#timersFired, timersPending: this.#timers.size, coreErrors: this.#coreErrors }
  }

  #handle(input: CoreInput<Msg, Timer, Command>): void {
    this.#inputs++
    const out: Array<CoreOutput<Msg, Timer, Event>> = []
    try {
      this.#init.core.handle(input, this.#now(), out)
    } catch (error) {
      this.#coreErrors++
      this.#init.onCoreError?.(error, input)
    }
    for (const o of out) {
      switch (o.type) {
        case 'send': this.#init.send(o.to, o.msg); break
        case 'emit': this.#init.emit(o.event); break
        case 'disconnect': this.#init.disconnect?.(o.peer); break
        case 'schedule': this.#timers.push(this.#now() + Math.max(0, o.delayMs), o.timer); break
      }
    }
  }

  #rearm(): void {
    if (!this.#running) return
    const due = this.#timers.peekDue()
    if (due === undefined || this.#armed?.dueMs === due) return
    if (this.#armed !== undefined) clearTimeout(this.#armed.handle)
    const handle = setTimeout(() => this.#fire(due), Math.max(0, due - this.#now()))
    // The host timer never keeps a process alive on its own: the transport's sockets do.
    ;(handle as { unref?: () => void }).unref?.()
    this.#armed = { dueMs: due, handle }
  }

  #now(): number {
    this.#nowMs = Math.max(this.#nowMs, this.#clock.now())
    return this.#nowMs
  }

  #fire(armedFor: number): void {
    this.#armed = undefined
    // A timer that fired is due, and the core sees a time at or past its due time: Node runs a
    // setTimeout callback up to about 1.5 ms before performance.now() reaches it (its timers count
    // from the loop's cached whole-millisecond time), and an injected clock may lag the host's
    // timers. A core that took such a timer as early and dropped it lost it for good.
    this.#nowMs = Math.max(this.#nowMs, armedFor)
    const due = this.#timers.popDue(this.#now())
    this.#timersFired += due.length
    if (due.length === 0) return this.#rearm()
    this.input(...(this.#init.beforeTimers?.() ?? []), ...due.map((timer): CoreInput<Msg, Timer, Command> => ({ type: 'timer', timer })))
  }
}
