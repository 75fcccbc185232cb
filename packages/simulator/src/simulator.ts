/**
 * The discrete-event simulator: many sans-IO protocol cores (docs/architecture.md section 2) in one
 * process on virtual time, after iroh-gossip's `proto::sim`. One heap ordered by (time, seq), seeded
 * per-link latency, loss, duplication (`transmit.ts`), partitions, kill/restart, late joins, event-loop stalls and
 * overloaded nodes whose processing lags (`overload`, `service-queue.ts`).
 * Same seed and same scenario give the same run, which `traceHash()` and `report()` make checkable.
 */
import { SeededRng } from '@saorsa-gossip/types'
import type { CoreInput, CoreOutput, PeerId, ProtocolCore } from '@saorsa-gossip/types'
import { EventHeap } from './heap.ts'
import { LinkLatency, hashString } from './latency.ts'
import { LinkTable } from './links.ts'
import { ServiceQueue, type ServiceTime } from './service-queue.ts'
import { ACTION, CONN_DOWN, DELIVER, INPUT, RESUME, SERVE } from './sim-types.ts'
import type { EmittedEvent, HeapEvent, SentMessage, SimNode, SimulatorInit } from './sim-types.ts'
import { TraceDigest } from './trace.ts'
import { NetworkStats } from './stats.ts'
import type { SimReport } from './stats.ts'
import { Transmitter } from './transmit.ts'

export type { SimulatorInit, EmittedEvent, SentMessage } from './sim-types.ts'

type Outputs<Msg, Timer, Event> = Array<CoreOutput<Msg, Timer, Event>>

/** Wall time a scenario may run before `runForAsync` yields to the event loop (vitest's RPC needs turns). */
const DEFAULT_SLICE_MS = 200

