/**
 * How the simulator carries a core's 'send' and 'disconnect' outputs (after iroh-gossip's
 * `proto::sim`): seeded loss and duplication, per-link latency, connections opened by the first
 * message, and failure detection after `connectionTimeoutMs` for dials to dead nodes, closes and
 * kills, delivered as 'peer-down' unless the pair reconnected meanwhile.
 */
import { SeededRng } from '@saorsa-gossip/types'
import type { CoreInput, PeerId } from '@saorsa-gossip/types'
import type { LinkLatency } from './latency.ts'
import type { LinkTable } from './links.ts'
import { ACTION, CONN_DOWN, DELIVER, INPUT } from './sim-types.ts'
import type { SentMessage, SimNode } from './sim-types.ts'
import type { NetworkStats } from './stats.ts'

/** The simulator state a transmission reads and the one way it schedules events. */
export interface TransmitHost<Msg, Timer, Command, Event> {
  readonly nodes: ReadonlyArray<SimNode<Msg, Timer, Command, Event>>
  readonly byKey: ReadonlyMap<string, number>
  readonly links: LinkTable
  readonly latency: LinkLatency
  readonly stats: NetworkStats
  readonly sendHooks: ReadonlyArray<(m: SentMessage<Msg>) => void>
  readonly connectionTimeoutMs: number | undefined
  readonly sizeOf: ((msg: Msg) => number) | undefined
  readonly kindOf: ((msg: Msg) => string) | undefined
  now(): number
  push(time: number, type: number, node: number, epoch: number, from: number,
    input: CoreInput<Msg, Timer, Command> | undefined, action: (() => void) | undefined, gen?: number, kind?: string, size?: number): void
}

type Node<Msg, Timer, Command, Event> = SimNode<Msg, Timer, Command, Event>

export class Transmitter<Msg, Timer, Command, Event> {
  readonly #host: TransmitHost<Msg, Timer, Command, Event>
  readonly #rng: SeededRng
  #lossRate: number
  readonly #duplicateRate: number

  constructor(host: TransmitHost<Msg, Timer, Command, Event>, seed: number | string, lossRate: number, duplicateRate: number) {
    this.#host = host
    this.#rng = new SeededRng(seed)
    this.#lossRate = probability(lossRate, 'lossRate')
    this.#duplicateRate = probability(duplicateRate, 'duplicateRate')
  }

  setLossRate(rate: number): void {
    this.#lossRate = probability(rate, 'lossRate')
  }

  send(node: Node<Msg, Timer, Command, Event>, to: PeerId, msg: Msg): void {
    const host = this.#host
    const now = host.now()
    const target = host.byKey.get(to.toHex())
    const size = host.sizeOf?.(msg) ?? 0
    const kind = host.kindOf?.(msg) ?? 'message'
    host.stats.sent(node.index, kind, size)
    for (const hook of host.sendHooks) hook({ time: now, from: node.id, to, msg })
    if (target === undefined) {
      host.stats.drop('unknown-target')
      return
    }
    const dst = host.nodes[target]!
    if (!dst.alive) {
      host.stats.drop('dead-target')
      this.#dialFailure(node, dst)
      return
    }
    if (this.#lossRate > 0 && this.#rng.nextFloat() < this.#lossRate) {
      host.stats.drop('loss')
      return
    }
    if (!node.connections.has(target)) {
      host.links.reconnect(node.index, target)
      node.connections.add(target)
      dst.connections.add(node.index)
    }
    const time = now + host.latency.between(node.index, target)
    const input: CoreInput<Msg, Timer, Command> = { type: 'recv', from: node.id, msg }
    host.push(time, DELIVER, target, dst.epoch, node.index, input, undefined, -1, kind, size)
    if (this.#duplicateRate > 0 && this.#rng.nextFloat() < this.#duplicateRate) {
      host.stats.duplicated()
      host.push(time, DELIVER, target, dst.epoch, node.index, input, undefined, -1, kind, size)
    }
  }

  disconnect(node: Node<Msg, Timer, Command, Event>, peer: PeerId): void {
    const host = this.#host
    const target = host.byKey.get(peer.toHex())
    if (target === undefined) return
    node.connections.delete(target)
    const dst = host.nodes[target]!
    dst.connections.delete(node.index)
    if (!dst.alive) return
    // One ms after the link latency, so messages sent before the disconnect arrive first (as in iroh).
    this.#connectionDown(host.now() + host.latency.between(node.index, target) + 1, dst, node)
  }

  /** A killed node's connections end; with a connection timeout its live peers notice after it. */
  killed(node: Node<Msg, Timer, Command, Event>): void {
    const { nodes, connectionTimeoutMs } = this.#host
    if (connectionTimeoutMs !== undefined) {
      for (const peer of node.connections) {
        const other = nodes[peer]!
        other.connections.delete(node.index)
        if (other.alive) this.#connectionDown(this.#host.now() + connectionTimeoutMs, other, node)
      }
    } else {
      for (const peer of node.connections) nodes[peer]!.connections.delete(node.index)
    }
    node.connections.clear()
  }

  /** Schedules `peer-down` of `peer` at `node` unless the two reconnect before `time`. */
  #connectionDown(time: number, node: Node<Msg, Timer, Command, Event>, peer: Node<Msg, Timer, Command, Event>): void {
    const gen = this.#host.links.generation(node.index, peer.index)
    this.#host.push(time, CONN_DOWN, node.index, node.epoch, peer.index, { type: 'peer-down', peer: peer.id }, undefined, gen)
  }

  #dialFailure(node: Node<Msg, Timer, Command, Event>, dst: Node<Msg, Timer, Command, Event>): void {
    const host = this.#host
    if (host.connectionTimeoutMs === undefined || node.connections.has(dst.index)) return
    if (!host.links.beginDialFailure(node.index, dst.index)) return
    const epoch = node.epoch
    host.push(host.now() + host.connectionTimeoutMs, ACTION, -1, 0, -1, undefined, () => {
      host.links.endDialFailure(node.index, dst.index)
      if (node.alive && node.epoch === epoch) {
        host.push(host.now(), INPUT, node.index, epoch, -1, { type: 'peer-down', peer: dst.id }, undefined)
      }
    })
  }
}

function probability(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name}: expected a probability in [0, 1], got ${value}`)
  return value
}
