/**
 * Outstanding HyParView NEIGHBOR requests (Leitao, Pereira, Rodrigues, DSN 2007, section 4.3) and
 * what their answers taught: a peer that refused a low-priority request, or stayed silent, is not
 * asked again for one maintenance period, and each request left unanswered in a row lets the refill
 * keep one more in flight. Timers are data; a stale timeout is recognised by its sequence number.
 */
import type { Outbox } from '@saorsa-gossip/types'
import type { HyParViewConfig } from './hyparview-config.ts'
import type { PeerInfo } from './hyparview-messages.ts'
import type { HyParViewOutput } from './hyparview-types.ts'

/**
 * One outstanding request; `swap` marks an active-view refresh (a neighbour leaves when it is
 * accepted); `probe` a merge-check or reconnection ask, whose silence says nothing of the passive view.
 */
export interface PendingNeighbor {
  readonly info: PeerInfo
  readonly seq: number
  readonly swap: boolean
  readonly probe: boolean
}

/** Failed peers remembered at once, like the JOIN memory (oldest forgotten first). */
const MAX_REMEMBERED_FAILED = 1024

type Out = Outbox<HyParViewOutput>

export class NeighborRequests {
  readonly #self: PeerInfo
  readonly #config: HyParViewConfig
  readonly #nextSeq: () => number
  readonly #pending = new Map<string, PendingNeighbor>()
  /** Passive peers that refused a low-priority request, and until when they are not asked again. */
  readonly #refusedUntil = new Map<string, number>()
  /** Peers presumed failed (lost, or silent to a NEIGHBOR request): shuffles may not bring them back until then. */
  readonly #failedUntil = new Map<string, number>()
  /** Requests in a row that ended unanswered (timeout, lost connection); any answer resets it. */
  #unanswered = 0

  constructor(self: PeerInfo, config: HyParViewConfig, nextSeq: () => number) {
    this.#self = self
    this.#config = config
    this.#nextSeq = nextSeq
  }

  get size(): number {
    return this.#pending.size
  }

  get unanswered(): number {
    return this.#unanswered
  }

  has(key: string): boolean {
    return this.#pending.has(key)
  }

  get(key: string): PendingNeighbor | undefined {
    return this.#pending.get(key)
  }

  delete(key: string): void {
    this.#pending.delete(key)
  }

  ask(info: PeerInfo, priority: 'high' | 'low', swap: boolean, out: Out, probe: boolean): void {
    const seq = this.#nextSeq()
    this.#pending.set(info.id.toHex(), { info, seq, swap, probe })
    out.push({ type: 'send', to: info.id, msg: { type: 'neighbor', priority, addrs: this.#self.addrs } })
    out.push({ type: 'schedule', delayMs: this.#config.neighborTimeoutMs, timer: { type: 'neighbor-timeout', peer: info.id, seq } })
  }

  /** The peer answered: whatever it said, the run of unanswered requests ends. Returns our request, if any. */
  answered(key: string): PendingNeighbor | undefined {
    const pending = this.#pending.get(key)
    this.#pending.delete(key)
    if (pending !== undefined) this.#unanswered = 0
    return pending
  }

  /** The request to `key` ended unanswered (timeout, lost connection): the peer is presumed failed. */
  failed(key: string, nowMs: number): void {
    const pending = this.#pending.get(key)
    this.#pending.delete(key)
    this.rememberFailed(key, nowMs)
    if (pending?.probe === false) this.#unanswered = Math.min(this.#unanswered + 1, this.#config.activeViewMax)
  }

  /** A full peer: it is asked again only after a maintenance period. */
  refuse(key: string, nowMs: number): void {
    this.#refusedUntil.set(key, nowMs + this.#config.maintenanceIntervalMs)
  }

  isRefused(key: string, nowMs: number): boolean {
    return (this.#refusedUntil.get(key) ?? 0) > nowMs
  }

  /** False while a peer presumed failed may not come back through a shuffle. */
  mayReturn(key: string, nowMs: number): boolean {
    return (this.#failedUntil.get(key) ?? 0) <= nowMs
  }

  /** For one maintenance period, like a refusal; bounded like the JOIN memory. */
  rememberFailed(key: string, nowMs: number): void {
    this.#failedUntil.delete(key)
    this.#failedUntil.set(key, nowMs + this.#config.maintenanceIntervalMs)
    if (this.#failedUntil.size > MAX_REMEMBERED_FAILED) this.#failedUntil.delete(this.#failedUntil.keys().next().value!)
  }

  /** Forgets refusals and failures whose period has passed (each maintenance round). */
  expire(nowMs: number): void {
    for (const [key, until] of this.#refusedUntil) if (until <= nowMs) this.#refusedUntil.delete(key)
    for (const [key, until] of this.#failedUntil) if (until <= nowMs) this.#failedUntil.delete(key)
  }
}
