/**
 * Fault injection for tests and simulations, usable around any carrier: per-chunk delay and jitter
 * (order-preserving), loss, duplication and reordering of carrier chunks (which the secure channel must
 * detect and fail closed on), partitions between named groups (dials fail; pipes stall or reset), and kill.
 * Every random decision comes from the injected Rng, so a seed reproduces a run.
 */
import { throwIfAborted, type Rng } from '@saorsa-gossip/types'
import type { AbortOptions, BytePipe, Carrier, CarrierListener } from '../carrier.ts'
import { ConnectionClosedError, DialError } from '../errors.ts'
import { closedError } from './waiters.ts'

export interface FaultConfig {
  /** Added one-way delay per chunk, ms. */
  delayMs?: number
  /** Extra uniform random delay in [0, jitterMs) per chunk; delivery order is preserved. */
  jitterMs?: number
  /** Probability that a chunk is dropped. */
  loss?: number
  /** Probability that a chunk is delivered twice. */
  duplicate?: number
  /** Probability that a chunk is held back and delivered after the next one. */
  reorder?: number
}

export interface FaultInjector {
  /** Wraps `carrier` for the node named `label` (partition groups and kill name nodes by label or listen address). */
  wrap(carrier: Carrier, label: string): Carrier
  /** Replaces the fault settings for all pipes from now on. */
  configure(faults: FaultConfig): void
  /** Splits nodes into groups; traffic between groups is blocked. 'stall' holds chunks until heal, 'reset' closes pipes. */
  partition(groups: readonly (readonly string[])[], mode?: 'stall' | 'reset'): void
  /** Removes the partition and releases stalled chunks in order. */
  heal(): void
  /** Closes every pipe of node `label` (or all pipes) abruptly; returns how many pipe ends were closed. */
  kill(label?: string): number
  /** Chunks dropped, duplicated and reordered so far. */
  stats(): { dropped: number; duplicated: number; reordered: number; openPipes: number }
}

const HELD_RELEASE_MS = 25

interface PendingWrite { chunk: Uint8Array; resolve: () => void; reject: (e: Error) => void }

class FaultState {
  faults: Required<FaultConfig> = { delayMs: 0, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0 }
  groups: Map<string, number> | undefined
  readonly labelByAddr = new Map<string, string>()
  readonly pipes = new Set<FaultyPipe>()
  readonly counters = { dropped: 0, duplicated: 0, reordered: 0 }
  constructor(readonly rng: Rng) {}

  blocked(a: string | undefined, b: string | undefined): boolean {
    if (this.groups === undefined || a === undefined || b === undefined) return false
    const ga = this.groups.get(a)
    const gb = this.groups.get(b)
    return ga !== undefined && gb !== undefined && ga !== gb
  }
}

class FaultyPipe implements BytePipe {
  readonly #inner: BytePipe
  readonly #state: FaultState
  readonly #queue: PendingWrite[] = []
  #held: PendingWrite | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #nextDueAt = 0
  #busy = false
  #closed = false

  constructor(inner: BytePipe, state: FaultState, readonly localLabel: string, readonly remoteLabelOf: () => string | undefined) {
    this.#inner = inner
    this.#state = state
    state.pipes.add(this)
  }

