/**
 * The address book (the iroh-gossip-discovery feature): every node periodically publishes a peer record
 * on the discovery topic (authenticated by the pubsub origin signature) and keeps the latest record of every peer it hears from, itself
 * included, so all nodes converge to the same book. Peers silent for the expiry leave it; the book
 * never holds more than `capacity` peers (the least recently heard go first). The interval and the
 * expiry stretch with the book so that every node receives at most `maxRecordsPerSecond` records
 * (RTCP's report interval scaling, RFC 3550 section 6.2). Sans-IO core.
 */
import type { CoreInput, CoreOutput, Outbox, PeerId, ProtocolCore, Rng } from '@saorsa-gossip/types'
import { encodePeerRecord, type ReceivedPeerRecord } from '../peer-record.ts'
import type { AddressBookConfig } from './config.ts'

export interface AddressBookEntry {
  readonly peerId: PeerId
  readonly addresses: readonly string[]
  readonly counter: number
  /** Monotonic time (the core's `nowMs`) of the latest record. */
  readonly lastHeardMs: number
}

export type AddressBookCommand =
  | { readonly type: 'wall-clock'; readonly wallMs: number }
  /** Starts publishing with these addresses (and restarts the schedule). */
  | { readonly type: 'start'; readonly addresses: readonly string[] }
  | { readonly type: 'set-addresses'; readonly addresses: readonly string[] }
  /** A record that passed validatePeerRecord. */
  | { readonly type: 'record'; readonly record: ReceivedPeerRecord }

export type AddressBookTimer = { readonly type: 'publish'; readonly epoch: number } | { readonly type: 'expire' }

export type AddressBookEvent =
  /** Publish these bytes on the discovery topic. */
  | { readonly type: 'publish'; readonly bytes: Uint8Array; readonly counter: number }
  | { readonly type: 'peer-added' | 'peer-updated' | 'peer-expired' | 'peer-evicted'; readonly peerId: PeerId }

export interface AddressBookCoreInit {
  readonly self: PeerId
  readonly config: AddressBookConfig
  readonly rng: Rng
}

export type AddressBookInput = CoreInput<never, AddressBookTimer, AddressBookCommand>
export type AddressBookOutput = CoreOutput<never, AddressBookTimer, AddressBookEvent>

export class AddressBookCore implements ProtocolCore<never, AddressBookTimer, AddressBookCommand, AddressBookEvent> {
  readonly config: AddressBookConfig
  readonly #init: AddressBookCoreInit
  readonly #entries = new Map<string, AddressBookEntry>()
  /** Per entry, the expiry when its latest record arrived (see `#expiryOf`). */
  readonly #expiryAtReceipt = new Map<string, number>()
  #addresses: readonly string[] = []
  #lastPublishMs = 0
  /** This round's jitter factor (0.5-1.5), kept so that reconsideration moves the same point. */
  #jitter = 1
  #counter = 0
  #epoch = 0
  #wallOffsetMs = 0
  #expiryArmed = false

  constructor(init: AddressBookCoreInit) {
    this.#init = init
    this.config = init.config
  }

  get size(): number {
    return this.#entries.size
  }

  get(peerId: PeerId): AddressBookEntry | undefined {
    return this.#entries.get(peerId.toHex())
  }

