/**
 * HyParView (Leitao, Pereira, Rodrigues, DSN 2007, section 4) as a sans-IO core: the state machine
 * that owns the active view (kept symmetric by NEIGHBOR and DISCONNECT, section 4.3) and dispatches
 * inputs to the join walks, shuffles, neighbour requests and repairs beside it in hyparview-*.ts.
 * Timers are data and never cancelled; a stale one is recognised by its sequence number.
 */
import type { Outbox, PeerId, ProtocolCore, Rng } from '@saorsa-gossip/types'
import { HYPARVIEW_LAN, validateHyParViewConfig } from './hyparview-config.ts'
import type { HyParViewConfig } from './hyparview-config.ts'
import type { DisconnectMessage, HyParViewMessage, NeighborMessage, NeighborReplyMessage, PeerInfo } from './hyparview-messages.ts'
import { capAddrs, toInfo } from './hyparview-messages.ts'
import { ContactBook, redialDelayMs } from './hyparview-contacts.ts'
import { JoinWalk } from './hyparview-join.ts'
import { PassiveView } from './hyparview-passive.ts'
import { FailedPeers, StuckWatch } from './hyparview-recovery.ts'
import { dropForSwap, escape, mergeCheck, refill, startRefresh } from './hyparview-repair.ts'
import type { RepairContext } from './hyparview-repair.ts'
import { NeighborRequests } from './hyparview-requests.ts'
import { ShuffleExchange } from './hyparview-shuffle.ts'
import type {
  HyParViewCommand, HyParViewDropReason, HyParViewEvent, HyParViewInput, HyParViewOutput, HyParViewTimer,
} from './hyparview-types.ts'
import { PeerSet } from './views.ts'

export type {
  HyParViewTimer, HyParViewCommand, HyParViewEvent, HyParViewInput, HyParViewOutput, HyParViewDropReason,
} from './hyparview-types.ts'

export interface HyParViewInit {
  readonly self: PeerInfo
  readonly rng: Rng
  readonly config?: HyParViewConfig
}

type Out = Outbox<HyParViewOutput>

export class HyParView implements ProtocolCore<HyParViewMessage, HyParViewTimer, HyParViewCommand, HyParViewEvent> {
  readonly self: PeerInfo
  readonly config: HyParViewConfig
  readonly #selfKey: string
  readonly #rng: Rng
  readonly #active = new PeerSet<PeerInfo>()
  readonly #passive: PassiveView
  readonly #requests: NeighborRequests
  readonly #drops = new Map<HyParViewDropReason, number>()
  /** Contacts given out of band, kept for redials while isolated and for the merge check. */
  readonly #book: ContactBook
  /** Neighbours lost to failures, asked again by the merge tick (after Serf's reconnect). */
  readonly #failed: FailedPeers
  readonly #stuck = new StuckWatch()
  /** The armed redial backoff while isolated; a timer with another seq is stale. */
  #redial: { readonly seq: number } | undefined
  readonly #join: JoinWalk
  readonly #shuffle: ShuffleExchange
  readonly #repair: RepairContext
  #seq = 0
  #started = false
  #left = false

