/**
 * The simulator's data model: its options, the records handed to hooks, the state of one simulated
 * node, and the heap events it processes in (time, seq) order (docs/architecture.md section 2).
 */
import type { CoreInput, PeerId, ProtocolCore } from '@saorsa-gossip/types'
import type { ServiceQueue } from './service-queue.ts'

export interface SimulatorInit<Msg> {
  /** Seeds latency, loss and duplication; use `forkRng(label)` to seed the cores from it too. */
  readonly seed: number | string
  /** Per-link one-way latency range in whole ms, fixed per link from the seed. Default [10, 50]. */
  readonly latencyMs?: readonly [number, number]
  /** Probability that a sent message is lost. Default 0. */
  readonly lossRate?: number
  /** Probability that a delivered message arrives twice. Default 0. */
  readonly duplicateRate?: number
  /**
   * When set, a killed node's open connections drop: every peer that exchanged messages with it
   * receives `peer-down` this many ms after the kill, and a send to a dead node that had no
   * connection yields `peer-down` to the sender after the same delay (a failed dial). When unset,
   * failures are only noticed by the cores themselves (timeouts, SWIM).
   */
  readonly connectionTimeoutMs?: number
  /** Byte size of a message for accounting. Default: 0 bytes. */
  readonly sizeOf?: (msg: Msg) => number
  /** Kind label of a message for per-kind counts. Default: 'message'. */
  readonly kindOf?: (msg: Msg) => string
  /** Keep emitted events for `events()`. Default true. */
  readonly recordEvents?: boolean
}

export interface EmittedEvent<Event> {
  readonly time: number
  readonly node: PeerId
  readonly event: Event
}

export interface SentMessage<Msg> {
  readonly time: number
  readonly from: PeerId
  readonly to: PeerId
  readonly msg: Msg
}

export interface SimNode<Msg, Timer, Command, Event> {
  readonly index: number
  readonly id: PeerId
  core: ProtocolCore<Msg, Timer, Command, Event>
  alive: boolean
  epoch: number
  stalledUntil: number
  backlog: Array<CoreInput<Msg, Timer, Command>>
  /** Set for an overloaded node: received messages wait here for their processing time. */
  service: ServiceQueue<Msg, Timer, Command> | undefined
  clockOffsetMs: number
  connections: Set<number>
}

export const INPUT = 0
export const DELIVER = 1
export const ACTION = 2
export const RESUME = 3
/** A connection closed or timed out: becomes `peer-down` unless the pair reconnected meanwhile. */
export const CONN_DOWN = 4
/** An overloaded node finished processing the head of its service queue. */
export const SERVE = 5

export interface HeapEvent<Msg, Timer, Command> {
  readonly time: number
  readonly seq: number
  readonly type: number
  readonly node: number
  readonly epoch: number
  readonly from: number
  readonly input: CoreInput<Msg, Timer, Command> | undefined
  readonly action: (() => void) | undefined
  /** For CONN_DOWN: the pair's connection generation when the close happened. */
  readonly gen: number
  /**
   * For DELIVER: the message's kind and size, worked out once when it was sent (a real encoding
   * with `realSizes`), so its arrival does not compute them again.
   */
  readonly kind: string
  readonly size: number
}