  get localAddr(): string { return this.#inner.localAddr }
  get remoteAddr(): string { return this.#inner.remoteAddr }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(closedError())
    const { faults, rng, counters } = this.#state
    if (faults.loss > 0 && rng.nextFloat() < faults.loss) { counters.dropped++; return Promise.resolve() }
    const copies = faults.duplicate > 0 && rng.nextFloat() < faults.duplicate ? 2 : 1
    if (copies === 2) counters.duplicated++
    let last!: Promise<void>
    for (let i = 0; i < copies; i++) {
      last = new Promise<void>((resolve, reject) => {
        const entry: PendingWrite = { chunk, resolve, reject }
        if (this.#held === undefined && faults.reorder > 0 && rng.nextFloat() < faults.reorder) {
          // The held chunk counts as sent (it is "in the network"), so the writer moves on and the next chunk overtakes it.
          counters.reordered++
          this.#held = { chunk, resolve: () => {}, reject: () => {} }
          resolve()
          return
        }
        this.#queue.push(entry)
        if (this.#held !== undefined) { this.#queue.push(this.#held); this.#held = undefined }
      })
    }
    this.#schedule()
    return last
  }

  setReader(reader: { onData(chunk: Uint8Array): void; onEnd(error?: Error): void }): void {
    this.#inner.setReader({
      onData: (chunk) => reader.onData(chunk),
      onEnd: (error) => { this.#shutdown(error); reader.onEnd(error) },
    })
  }

  pause(): void { this.#inner.pause() }
  resume(): void { this.#inner.resume() }

  close(error?: Error): void {
    if (this.#closed) return
    this.#shutdown(error)
    this.#inner.close(error)
  }

  get remoteLabel(): string | undefined { return this.remoteLabelOf() }

  /** Partition or heal changed: stalled pipes may move again. */
  kick(): void { this.#schedule() }

  #shutdown(error: Error | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.#state.pipes.delete(this)
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    const failed = closedError(error)
    for (const w of this.#queue.splice(0)) w.reject(failed)
    this.#held?.reject(failed)
    this.#held = undefined
  }

  #schedule(): void {
    if (this.#busy || this.#closed || this.#timer !== undefined) return
    const next = this.#queue[0] ?? this.#held
    if (next === undefined) return
    if (this.#state.blocked(this.localLabel, this.remoteLabel)) return // stalled until heal() kicks it
    const { delayMs, jitterMs, reorder } = this.#state.faults
    // A held chunk is meant to be overtaken by the next write; with nothing after it, it is released
    // after a grace period rather than kept forever (long enough for a busy writer's next chunk).
    const extra = this.#queue.length === 0 ? HELD_RELEASE_MS : 0
    const wait = delayMs + (jitterMs > 0 ? this.#state.rng.nextFloat() * jitterMs : 0) + extra
    const dueAt = Math.max(this.#nextDueAt, Date.now() + wait)
    this.#nextDueAt = dueAt
    if (dueAt <= Date.now() && reorder === 0 && this.#queue.length > 0) { void this.#deliver(); return }
    this.#timer = setTimeout(() => { this.#timer = undefined; void this.#deliver() }, Math.max(0, dueAt - Date.now()))
  }

  async #deliver(): Promise<void> {
    if (this.#closed || this.#busy) return
    if (this.#state.blocked(this.localLabel, this.remoteLabel)) return
    const entry = this.#queue.shift() ?? this.#held
    if (entry === undefined) return
    if (entry === this.#held) this.#held = undefined
    this.#busy = true
    try {
      await this.#inner.write(entry.chunk)
      entry.resolve()
    } catch (error) {
      entry.reject(error instanceof Error ? error : new ConnectionClosedError())
    } finally {
      this.#busy = false
    }
    this.#schedule()
  }
}

class FaultyCarrier implements Carrier {
  readonly scheme: string
  constructor(readonly inner: Carrier, readonly label: string, readonly state: FaultState) {
    this.scheme = inner.scheme
  }

  async listen(addr: string, onPipe: (pipe: BytePipe) => void, options?: AbortOptions): Promise<CarrierListener> {
    const listener = await this.inner.listen(addr, (pipe) => {
      const peerLabel = (): string | undefined => this.state.labelByAddr.get(pipe.remoteAddr)
      if (this.state.blocked(this.label, peerLabel())) { pipe.close(new DialError('partitioned')); return }
      onPipe(new FaultyPipe(pipe, this.state, this.label, peerLabel))
    }, options)
    this.state.labelByAddr.set(listener.addr, this.label)
    return listener
  }

  async dial(addr: string, options?: AbortOptions): Promise<BytePipe> {
    throwIfAborted(options?.signal)
    const target = this.state.labelByAddr.get(addr) ?? addr
    if (this.state.blocked(this.label, target)) throw new DialError(`dial ${addr}: partitioned from ${this.label}`)
    const pipe = await this.inner.dial(addr, options)
    this.state.labelByAddr.set(pipe.localAddr, this.label)
    return new FaultyPipe(pipe, this.state, this.label, () => target)
  }

  close(): Promise<void> { return this.inner.close() }
}

/** Creates a fault injector; wrap each node's carrier with `wrap(carrier, label)`. */
export function createFaultInjector(init: { rng: Rng; faults?: FaultConfig }): FaultInjector {
  const state = new FaultState(init.rng)
  const injector: FaultInjector = {
    wrap: (carrier, label) => new FaultyCarrier(carrier, label, state),
    configure(faults) {
      for (const [key, value] of Object.entries(faults)) {
        if (typeof value !== 'number' || !(value >= 0) || (key !== 'delayMs' && key !== 'jitterMs' && value > 1)) {
          throw new RangeError(`configure: ${key} must be a probability in [0, 1] or a non-negative delay, got ${String(value)}`)
        }
      }
      state.faults = { delayMs: 0, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0, ...faults }
    },
    partition(groups, mode = 'stall') {
      const byLabel = new Map<string, number>()
      groups.forEach((group, index) => {
        for (const name of group) {
          byLabel.set(name, index)
          for (const [addr, label] of state.labelByAddr) if (addr === name) byLabel.set(label, index)
        }
      })
      state.groups = byLabel
      if (mode === 'reset') {
        for (const pipe of [...state.pipes]) {
          if (state.blocked(pipe.localLabel, pipe.remoteLabel)) pipe.close(new ConnectionClosedError('reset by partition'))
        }
      }
    },
    heal() {
      state.groups = undefined
      for (const pipe of state.pipes) pipe.kick()
    },
    kill(label) {
      let count = 0
      for (const pipe of [...state.pipes]) {
        if (label === undefined || pipe.localLabel === label || pipe.remoteLabel === label) {
          pipe.close(new ConnectionClosedError('killed'))
          count++
        }
      }
      return count
    },
    stats: () => ({ ...state.counters, openPipes: state.pipes.size }),
  }
  if (init.faults !== undefined) injector.configure(init.faults)
  return injector
}
