/**
 * The overloaded-node model: a node whose message processing takes virtual time. Received messages
 * wait in one FIFO queue and are handled one at a time, each when its service time has passed;
 * timers and local commands do not queue (Node.js runs due timers before it reads the next socket
 * data, so a busy node's timers fire on time while its input lags). The queue's wait is the local
 * lag a driver would measure (the Lifeguard idea of local health, DSN 2018, section 4.3). A
 * message's cost is decided when its processing starts, so a copy that waited behind the first
 * one is charged as the duplicate it has become by then.
 */
import type { CoreInput } from '@saorsa-gossip/types'

/** Virtual ms one input takes to process. */
export type ServiceTime<Msg, Timer, Command> = (input: CoreInput<Msg, Timer, Command>) => number

export class ServiceQueue<Msg, Timer, Command> {
  cost: ServiceTime<Msg, Timer, Command>
  readonly #queue: Array<{ readonly input: CoreInput<Msg, Timer, Command>; readonly atMs: number }> = []
  /** Most inputs ever waiting at once. */
  maxDepth = 0

  constructor(cost: ServiceTime<Msg, Timer, Command>) {
    this.cost = cost
  }

  get depth(): number {
    return this.#queue.length
  }

  /**
   * How long the input in service has waited (its sojourn time, as CoDel measures a queue): what a
   * driver sampling its event loop's lateness sees.
   */
  waitMs(nowMs: number): number {
    const head = this.#queue[0]
    return head === undefined ? 0 : Math.max(0, nowMs - head.atMs)
  }

  /** Queues `input`; returns its service time if it starts at once (the caller schedules its completion). */
  push(input: CoreInput<Msg, Timer, Command>, nowMs: number): number | undefined {
    this.#queue.push({ input, atMs: nowMs })
    this.maxDepth = Math.max(this.maxDepth, this.#queue.length)
    return this.#queue.length === 1 ? this.#cost(input) : undefined
  }

  /** Completes the head; returns it and the service time of the next one, which starts now. */
  shift(): { input: CoreInput<Msg, Timer, Command> | undefined; nextMs: number | undefined } {
    const head = this.#queue.shift()
    const next = this.#queue[0]
    return { input: head?.input, nextMs: next === undefined ? undefined : this.#cost(next.input) }
  }

  clear(): void {
    this.#queue.length = 0
  }

  #cost(input: CoreInput<Msg, Timer, Command>): number {
    return Math.max(0, this.cost(input))
  }
}