  /** Entries sorted by PeerId, so two converged books list identically. */
  entries(): AddressBookEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.peerId.compare(b.peerId))
  }

  handle(input: AddressBookInput, nowMs: number, out: Outbox<AddressBookOutput>): void {
    if (input.type === 'command') this.#onCommand(input.command, nowMs, out)
    else if (input.type === 'timer') this.#onTimer(input.timer, nowMs, out)
  }

  #onCommand(command: AddressBookCommand, nowMs: number, out: Outbox<AddressBookOutput>): void {
    switch (command.type) {
      case 'wall-clock':
        this.#wallOffsetMs = command.wallMs - nowMs
        return
      case 'start':
        this.#addresses = [...command.addresses]
        this.#epoch++
        this.#publish(nowMs, out)
        if (!this.#expiryArmed) {
          this.#expiryArmed = true
          out.push({ type: 'schedule', delayMs: this.#expiryPeriod(), timer: { type: 'expire' } })
        }
        return
      case 'set-addresses':
        this.#addresses = [...command.addresses]
        return
      case 'record':
        this.#upsert(command.record, nowMs, out)
    }
  }

  #onTimer(timer: AddressBookTimer, nowMs: number, out: Outbox<AddressBookOutput>): void {
    if (timer.type === 'publish') {
      if (timer.epoch !== this.#epoch) return
      // Timer reconsideration (RFC 3550 section 6.3.6): the book may have grown since this round was
      // scheduled, as it does in the minute after a cluster starts; the round then waits for the
      // stretched interval instead of sending every peer a record the budget has no room for.
      const dueMs = this.#lastPublishMs + Math.round(this.#jitter * this.publishIntervalMs())
      if (nowMs < dueMs) out.push({ type: 'schedule', delayMs: dueMs - nowMs, timer })
      else this.#publish(nowMs, out)
      return
    }
    this.expire(nowMs, out)
    out.push({ type: 'schedule', delayMs: this.#expiryPeriod(), timer: { type: 'expire' } })
  }

  /** The highest counter known for `peerId` (what validatePeerRecord compares against). */
  counterOf(peerId: PeerId): number | undefined {
    return this.#entries.get(peerId.toHex())?.counter
  }

  /**
   * The mean republication interval for the book as it is: every one of its n peers publishing every
   * n / maxRecordsPerSecond seconds sends each node maxRecordsPerSecond records a second in total.
   */
  publishIntervalMs(): number {
    const { publishIntervalMs, maxRecordsPerSecond } = this.config
    return Math.max(publishIntervalMs, Math.ceil((this.#entries.size * 1000) / maxRecordsPerSecond))
  }

  /**
   * How long a silent peer stays: the configured expiry stretched by the interval's factor. Peers
   * size the interval from their own books, which converge, so a peer stretched as far as we are is
   * never expired by us while it publishes; a young book is smaller, but so are its entries' ages.
   */
  expiryMs(): number {
    return Math.round((this.config.expiryMs * this.publishIntervalMs()) / this.config.publishIntervalMs)
  }

  /** Removes peers silent for longer than the expiry (our own entry is refreshed by publishing). */
  expire(nowMs: number, out: Outbox<AddressBookOutput>): void {
    const expiryMs = this.expiryMs()
    for (const [key, entry] of this.#entries) {
      if (nowMs - entry.lastHeardMs > this.#expiryOf(key, expiryMs) && !entry.peerId.equals(this.#init.self)) {
        this.#entries.delete(key)
        this.#expiryAtReceipt.delete(key)
        out.push({ type: 'emit', event: { type: 'peer-expired', peerId: entry.peerId } })
      }
    }
  }

  /**
   * The longer of the expiry now and when the entry's record arrived. When the book shrinks (many
   * peers left) the survivors' next records may still be a long interval away, scheduled while the
   * book was large; the expiry of that time keeps them. A newcomer's book grows to the others' size
   * within an interval, so its expiry now covers the long intervals of the peers it already holds.
   */
  #expiryOf(key: string, expiryNowMs: number): number {
    return Math.max(expiryNowMs, this.#expiryAtReceipt.get(key) ?? 0)
  }

  #publish(nowMs: number, out: Outbox<AddressBookOutput>): void {
    // Starting from the wall clock keeps counters growing across restarts without stored state.
    this.#counter = Math.max(this.#counter + 1, nowMs + this.#wallOffsetMs)
    if (this.#addresses.length > 0) {
      const record = { peerId: this.#init.self, addresses: this.#addresses, counter: this.#counter }
      const bytes = encodePeerRecord(record)
      this.#upsert(record, nowMs, out)
      out.push({ type: 'emit', event: { type: 'publish', bytes, counter: this.#counter } })
    }
    // Jitter of +-50 %: nodes that started together (a power cut, a test cluster) republish spread
    // over the whole interval, not in a burst. Under +-10 % a 100-node cluster's second round fell
    // within 12 s: 9,900 records at once.
    this.#lastPublishMs = nowMs
    this.#jitter = 0.5 + this.#init.rng.nextFloat()
    const delayMs = Math.round(this.#jitter * this.publishIntervalMs())
    out.push({ type: 'schedule', delayMs, timer: { type: 'publish', epoch: this.#epoch } })
  }

  #upsert(r: ReceivedPeerRecord, nowMs: number, out: Outbox<AddressBookOutput>): void {
    const key = r.peerId.toHex()
    const previous = this.#entries.get(key)
    if (previous !== undefined && previous.counter >= r.counter) return
    if (previous === undefined && this.#entries.size >= this.config.capacity) {
      let oldest: AddressBookEntry | undefined
      for (const e of this.#entries.values()) {
        if (!e.peerId.equals(this.#init.self) && (oldest === undefined || e.lastHeardMs < oldest.lastHeardMs)) oldest = e
      }
      if (oldest === undefined) return
      this.#entries.delete(oldest.peerId.toHex())
      this.#expiryAtReceipt.delete(oldest.peerId.toHex())
      out.push({ type: 'emit', event: { type: 'peer-evicted', peerId: oldest.peerId } })
    }
    this.#entries.set(key, { peerId: r.peerId, addresses: [...r.addresses], counter: r.counter, lastHeardMs: nowMs })
    this.#expiryAtReceipt.set(key, this.expiryMs())
    out.push({ type: 'emit', event: { type: previous === undefined ? 'peer-added' : 'peer-updated', peerId: r.peerId } })
  }

  #expiryPeriod(): number {
    return Math.max(1, Math.floor(this.expiryMs() / 3))
  }
}