/** One macrotask: lets timers and I/O callbacks (the test runner's RPC) run. */
export function yieldMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export class Simulator<Msg, Timer, Command, Event> {
  readonly #heap = new EventHeap<HeapEvent<Msg, Timer, Command>>()
  readonly #nodes: Array<SimNode<Msg, Timer, Command, Event>> = []
  readonly #byKey = new Map<string, number>()
  readonly #transmit: Transmitter<Msg, Timer, Command, Event>
  readonly #recordEvents: boolean
  readonly #events: Array<EmittedEvent<Event>> = []
  readonly #emitHooks: Array<(e: EmittedEvent<Event>) => void> = []
  readonly #sendHooks: Array<(m: SentMessage<Msg>) => void> = []
  readonly #links = new LinkTable()
  readonly #trace = new TraceDigest()
  readonly #stats: NetworkStats
  readonly #seed: number | string
  #seq = 0
  #now = 0
  #processed = 0
  /** Wall time of the last hand-back of the event loop (or of construction), for `runForAsync`. */
  #sliceStart = performance.now()

  constructor(init: SimulatorInit<Msg>) {
    this.#seed = init.seed
    const latency = new LinkLatency(hashString(`latency:${String(init.seed)}`), init.latencyMs ?? [10, 50])
    this.#recordEvents = init.recordEvents ?? true
    this.#stats = new NetworkStats()
    this.#transmit = new Transmitter({
      nodes: this.#nodes, byKey: this.#byKey, links: this.#links, latency, stats: this.#stats, sendHooks: this.#sendHooks,
      connectionTimeoutMs: init.connectionTimeoutMs, sizeOf: init.sizeOf, kindOf: init.kindOf,
      now: () => this.#now,
      push: (time, type, node, epoch, from, input, action, gen, kind, size) => this.#push(time, type, node, epoch, from, input, action, gen, kind, size),
    }, init.seed, init.lossRate ?? 0, init.duplicateRate ?? 0)
  }

  /** Current virtual time in ms. */
  get now(): number {
    return this.#now
  }

  /** Number of heap events processed so far. */
  get processed(): number {
    return this.#processed
  }

  /** An independent seeded generator for a core or a scenario, derived from the simulator seed. */
  forkRng(label: string | number): SeededRng {
    return new SeededRng(`${String(this.#seed)}/${label}`)
  }

  /** Adds a node now (a late join when the run has started). Its clock reads `now + clockOffsetMs`. */
  addNode(id: PeerId, core: ProtocolCore<Msg, Timer, Command, Event>, options: { clockOffsetMs?: number } = {}): void {
    const key = id.toHex()
    if (this.#byKey.has(key)) throw new RangeError(`addNode: node ${id.toShortString()} already exists`)
    const index = this.#nodes.length
    this.#byKey.set(key, index)
    this.#nodes.push({
      index, id, core, alive: true, epoch: 0, stalledUntil: 0, backlog: [], service: undefined,
      clockOffsetMs: options.clockOffsetMs ?? 0, connections: new Set(),
    })
    this.#stats.addNode()
    this.#links.grow(this.#nodes.length)
  }

  /** All node ids, in the order they were added. */
  ids(): PeerId[] {
    return this.#nodes.map((n) => n.id)
  }

  /** Ids of nodes that are currently alive. */
  aliveIds(): PeerId[] {
    return this.#nodes.filter((n) => n.alive).map((n) => n.id)
  }

  isAlive(id: PeerId): boolean {
    return this.#node(id).alive
  }

  /** The current core of a node (for read-only inspection by invariants and tests). */
  core(id: PeerId): ProtocolCore<Msg, Timer, Command, Event> {
    return this.#node(id).core
  }

  /** Feeds an input to a node at the current time (processed on the next run call). */
  input(id: PeerId, input: CoreInput<Msg, Timer, Command>): void {
    const node = this.#node(id)
    this.#push(this.#now, INPUT, node.index, node.epoch, -1, input, undefined)
  }

  command(id: PeerId, command: Command): void {
    this.input(id, { type: 'command', command })
  }

  /** Runs `action` at virtual time `timeMs` (scripted kills, partitions, late joins). */
  at(timeMs: number, action: () => void): void {
    if (!(timeMs >= this.#now)) throw new RangeError(`at: time ${timeMs} is in the past (now ${this.#now})`)
    this.#push(timeMs, ACTION, -1, 0, -1, undefined, action)
  }

  /** Changes the probability that a message is lost from now on (a lossy phase after a clean warm-up). */
  setLossRate(rate: number): void {
    this.#transmit.setLossRate(rate)
  }

  /** Stops a node: pending timers and in-flight deliveries to it are dropped. */
  kill(id: PeerId): void {
    const node = this.#node(id)
    if (!node.alive) return
    node.alive = false
    node.epoch++
    node.backlog = []
    node.stalledUntil = 0
    node.service?.clear()
    this.#trace.addString(`kill:${node.index}@${this.#now}`)
    this.#transmit.killed(node)
  }

  /** Brings a killed node back with a fresh core (same id); it starts with no connections. */
  restart(id: PeerId, core: ProtocolCore<Msg, Timer, Command, Event>): void {
    const node = this.#node(id)
    if (node.alive) this.kill(id)
    node.core = core
    node.alive = true
    node.epoch++
    this.#trace.addString(`restart:${node.index}@${this.#now}`)
  }

  /**
   * Cuts the network into groups: messages between different groups are lost (including those
   * already in flight). Nodes not listed form one further group together. Connections are not
   * closed, so no `peer-down` is generated; the cores' own failure detection has to notice.
   */
  partition(groups: ReadonlyArray<readonly PeerId[]>): void {
    this.#links.partition(groups.map((group) => group.map((id) => this.#node(id).index)), this.#nodes.length)
    this.#trace.addString(`partition@${this.#now}`)
  }

  heal(): void {
    this.#links.heal()
    this.#trace.addString(`heal@${this.#now}`)
  }

  /**
   * Freezes a node's event loop for `ms`: inputs and timers due meanwhile queue up and are handled
   * together, in arrival order, when the stall ends (timers therefore fire late).
   */
  stall(id: PeerId, ms: number): void {
    const node = this.#node(id)
    if (!node.alive) return
    const until = Math.max(node.stalledUntil, this.#now + ms)
    node.stalledUntil = until
    this.#push(until, RESUME, node.index, node.epoch, -1, undefined, undefined)
  }

  /**
   * Makes a node overloaded: from now on every message it receives waits in one FIFO queue and
   * takes `cost(input)` virtual ms to process (timers and commands do not queue). A later call
   * changes the cost of messages that arrive from then on (`() => 0` ends the overload: what is
   * queued is still processed in order).
   */
  overload(id: PeerId, cost: ServiceTime<Msg, Timer, Command>): void {
    const node = this.#node(id)
    if (node.service === undefined) node.service = new ServiceQueue(cost)
    else node.service.cost = cost
    this.#trace.addString(`overload:${node.index}@${this.#now}`)
  }

  /** An overloaded node's queue: its wait (the local lag its driver would measure) and its depth. */
  serviceQueue(id: PeerId): { readonly waitMs: number; readonly depth: number; readonly maxDepth: number } | undefined {
    const queue = this.#node(id).service
    return queue === undefined ? undefined : { waitMs: queue.waitMs(this.#now), depth: queue.depth, maxDepth: queue.maxDepth }
  }

  on(name: 'emit', hook: (e: EmittedEvent<Event>) => void): void
  on(name: 'send', hook: (m: SentMessage<Msg>) => void): void
  on(name: 'emit' | 'send', hook: ((e: EmittedEvent<Event>) => void) | ((m: SentMessage<Msg>) => void)): void {
    if (name === 'emit') this.#emitHooks.push(hook as (e: EmittedEvent<Event>) => void)
    else this.#sendHooks.push(hook as (m: SentMessage<Msg>) => void)
  }

  /** Recorded events, all nodes or one, in emission order. */
  events(id?: PeerId): Array<EmittedEvent<Event>> {
    if (id === undefined) return this.#events.slice()
    return this.#events.filter((e) => e.node.equals(id))
  }

  clearEvents(): void {
    this.#events.length = 0
  }

  /** Processes every event due within the next `ms` of virtual time, then sets `now` to its end. */
  runFor(ms: number): void {
    const end = this.#now + ms
    while (this.#step(end));
    this.#now = end
  }

  /**
   * Runs until `predicate()` holds, checking every `checkEveryMs` of virtual time (default 100),
   * or until `timeoutMs` has passed. Returns whether the predicate held.
   */
  runUntil(predicate: () => boolean, options: { timeoutMs: number; checkEveryMs?: number }): boolean {
    const deadline = this.#now + options.timeoutMs
    const step = options.checkEveryMs ?? 100
    if (predicate()) return true
    while (this.#now < deadline) {
      this.runFor(Math.min(step, deadline - this.#now))
      if (predicate()) return true
    }
    return false
  }

  /**
   * `runFor` that hands the event loop back (one macrotask) whenever `sliceMs` of wall time have
   * passed since it last did, so a long scenario never keeps its worker's loop busy: the test
   * runner's RPC and timers still get through. The slice runs across calls, so a scenario that
   * steps in short calls with checks in between yields as often as one long call does. Same events
   * in the same order as `runFor`, so figures and trace hashes match.
   */
  async runForAsync(ms: number, options: { sliceMs?: number } = {}): Promise<void> {
    const end = this.#now + ms
    const sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS
    for (let count = 0; ; count++) {
      // Reading the clock costs more than an event, so it is read on entry and then every 256 events.
      if ((count & 255) === 0 && performance.now() - this.#sliceStart >= sliceMs) {
        await yieldMacrotask()
        this.#sliceStart = performance.now()
      }
      if (!this.#step(end)) break
    }
    this.#now = end
  }

  /** `runUntil` on `runForAsync`: the same checks, yielding to the event loop between slices. */
  async runUntilAsync(predicate: () => boolean, options: { timeoutMs: number; checkEveryMs?: number; sliceMs?: number }): Promise<boolean> {
    const deadline = this.#now + options.timeoutMs
    const step = options.checkEveryMs ?? 100
    if (predicate()) return true
    while (this.#now < deadline) {
      await this.runForAsync(Math.min(step, deadline - this.#now), options.sliceMs === undefined ? {} : { sliceMs: options.sliceMs })
      if (predicate()) return true
    }
    return false
  }

  /** Digest of the full processing trace so far (equal for equal seeds and scenarios). */
  traceHash(): string {
    return this.#trace.hex()
  }

  /** Network accounting as plain JSON. */
  report(): SimReport {
    return this.#stats.report({
      seed: String(this.#seed), nowMs: this.#now, processedEvents: this.#processed,
      aliveNodes: this.#nodes.filter((n) => n.alive).length, traceHash: this.#trace.hex(),
    })
  }

  #node(id: PeerId): SimNode<Msg, Timer, Command, Event> {
    const index = this.#byKey.get(id.toHex())
    if (index === undefined) throw new RangeError(`unknown node ${id.toShortString()}`)
    return this.#nodes[index]!
  }

  #push(time: number, type: number, node: number, epoch: number, from: number,
    input: CoreInput<Msg, Timer, Command> | undefined, action: (() => void) | undefined, gen = -1, kind = '', size = 0): void {
    this.#heap.push({ time, seq: this.#seq++, type, node, epoch, from, input, action, gen, kind, size })
  }

  /** Processes the next event due by `end`; false when there is none. */
  #step(end: number): boolean {
    const next = this.#heap.peek()
    if (next === undefined || next.time > end) return false
    this.#heap.pop()
    this.#now = next.time
    this.#process(next)
    return true
  }

  #process(ev: HeapEvent<Msg, Timer, Command>): void {
    this.#processed++
    const trace = this.#trace
    trace.addNumber(ev.time)
    trace.addNumber(ev.type)
    trace.addNumber(ev.node)
    if (ev.type === ACTION) {
      ev.action!()
      return
    }
    const node = this.#nodes[ev.node]!
    if (!node.alive || node.epoch !== ev.epoch) {
      if (ev.type === DELIVER) this.#stats.drop('dead-target')
      return
    }
    if (ev.type === CONN_DOWN && this.#links.generation(ev.node, ev.from) !== ev.gen) return
    if (ev.type === RESUME) {
      if (node.stalledUntil > this.#now) return
      node.stalledUntil = 0
      const backlog = node.backlog
      node.backlog = []
      for (const input of backlog) {
        if (!node.alive) break
        this.#handle(node, input)
      }
      return
    }
    const input = ev.input
    // Only SERVE events carry no input.
    if (input === undefined) return this.#serve(node)
    if (ev.type === DELIVER) {
      if (this.#links.separated(ev.from, ev.node)) {
        this.#stats.drop('partition')
        return
      }
      if (input.type === 'recv') {
        trace.addNumber(ev.from)
        trace.addString(ev.kind)
        this.#stats.received(ev.node, ev.size)
      }
    } else if (input.type === 'peer-down' || input.type === 'peer-up') {
      trace.addString(input.type)
    }
    if (node.stalledUntil > this.#now) {
      node.backlog.push(input)
      return
    }
    if (node.service !== undefined && input.type === 'recv') {
      const ms = node.service.push(input, this.#now)
      if (ms !== undefined) this.#push(this.#now + ms, SERVE, node.index, node.epoch, -1, undefined, undefined)
      return
    }
    this.#handle(node, input)
  }

  /** The head of an overloaded node's queue is processed; the next one starts. */
  #serve(node: SimNode<Msg, Timer, Command, Event>): void {
    const queue = node.service
    if (queue === undefined) return
    const { input, nextMs } = queue.shift()
    if (nextMs !== undefined) this.#push(this.#now + nextMs, SERVE, node.index, node.epoch, -1, undefined, undefined)
    if (input !== undefined) this.#handle(node, input)
  }

  #handle(node: SimNode<Msg, Timer, Command, Event>, input: CoreInput<Msg, Timer, Command>): void {
    const out: Outputs<Msg, Timer, Event> = []
    node.core.handle(input, this.#now + node.clockOffsetMs, out)
    for (const o of out) {
      switch (o.type) {
        case 'send': this.#transmit.send(node, o.to, o.msg); break
        case 'schedule':
          this.#push(this.#now + Math.max(0, o.delayMs), INPUT, node.index, node.epoch, -1, { type: 'timer', timer: o.timer }, undefined)
          break
        case 'emit': this.#emit(node, o.event); break
        case 'disconnect': this.#transmit.disconnect(node, o.peer); break
      }
    }
  }

  #emit(node: SimNode<Msg, Timer, Command, Event>, event: Event): void {
    const record = { time: this.#now, node: node.id, event }
    if (this.#recordEvents) this.#events.push(record)
    for (const hook of this.#emitHooks) hook(record)
  }
}