  constructor(init: HyParViewInit) {
    this.self = { id: init.self.id, addrs: capAddrs(init.self.addrs) }
    this.config = validateHyParViewConfig(init.config ?? HYPARVIEW_LAN)
    this.#selfKey = init.self.id.toHex()
    this.#rng = init.rng
    this.#passive = new PassiveView(this.config, init.rng)
    const nextSeq = (): number => ++this.#seq
    this.#requests = new NeighborRequests(this.self, this.config, nextSeq)
    this.#book = new ContactBook(this.#selfKey, this.config)
    this.#failed = new FailedPeers(this.config.mergeIntervalMs, init.rng)
    const drop = (reason: HyParViewDropReason): void => this.#drop(reason)
    this.#shuffle = new ShuffleExchange({
      self: this.self, config: this.config, rng: init.rng, active: this.#active, passive: this.#passive,
      mayReturn: (key, nowMs) => this.#requests.mayReturn(key, nowMs), drop,
    })
    this.#join = new JoinWalk({
      self: this.self, config: this.config, rng: init.rng, active: this.#active, drop, nextSeq,
      addActive: (info, out) => this.#addActive(info, out),
      addPassive: (info, source) => this.#addPassive(info, source),
      onNeighbor: (from, msg, out) => this.#onNeighbor(from, msg, out),
    })
    this.#repair = {
      config: this.config, rng: init.rng, active: this.#active, passive: this.#passive, requests: this.#requests,
      shuffle: this.#shuffle, failed: this.#failed, book: this.#book,
      joining: () => this.#join.inProgress,
      evict: (victim, out) => this.#evict(victim, out),
    }
  }

  /** Current active view (read-only snapshot). */
  activeView(): PeerId[] {
    return this.#active.ids().slice()
  }

  passiveView(): PeerId[] {
    return this.#passive.ids().slice()
  }

  isActive(peer: PeerId): boolean {
    return this.#active.has(peer)
  }

  /** Known addresses of a peer in either view, for a driver that must dial it. */
  addrsOf(peer: PeerId): readonly string[] | undefined {
    return this.#active.get(peer)?.addrs ?? this.#passive.info(peer)?.addrs ?? this.#requests.get(peer.toHex())?.info.addrs
  }

  /** Ignored remote inputs by reason. */
  drops(): Record<string, number> {
    return Object.fromEntries([...this.#drops].sort(([a], [b]) => (a < b ? -1 : 1)))
  }

  handle(input: HyParViewInput, nowMs: number, out: Out): void {
    if (!this.#started) {
      this.#started = true
      // Periodic timers start at a random phase so nodes started together do not shuffle in lockstep.
      out.push({ type: 'schedule', delayMs: 1 + this.#rng.nextInt(this.config.shuffleIntervalMs), timer: { type: 'shuffle' } })
      out.push({ type: 'schedule', delayMs: this.config.maintenanceIntervalMs, timer: { type: 'maintenance' } })
      if (this.config.activeRefreshIntervalMs > 0) {
        out.push({ type: 'schedule', delayMs: 1 + this.#rng.nextInt(this.config.activeRefreshIntervalMs), timer: { type: 'refresh' } })
      }
      // No random phase: nodes start at different moments anyway, a tick that finds nothing to ask
      // sends nothing, and a node that never needs the check draws nothing from its Rng.
      if (this.config.mergeIntervalMs > 0) out.push({ type: 'schedule', delayMs: this.config.mergeIntervalMs, timer: { type: 'merge' } })
    }
    if (this.#left) {
      if (input.type === 'recv') this.#drop('left')
      return
    }
    switch (input.type) {
      case 'recv':
        if (input.from.toHex() === this.#selfKey) this.#drop('from-self')
        else this.#onMessage(input.from, input.msg, nowMs, out)
        break
      case 'command': this.#onCommand(input.command, out); break
      case 'timer': this.#onTimer(input.timer, nowMs, out); break
      case 'peer-down': this.#onPeerDown(input.peer, nowMs, out); break
      case 'peer-up': break
    }
    this.#watchIsolation(nowMs, out)
  }

  /**
   * An isolated node (empty active view, not left, no join in progress) with contact addresses keeps
   * redialling them with capped exponential backoff until it has a neighbour; isolated again, it starts over.
   */
  #watchIsolation(nowMs: number, out: Out): void {
    if (this.#left || this.#active.size > 0) {
      this.#redial = undefined
      return
    }
    // A join walk in progress has its own timeouts; redialling starts once it has run out of contacts.
    if (this.#redial !== undefined || this.#join.inProgress || this.#book.addresses().length === 0) return
    this.#armRedial(0, out)
  }

  #armRedial(attempt: number, out: Out): void {
    const seq = ++this.#seq
    this.#redial = { seq }
    out.push({ type: 'schedule', delayMs: redialDelayMs(this.config, attempt, this.#rng), timer: { type: 'redial', seq, attempt } })
  }

  #onMessage(from: PeerId, msg: HyParViewMessage, nowMs: number, out: Out): void {
    switch (msg.type) {
      case 'join': this.#join.onJoin(from, msg.addrs, nowMs, out); break
      case 'forward-join': this.#join.onForwardJoin(from, msg, out); break
      case 'neighbor': this.#onNeighbor(from, msg, out); break
      case 'neighbor-reply': this.#onNeighborReply(from, msg, nowMs, out); break
      case 'shuffle': this.#shuffle.onShuffle(from, msg, nowMs, out); break
      case 'shuffle-reply':
        // Fresh candidates asked for because nobody was left to ask: use them now, not at the next maintenance round.
        if (this.#shuffle.onReply(from, msg, nowMs, out)) refill(this.#repair, out, nowMs)
        break
      case 'disconnect': this.#onDisconnect(from, msg, nowMs, out); break
    }
  }

  #onCommand(command: HyParViewCommand, out: Out): void {
    switch (command.type) {
      case 'join': {
        const contacts = command.contacts.filter((c) => c.id.toHex() !== this.#selfKey).map(toInfo)
        // Every contact stays known, not just the one that answers first: the merge check asks the others.
        this.#book.add(contacts)
        this.#join.begin(contacts, out)
        return
      }
      case 'add-contacts': this.#book.add(command.contacts); return
      case 'contact-reached': this.#onContactReached(command.addr, toInfo(command.peer), out); return
      case 'leave': this.#leave(out)
    }
  }

  /** Isolated: join through the contact that answered. Otherwise it is a merge probe: ask it to swap in. */
  #onContactReached(addr: string, peer: PeerInfo, out: Out): void {
    this.#book.resolve(addr, peer.id)
    const key = peer.id.toHex()
    if (key === this.#selfKey || this.#active.has(peer.id) || this.#requests.has(key)) return
    if (this.#active.size === 0) this.#join.through(peer, out)
    else if (!this.#join.inProgress) this.#requests.ask(peer, 'low', true, out, true)
  }

  #leave(out: Out): void {
    for (const peer of this.#active.ids().slice()) {
      out.push({ type: 'send', to: peer, msg: { type: 'disconnect', alive: false } })
      this.#removeActive(peer, out)
    }
    this.#left = true
  }

  /** Section 4.3: high priority is always accepted; low priority only while a slot is free. */
  #onNeighbor(from: PeerId, msg: NeighborMessage, out: Out): void {
    const info = { id: from, addrs: capAddrs(msg.addrs) }
    const accepted = this.#active.has(from) || msg.priority === 'high' || this.#active.size < this.config.activeViewMax
    if (accepted) this.#addActive(info, out)
    else this.#addPassive(info, from.toHex())
    out.push({ type: 'send', to: from, msg: { type: 'neighbor-reply', accepted } })
  }

  #onNeighborReply(from: PeerId, msg: NeighborReplyMessage, nowMs: number, out: Out): void {
    const key = from.toHex()
    const join = this.#join.contactFor(from)
    const pending = this.#requests.answered(key)
    if (join !== undefined && msg.accepted) this.#join.finish()
    if (!msg.accepted) {
      // A full peer: ask others now and this one again only after a maintenance period.
      this.#requests.refuse(key, nowMs)
      refill(this.#repair, out, nowMs)
      // A contact that refused our (rate-limited) JOIN while nobody else is left to ask: an isolated
      // node may insist with a high-priority NEIGHBOR request (section 4.3).
      if (join !== undefined && this.#active.size === 0 && this.#requests.size === 0) this.#requests.ask(join, 'high', false, out, false)
      return
    }
    if (this.#active.has(from)) return
    const info = pending?.info ?? join
    if (info !== undefined) {
      if (pending?.swap === true) dropForSwap(this.#repair, from, out)
      this.#addActive(info, out)
    } else {
      // An acceptance we no longer wait for (timed out, or we dropped the peer meanwhile): the peer
      // may hold us in its active view, so say DISCONNECT to keep both views symmetric.
      out.push({ type: 'send', to: from, msg: { type: 'disconnect', alive: true } })
      out.push({ type: 'disconnect', peer: from })
    }
  }

  #onDisconnect(from: PeerId, msg: DisconnectMessage, nowMs: number, out: Out): void {
    const info = this.#active.get(from)
    if (info !== undefined) {
      this.#removeActive(from, out)
      if (msg.alive) this.#addPassive(info, this.#selfKey)
    }
    if (!msg.alive) {
      // It left on purpose: neither a passive candidate nor a failure to reconnect to.
      this.#passive.delete(from)
      this.#failed.delete(from)
    }
    this.#requests.delete(from.toHex())
    // Not straight back to the peer that just dropped us: it would have to evict someone else.
    refill(this.#repair, out, nowMs, from)
  }

  /** The transport lost the peer: an active or pending peer is presumed failed and forgotten. */
  #onPeerDown(peer: PeerId, nowMs: number, out: Out): void {
    const key = peer.toHex()
    if (this.#active.has(peer)) {
      this.#failed.add(this.#active.get(peer)!, nowMs)
      this.#removeActive(peer, out)
      this.#passive.delete(peer)
      this.#requests.rememberFailed(key, nowMs)
      refill(this.#repair, out, nowMs)
    } else if (this.#requests.has(key)) {
      this.#requests.failed(key, nowMs)
      this.#passive.delete(peer)
      refill(this.#repair, out, nowMs)
    } else if (this.#join.contactFor(peer) !== undefined) {
      this.#join.next(out)
    }
  }

  #onTimer(timer: HyParViewTimer, nowMs: number, out: Out): void {
    switch (timer.type) {
      case 'shuffle':
        out.push({ type: 'schedule', delayMs: this.config.shuffleIntervalMs, timer })
        this.#shuffle.start(nowMs, false, out)
        break
      case 'maintenance':
        out.push({ type: 'schedule', delayMs: this.config.maintenanceIntervalMs, timer })
        this.#requests.expire(nowMs)
        this.#failed.expire(nowMs)
        // At most half a view: a clique of up to activeViewSize / 2 + 1 nodes, not the many nodes of a
        // large overlay that sit a little short with full passive peers (their escapes would churn it).
        if (this.#stuck.endPeriod(this.#active.size <= this.config.activeViewSize >> 1 && !this.#join.inProgress)) escape(this.#repair, out)
        refill(this.#repair, out, nowMs)
        if (this.#active.size === 0 && this.#requests.size === 0 && !this.#join.inProgress) this.#join.restart(out)
        // Short of neighbours with nobody left to ask: refresh the passive view now instead of waiting.
        else if (this.#active.size + this.#requests.size < this.config.activeViewSize && this.#shuffle.lastStartedAtMs < nowMs) this.#shuffle.start(nowMs, true, out)
        break
      case 'refresh':
        out.push({ type: 'schedule', delayMs: this.config.activeRefreshIntervalMs, timer })
        startRefresh(this.#repair, nowMs, out)
        break
      case 'neighbor-timeout': {
        const key = timer.peer.toHex()
        if (this.#requests.get(key)?.seq !== timer.seq) return
        this.#requests.failed(key, nowMs)
        this.#passive.delete(timer.peer)
        this.#drop('neighbor-timeout')
        // Presumed failed: close the connection the request opened (a hung peer would keep it forever).
        out.push({ type: 'disconnect', peer: timer.peer })
        refill(this.#repair, out, nowMs)
        break
      }
      case 'join-timeout': this.#join.onTimeout(timer.seq, out); break
      case 'redial':
        if (this.#redial?.seq !== timer.seq || this.#active.size > 0) return
        for (const addr of this.#book.addresses()) out.push({ type: 'emit', event: { type: 'dial', addr } })
        this.#armRedial(timer.attempt + 1, out)
        break
      case 'merge':
        out.push({ type: 'schedule', delayMs: this.config.mergeIntervalMs, timer })
        mergeCheck(this.#repair, nowMs, out)
        break
    }
  }

  /** DISCONNECT(alive) to a neighbour we drop on purpose; it stays in our passive view. */
  #evict(victim: PeerId, out: Out): void {
    const victimInfo = this.#active.get(victim)!
    out.push({ type: 'send', to: victim, msg: { type: 'disconnect', alive: true } })
    out.push({ type: 'disconnect', peer: victim })
    this.#removeActive(victim, out)
    this.#addPassive(victimInfo, this.#selfKey)
  }

  #addActive(info: PeerInfo, out: Out): void {
    if (info.id.toHex() === this.#selfKey || this.#active.has(info.id)) return
    this.#requests.delete(info.id.toHex())
    this.#passive.delete(info.id)
    while (this.#active.size >= this.config.activeViewMax) this.#evict(this.#active.random(this.#rng)!, out)
    this.#active.set(info.id, info)
    this.#book.met(info.id)
    this.#failed.delete(info.id)
    this.#stuck.gained()
    out.push({ type: 'emit', event: { type: 'neighbor-up', peer: info.id } })
  }

  #removeActive(peer: PeerId, out: Out): void {
    if (this.#active.delete(peer) === undefined) return
    out.push({ type: 'emit', event: { type: 'neighbor-down', peer } })
  }

  #addPassive(info: PeerInfo, source: string): void {
    if (info.id.toHex() === this.#selfKey || this.#active.has(info.id)) return
    if (this.#passive.add(toInfo(info), source) === 'source-cap') this.#drop('passive-source-cap')
  }

  #drop(reason: HyParViewDropReason): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1)
  }
}
