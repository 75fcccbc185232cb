/**
 * HyParView (Leitao, Pereira, Rodrigues, DSN 2007, section 4) as a sans-IO core: a small symmetric
 * active view kept alive by the transport, a larger passive view refreshed by random-walk shuffles,
 * JOIN / FORWARD_JOIN walks (ARWL, PRWL), NEIGHBOR requests with high or low priority, and promotion
 * from the passive view (one candidate per free slot, each guarded by a timeout timer).
 * Timers are data and never cancelled; a stale one is recognised by its sequence number.
 */
import type { Outbox, PeerId, ProtocolCore, Rng } from '@saorsa-gossip/types'
import { HYPARVIEW_LAN, validateHyParViewConfig } from './hyparview-config.ts'
import type { HyParViewConfig } from './hyparview-config.ts'
import type {
  DisconnectMessage, ForwardJoinMessage, HyParViewMessage, NeighborMessage, NeighborReplyMessage, PeerInfo,
} from './hyparview-messages.ts'
import { capAddrs, toInfo } from './hyparview-messages.ts'
import { ContactBook, redialDelayMs } from './hyparview-contacts.ts'
import { PassiveView } from './hyparview-passive.ts'
import { FailedPeers, StuckWatch } from './hyparview-recovery.ts'
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
  /**
   * Outstanding NEIGHBOR requests; `swap` marks an active-view refresh (a neighbour leaves when it is
   * accepted); `probe` a merge-check or reconnection ask, whose silence says nothing of the passive view.
   */
  readonly #pending = new Map<string, { readonly info: PeerInfo; readonly seq: number; readonly swap: boolean; readonly probe: boolean }>()
  readonly #lastJoin = new Map<string, number>()
  /** Passive peers that refused a low-priority request, and until when they are not asked again. */
  readonly #refusedUntil = new Map<string, number>()
  /** Peers presumed failed (lost, or silent to a NEIGHBOR request): shuffles may not bring them back until then. */
  readonly #failedUntil = new Map<string, number>()
  readonly #drops = new Map<HyParViewDropReason, number>()
  #contacts: readonly PeerInfo[] = []
  /** Contacts given out of band, kept for redials while isolated and for the merge check. */
  readonly #book: ContactBook
  /** Neighbours lost to failures, asked again by the merge tick (after Serf's reconnect). */
  readonly #failed: FailedPeers
  readonly #stuck = new StuckWatch()
  /** The armed redial backoff while isolated; a timer with another seq is stale. */
  #redial: { readonly seq: number } | undefined
  #join: { readonly index: number; readonly seq: number; readonly contact: PeerInfo } | undefined
  readonly #shuffle: ShuffleExchange
  /** NEIGHBOR requests in a row that ended unanswered (timeout, lost connection); any answer resets it. */
  #unanswered = 0
  #seq = 0
  #started = false
  #left = false

  constructor(init: HyParViewInit) {
    this.self = { id: init.self.id, addrs: capAddrs(init.self.addrs) }
    this.config = validateHyParViewConfig(init.config ?? HYPARVIEW_LAN)
    this.#selfKey = init.self.id.toHex()
    this.#rng = init.rng
    this.#passive = new PassiveView(this.config, init.rng)
    this.#book = new ContactBook(this.#selfKey, this.config)
    this.#failed = new FailedPeers(this.config.mergeIntervalMs, init.rng)
    this.#shuffle = new ShuffleExchange({
      self: this.self, config: this.config, rng: init.rng, active: this.#active, passive: this.#passive,
      mayReturn: (key, nowMs) => (this.#failedUntil.get(key) ?? 0) <= nowMs,
      drop: (reason) => this.#drop(reason),
    })
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
    return this.#active.get(peer)?.addrs ?? this.#passive.info(peer)?.addrs ?? this.#pending.get(peer.toHex())?.info.addrs
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
    if (this.#redial !== undefined || this.#join !== undefined || this.#book.addresses().length === 0) return
    this.#armRedial(0, out)
  }

  #armRedial(attempt: number, out: Out): void {
    const seq = ++this.#seq
    this.#redial = { seq }
    out.push({ type: 'schedule', delayMs: redialDelayMs(this.config, attempt, this.#rng), timer: { type: 'redial', seq, attempt } })
  }

  #onMessage(from: PeerId, msg: HyParViewMessage, nowMs: number, out: Out): void {
    switch (msg.type) {
      case 'join': this.#onJoin(from, msg.addrs, nowMs, out); break
      case 'forward-join': this.#onForwardJoin(from, msg, out); break
      case 'neighbor': this.#onNeighbor(from, msg, out); break
      case 'neighbor-reply': this.#onNeighborReply(from, msg, nowMs, out); break
      case 'shuffle': this.#shuffle.onShuffle(from, msg, nowMs, out); break
      case 'shuffle-reply':
        // Fresh candidates asked for because nobody was left to ask: use them now, not at the next maintenance round.
        if (this.#shuffle.onReply(from, msg, nowMs)) this.#refill(out, nowMs)
        break
      case 'disconnect': this.#onDisconnect(from, msg, nowMs, out); break
    }
  }

  #onCommand(command: HyParViewCommand, out: Out): void {
    switch (command.type) {
      case 'join':
        this.#contacts = command.contacts.filter((c) => c.id.toHex() !== this.#selfKey).map(toInfo)
        // Every contact stays known, not just the one that answers first: the merge check asks the others.
        this.#book.add(this.#contacts)
        this.#startJoin(0, out)
        return
      case 'add-contacts': this.#book.add(command.contacts); return
      case 'contact-reached': this.#onContactReached(command.addr, toInfo(command.peer), out); return
      case 'leave': this.#leave(out)
    }
  }

  /** Isolated: join through the contact that answered. Otherwise it is a merge probe: ask it to swap in. */
  #onContactReached(addr: string, peer: PeerInfo, out: Out): void {
    this.#book.resolve(addr, peer.id)
    const key = peer.id.toHex()
    if (key === this.#selfKey || this.#active.has(peer.id) || this.#pending.has(key)) return
    if (this.#active.size === 0) {
      this.#contacts = [peer, ...this.#contacts.filter((c) => !c.id.equals(peer.id))]
      this.#startJoin(0, out)
    } else if (this.#join === undefined) {
      this.#askNeighbor(peer, 'low', true, out, true)
    }
  }

  #leave(out: Out): void {
    for (const peer of this.#active.ids().slice()) {
      out.push({ type: 'send', to: peer, msg: { type: 'disconnect', alive: false } })
      this.#removeActive(peer, out)
    }
    this.#left = true
  }

  #startJoin(index: number, out: Out): void {
    const contact = this.#contacts[index]
    if (contact === undefined) {
      this.#join = undefined
      return
    }
    const seq = ++this.#seq
    this.#join = { index, seq, contact }
    out.push({ type: 'send', to: contact.id, msg: { type: 'join', addrs: this.self.addrs } })
    out.push({ type: 'schedule', delayMs: this.config.joinTimeoutMs, timer: { type: 'join-timeout', seq } })
  }

  /**
   * Section 4.2: the contact takes the newcomer as a neighbour and starts ARWL walks through its other
   * neighbours. A second JOIN from the same peer within `joinRateLimitMs` (a quick restart) starts no
   * walks: it is answered like a low-priority NEIGHBOR request, so the walks cannot be amplified but
   * the rejoining peer still hears an answer.
   */
  #onJoin(from: PeerId, addrs: readonly string[], nowMs: number, out: Out): void {
    const info = { id: from, addrs: capAddrs(addrs) }
    if (!this.#active.has(from)) {
      const key = from.toHex()
      const last = this.#lastJoin.get(key)
      if (last !== undefined && nowMs - last < this.config.joinRateLimitMs) {
        this.#drop('join-rate-limited')
        this.#onNeighbor(from, { type: 'neighbor', priority: 'low', addrs }, out)
        return
      }
      this.#rememberJoin(key, nowMs)
      this.#addActive(info, out)
      for (const peer of this.#active.ids()) {
        if (!peer.equals(from)) {
          out.push({ type: 'send', to: peer, msg: { type: 'forward-join', peer: info, ttl: this.config.activeRandomWalkLength } })
        }
      }
    }
    out.push({ type: 'send', to: from, msg: { type: 'neighbor-reply', accepted: true } })
  }

  #onForwardJoin(from: PeerId, msg: ForwardJoinMessage, out: Out): void {
    if (!this.#active.has(from)) {
      this.#drop('not-a-neighbor')
      return
    }
    const peer = toInfo(msg.peer)
    if (peer.id.toHex() === this.#selfKey || this.#active.has(peer.id)) return
    const ttl = Math.min(msg.ttl, this.config.activeRandomWalkLength)
    if (ttl <= 0 || this.#active.size === 1) {
      this.#acceptWalk(peer, out)
      return
    }
    if (ttl === this.config.passiveRandomWalkLength) this.#addPassive(peer, from.toHex())
    const next = this.#active.random(this.#rng, (id) => id.equals(from) || id.equals(peer.id))
    if (next === undefined) this.#acceptWalk(peer, out)
    else out.push({ type: 'send', to: next, msg: { type: 'forward-join', peer, ttl: ttl - 1 } })
  }

  /** The walk ends here: take the newcomer and ask it, with high priority, to take us. */
  #acceptWalk(peer: PeerInfo, out: Out): void {
    this.#addActive(peer, out)
    out.push({ type: 'send', to: peer.id, msg: { type: 'neighbor', priority: 'high', addrs: this.self.addrs } })
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
    const pending = this.#pending.get(key)
    const join = this.#join?.contact.id.equals(from) === true ? this.#join.contact : undefined
    this.#pending.delete(key)
    if (pending !== undefined) this.#unanswered = 0
    if (join !== undefined && msg.accepted) this.#join = undefined
    if (!msg.accepted) {
      // A full peer: ask others now and this one again only after a maintenance period.
      this.#refusedUntil.set(key, nowMs + this.config.maintenanceIntervalMs)
      this.#refill(out, nowMs)
      // A contact that refused our (rate-limited) JOIN while nobody else is left to ask: an isolated
      // node may insist with a high-priority NEIGHBOR request (section 4.3).
      if (join !== undefined && this.#active.size === 0 && this.#pending.size === 0) this.#askNeighbor(join, 'high', false, out, false)
      return
    }
    if (this.#active.has(from)) return
    const info = pending?.info ?? join
    if (info !== undefined) {
      if (pending?.swap === true) this.#dropForSwap(from, out)
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
    this.#pending.delete(from.toHex())
    // Not straight back to the peer that just dropped us: it would have to evict someone else.
    this.#refill(out, nowMs, from)
  }

  /** The transport lost the peer: an active or pending peer is presumed failed and forgotten. */
  #onPeerDown(peer: PeerId, nowMs: number, out: Out): void {
    const key = peer.toHex()
    if (this.#active.has(peer)) {
      this.#failed.add(this.#active.get(peer)!, nowMs)
      this.#removeActive(peer, out)
      this.#passive.delete(peer)
      this.#rememberFailed(key, nowMs)
      this.#refill(out, nowMs)
    } else if (this.#pending.has(key)) {
      const probe = this.#pending.get(key)!.probe
      this.#pending.delete(key)
      this.#passive.delete(peer)
      this.#rememberFailed(key, nowMs)
      if (!probe) this.#unanswered = Math.min(this.#unanswered + 1, this.config.activeViewMax)
      this.#refill(out, nowMs)
    } else if (this.#join?.contact.id.equals(peer) === true) {
      this.#startJoin(this.#join.index + 1, out)
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
        for (const [key, until] of this.#refusedUntil) if (until <= nowMs) this.#refusedUntil.delete(key)
        for (const [key, until] of this.#failedUntil) if (until <= nowMs) this.#failedUntil.delete(key)
        this.#failed.expire(nowMs)
        // At most half a view: a clique of up to activeViewSize / 2 + 1 nodes, not the many nodes of a
        // large overlay that sit a little short with full passive peers (their escapes would churn it).
        if (this.#stuck.endPeriod(this.#active.size <= this.config.activeViewSize >> 1 && this.#join === undefined)) this.#escape(out)
        this.#refill(out, nowMs)
        if (this.#active.size === 0 && this.#pending.size === 0 && this.#join === undefined) this.#startJoin(0, out)
        // Short of neighbours with nobody left to ask: refresh the passive view now instead of waiting.
        else if (this.#active.size + this.#pending.size < this.config.activeViewSize && this.#shuffle.lastStartedAtMs < nowMs) this.#shuffle.start(nowMs, true, out)
        break
      case 'refresh':
        out.push({ type: 'schedule', delayMs: this.config.activeRefreshIntervalMs, timer })
        this.#startRefresh(nowMs, out)
        break
      case 'neighbor-timeout': {
        const key = timer.peer.toHex()
        const pending = this.#pending.get(key)
        if (pending?.seq !== timer.seq) return
        this.#pending.delete(key)
        this.#passive.delete(timer.peer)
        this.#rememberFailed(key, nowMs)
        if (!pending.probe) this.#unanswered = Math.min(this.#unanswered + 1, this.config.activeViewMax)
        this.#drop('neighbor-timeout')
        // Presumed failed: close the connection the request opened (a hung peer would keep it forever).
        out.push({ type: 'disconnect', peer: timer.peer })
        this.#refill(out, nowMs)
        break
      }
      case 'join-timeout':
        if (this.#join?.seq !== timer.seq) return
        if (this.#active.size > 0) this.#join = undefined
        else this.#startJoin(this.#join.index + 1, out)
        break
      case 'redial':
        if (this.#redial?.seq !== timer.seq || this.#active.size > 0) return
        for (const addr of this.#book.addresses()) out.push({ type: 'emit', event: { type: 'dial', addr } })
        this.#armRedial(timer.attempt + 1, out)
        break
      case 'merge':
        out.push({ type: 'schedule', delayMs: this.config.mergeIntervalMs, timer })
        this.#mergeCheck(nowMs, out)
        break
    }
  }

  /**
   * Section 4.3: fill free active slots from the passive view, one outstanding request per slot. Our
   * extensions (tuned in simulation, packages/simulator/test/hyparview-kill.sim.test.ts): each request
   * that went unanswered in a row adds one more request in flight, up to the active view's hard cap,
   * since after a mass failure most passive entries are dead and asking them one neighbour timeout
   * at a time took 20 s and more; and a node left with nobody to ask after an unanswered request
   * shuffles at once, at most once per neighbour timeout, instead of waiting for its next maintenance
   * round (gated on an unanswered request so a cluster smaller than activeViewSize stays quiet).
   */
  #refill(out: Out, nowMs: number, skip?: PeerId): void {
    const deficit = this.config.activeViewSize - this.#active.size
    if (deficit <= 0) return
    let missing = Math.min(deficit + this.#unanswered, this.config.activeViewMax - this.#active.size) - this.#pending.size
    while (missing > 0) {
      const candidate = this.#passive.random((id) => {
        const key = id.toHex()
        return this.#pending.has(key) || skip?.equals(id) === true || (this.#refusedUntil.get(key) ?? 0) > nowMs
      })
      if (candidate === undefined) {
        if (this.#unanswered > 0 && this.#active.size > 0 && nowMs - this.#shuffle.lastStartedAtMs >= this.config.neighborTimeoutMs) this.#shuffle.start(nowMs, true, out)
        return
      }
      this.#askNeighbor(this.#passive.info(candidate)!, this.#active.size === 0 ? 'high' : 'low', false, out, false)
      missing--
    }
  }

  #askNeighbor(info: PeerInfo, priority: 'high' | 'low', swap: boolean, out: Out, probe: boolean): void {
    const seq = ++this.#seq
    this.#pending.set(info.id.toHex(), { info, seq, swap, probe })
    out.push({ type: 'send', to: info.id, msg: { type: 'neighbor', priority, addrs: this.self.addrs } })
    out.push({ type: 'schedule', delayMs: this.config.neighborTimeoutMs, timer: { type: 'neighbor-timeout', peer: info.id, seq } })
  }

  /**
   * Active-view refresh (our extension, tuned in simulation): joins that arrive in a burst through one
   * contact wire each newcomer to the other newcomers of the same few milliseconds, a lattice in join
   * order with long paths, and HyParView's shuffles refresh only passive views. A node whose active
   * view is full asks one random passive peer (a near-uniform sample, thanks to the shuffles) with a
   * low-priority request; only if that peer has a free slot does the swap happen (`#dropForSwap`).
   * Views stay symmetric (DISCONNECT) and bounded (low priority never evicts).
   */
  /**
   * The merge check (after Dynamo's seeds, SOSP 2007 section 4.8.2): a joined node asks one kept
   * contact that has never been its neighbour and is in neither of its views to swap in (accepted,
   * it replaces one of our neighbours, so our degree stays). The second ask of a contact has high
   * priority, which it accepts even when full; the others low. A contact in another overlay is
   * unknown to ours, so the first accepted ask joins the two; an accepted one is met and left alone,
   * and the asks of a refusing one back off to one per 16 merge intervals.
   */
  #mergeCheck(nowMs: number, out: Out): void {
    if (this.#active.size === 0 || this.#join !== undefined || this.#pending.size > 0) return
    const known = (id: PeerId): boolean => this.#active.has(id) || this.#passive.has(id)
    // Reconnection first: a failed neighbour that answers again ends a partition, which is more
    // urgent than a contact that most likely sits in our own overlay already.
    const retry = this.#failed.next(nowMs, known)
    if (retry !== undefined) {
      this.#askNeighbor(retry.peer, retry.priority, true, out, true)
      return
    }
    const probe = this.#book.nextMergeProbe(nowMs, known)
    if (probe?.type === 'ask') this.#askNeighbor(probe.peer, probe.priority, true, out, true)
    else if (probe?.type === 'dial') out.push({ type: 'emit', event: { type: 'dial', addr: probe.addr } })
  }

  #startRefresh(nowMs: number, out: Out): void {
    if (this.#active.size < this.config.activeViewSize || this.#pending.size > 0 || this.#join !== undefined) return
    const candidate = this.#passive.random((id) => (this.#refusedUntil.get(id.toHex()) ?? 0) > nowMs)
    if (candidate !== undefined) this.#askNeighbor(this.#passive.info(candidate)!, 'low', true, out, false)
  }

  /**
   * A stuck node (see STUCK_MAINTENANCE_ROUNDS) sends one high-priority NEIGHBOR request, which is
   * accepted even by a full peer (section 4.3; that peer drops one of its own neighbours), to a
   * passive peer, else a kept contact: its cut-off group gets one edge out, and its shuffles then
   * leave the group. At most one such request per two stuck periods. Failed neighbours are left to
   * the reconnection's backoff: a small cluster is short for good, and would otherwise keep
   * dialling its dead.
   */
  #escape(out: Out): void {
    const taken = (id: PeerId): boolean => this.#active.has(id) || this.#pending.has(id.toHex()) || this.#failed.has(id)
    const passive = this.#passive.random(taken)
    const contacts = this.#book.known().filter((c) => !taken(c.id))
    const target = passive !== undefined ? this.#passive.info(passive) : contacts.length > 0 ? contacts[this.#rng.nextInt(contacts.length)] : undefined
    if (target !== undefined) this.#askNeighbor(target, 'high', false, out, false)
  }

  /** A refresh request was accepted: one random other neighbour moves to the passive view, keeping the degree. */
  #dropForSwap(newcomer: PeerId, out: Out): void {
    if (this.#active.size < this.config.activeViewSize) return
    const victim = this.#active.random(this.#rng, (id) => id.equals(newcomer))
    if (victim === undefined) return
    this.#evict(victim, out)
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
    this.#pending.delete(info.id.toHex())
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

  /** For one maintenance period, like a refusal; bounded like the JOIN memory (oldest of 1,024 forgotten). */
  #rememberFailed(key: string, nowMs: number): void {
    this.#failedUntil.delete(key)
    this.#failedUntil.set(key, nowMs + this.config.maintenanceIntervalMs)
    if (this.#failedUntil.size > 1024) this.#failedUntil.delete(this.#failedUntil.keys().next().value!)
  }

  #rememberJoin(key: string, nowMs: number): void {
    this.#lastJoin.delete(key)
    this.#lastJoin.set(key, nowMs)
    // Bounded memory: forget the oldest entries beyond 1,024 peers.
    if (this.#lastJoin.size > 1024) this.#lastJoin.delete(this.#lastJoin.keys().next().value!)
  }

  #drop(reason: HyParViewDropReason): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1)
  }
}
