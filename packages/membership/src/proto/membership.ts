/**
 * The membership core: HyParView (DSN 2007, section 4) keeps the active and passive views, SWIM with
 * Lifeguard (DSN 2002 sections 3-4; arXiv:1707.00788 section IV) watches the active view. The parent
 * owns both children, routes inputs by layer, tags their timers and messages, and wires them:
 * a neighbour that comes up is probed, one that goes down is forgotten, a member SWIM declares dead
 * is evicted from the active view as on a connection loss (HyParView section 4.3 then promotes).
 */
import { liftOutputs } from '@saorsa-gossip/types'
import type { CoreInput, CoreOutput, Outbox, PeerId, ProtocolCore, Rng } from '@saorsa-gossip/types'
import { HYPARVIEW_LAN } from './hyparview-config.ts'
import type { HyParViewConfig } from './hyparview-config.ts'
import type { ContactRef } from './hyparview-contacts.ts'
import type { PeerInfo } from './hyparview-messages.ts'
import type { HyParViewMessage } from './hyparview-messages.ts'
import { HyParView } from './hyparview.ts'
import type { HyParViewInput, HyParViewOutput, HyParViewTimer } from './hyparview-types.ts'
import { SWIM_LAN, validateSwimConfig } from './swim-config.ts'
import type { SwimConfig } from './swim-config.ts'
import type { SwimMessage } from './swim-messages.ts'
import { Swim } from './swim.ts'
import type { SwimEvent, SwimInput, SwimMember, SwimOutput, SwimTimer } from './swim.ts'

/** Everything that travels on the 'mship' stream class (the codec in `../codec.ts` encodes it). */
export type MembershipMessage =
  | { readonly layer: 'hyparview'; readonly msg: HyParViewMessage }
  | { readonly layer: 'swim'; readonly msg: SwimMessage }

export type MembershipTimer =
  | { readonly layer: 'hyparview'; readonly timer: HyParViewTimer }
  | { readonly layer: 'swim'; readonly timer: SwimTimer }
  /** Drops a dead SWIM member once its `dead` update had time to spread (unless it came back). */
  | { readonly layer: 'membership'; readonly timer: { readonly type: 'forget-dead'; readonly peer: PeerId } }

export type MembershipCommand =
  /** Join through the first contact that answers; the contacts are kept for rejoining when isolated. */
  | { readonly type: 'join'; readonly contacts: readonly PeerInfo[] }
  /** Keep contacts learned out of band, by id or by address: redialled while isolated, probed by the merge check. */
  | { readonly type: 'add-contacts'; readonly contacts: readonly ContactRef[] }
  /** A dial of `addr` (after a `dial` event, or while joining) reached `peer`. */
  | { readonly type: 'contact-reached'; readonly addr: string; readonly peer: PeerInfo }
  /** DISCONNECT(alive: false) to every active peer; the core is silent afterwards. */
  | { readonly type: 'leave' }
  /** How late the driver's event loop runs (ms): SWIM widens its timeouts while it lasts (`swim-lag.ts`). */
  | { readonly type: 'local-lag'; readonly lagMs: number }

export type MembershipEvent =
  /** A peer entered the active view: the neighbour set that gossip (pubsub) broadcasts over. */
  | { readonly type: 'neighbor-up'; readonly peer: PeerId; readonly addrs: readonly string[] }
  | { readonly type: 'neighbor-down'; readonly peer: PeerId; readonly addrs: readonly string[] }
  /** The driver should dial this contact address and answer with `contact-reached` (redial or merge check). */
  | { readonly type: 'dial'; readonly addr: string }
  | SwimEvent

export type MembershipInput = CoreInput<MembershipMessage, MembershipTimer, MembershipCommand>
export type MembershipOutput = CoreOutput<MembershipMessage, MembershipTimer, MembershipEvent>

export interface MembershipCoreInit {
  readonly self: PeerInfo
  readonly rng: Rng
  /** Default HYPARVIEW_LAN and SWIM_LAN. */
  readonly config?: { readonly hyparview: HyParViewConfig; readonly swim: SwimConfig }
}

/**
 * Dead members stay in SWIM this many probe periods after their eviction so the `dead` update is
 * still piggybacked and gossiped (4 periods cover the LAN retransmit limit of 4 x ceil(log10(13))
 * = 8 sends at 3 per 200 ms gossip round several times over; memberlist keeps them longer,
 * GossipToTheDeadTime 30 s, because it also gossips to the dead).
 */
export const DEAD_RETENTION_PROBE_PERIODS = 4

/** At most this many evicted dead members are retained at once; beyond it the oldest is forgotten. */
export const MAX_RETAINED_DEAD = 64

type Out = Outbox<MembershipOutput>

export class MembershipCore implements ProtocolCore<MembershipMessage, MembershipTimer, MembershipCommand, MembershipEvent> {
  readonly self: PeerInfo
  readonly #hyparview: HyParView
  readonly #swim: Swim
  readonly #swimConfig: SwimConfig
  /** Addresses of the current active peers, so `neighbor-down` can still name them. */
  readonly #neighbors = new Map<string, PeerInfo>()
  /** Evicted dead members kept in SWIM for dissemination, oldest first. */
  readonly #retainedDead = new Map<string, PeerId>()
  #left = false
  #droppedAfterLeave = 0

  constructor(init: MembershipCoreInit) {
    const config = init.config ?? { hyparview: HYPARVIEW_LAN, swim: SWIM_LAN }
    this.#swimConfig = validateSwimConfig(config.swim)
    this.#hyparview = new HyParView({ self: init.self, rng: init.rng, config: config.hyparview })
    this.#swim = new Swim(init.self.id, this.#swimConfig, init.rng)
    this.self = this.#hyparview.self
  }

  /** Current active view: the neighbours. */
  activeView(): PeerId[] {
    return this.#hyparview.activeView()
  }

  passiveView(): PeerId[] {
    return this.#hyparview.passiveView()
  }

  isActive(peer: PeerId): boolean {
    return this.#hyparview.isActive(peer)
  }

  /** Known addresses of a peer (active, passive or pending), for a driver that must dial it. */
  addrsOf(peer: PeerId): readonly string[] | undefined {
    return this.#hyparview.addrsOf(peer) ?? this.#neighbors.get(peer.toHex())?.addrs
  }

  /** SWIM's members: the active view, plus recently evicted dead members (see DEAD_RETENTION_PROBE_PERIODS). */
  members(): SwimMember[] {
    return this.#swim.members()
  }

  member(peer: PeerId): SwimMember | undefined {
    return this.#swim.member(peer)
  }

  /** Lifeguard's Local Health Multiplier (0 when this node keeps up). */
  get health(): number {
    return this.#swim.health
  }

  get incarnation(): number {
    return this.#swim.incarnation
  }

  /** The local lag estimate SWIM holds (ms, decayed since the last sample). */
  lagMs(nowMs: number): number {
    return this.#swim.lagMs(nowMs)
  }

  /** How much SWIM widens each timeout for local lag right now (ms). */
  lagWideningMs(nowMs: number): number {
    return this.#swim.lagWideningMs(nowMs)
  }

  get hasLeft(): boolean {
    return this.#left
  }

  /** Ignored remote inputs by reason (HyParView's, plus SWIM input after leaving). */
  drops(): Record<string, number> {
    const drops = this.#hyparview.drops()
    if (this.#droppedAfterLeave > 0) drops['swim-left'] = this.#droppedAfterLeave
    if (this.#swim.unrefutableDropped > 0) drops['swim-unrefutable'] = this.#swim.unrefutableDropped
    return drops
  }

  handle(input: MembershipInput, nowMs: number, out: Out): void {
    switch (input.type) {
      case 'recv':
        if (input.msg.layer === 'hyparview') this.#runHyParView({ type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out)
        else if (this.#left) this.#droppedAfterLeave++
        else this.#runSwim({ type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out)
        return
      case 'command':
        // Local lag concerns SWIM's timeouts alone (HyParView has no timeout that reads as a failure).
        if (input.command.type === 'local-lag') {
          this.#runSwim({ type: 'command', command: input.command }, nowMs, out)
          return
        }
        this.#runHyParView({ type: 'command', command: input.command }, nowMs, out)
        // After leaving SWIM neither probes nor answers: its timers are dropped when they fire.
        if (input.command.type === 'leave') this.#left = true
        return
      case 'timer':
        this.#onTimer(input.timer, nowMs, out)
        return
      case 'peer-up':
        this.#runHyParView(input, nowMs, out)
        return
      case 'peer-down':
        // A closed or reset connection: HyParView drops the peer from its views and refills, and
        // neighbor-down makes SWIM stop watching it. A dead member kept for dissemination stays
        // (closing its connection is what the eviction itself asked for); any other member goes.
        this.#runHyParView(input, nowMs, out)
        if (!this.#retainedDead.has(input.peer.toHex()) && this.#swim.member(input.peer) !== undefined) {
          this.#runSwim({ type: 'command', command: { type: 'remove-member', peer: input.peer } }, nowMs, out)
        }
        return
    }
  }

  #onTimer(timer: MembershipTimer, nowMs: number, out: Out): void {
    switch (timer.layer) {
      case 'hyparview':
        this.#runHyParView({ type: 'timer', timer: timer.timer }, nowMs, out)
        return
      case 'swim':
        if (!this.#left) this.#runSwim({ type: 'timer', timer: timer.timer }, nowMs, out)
        return
      case 'membership': {
        const peer = timer.timer.peer
        if (!this.#retainedDead.delete(peer.toHex())) return
        if (this.#hyparview.isActive(peer) || this.#swim.member(peer)?.state !== 'dead') return
        this.#runSwim({ type: 'command', command: { type: 'remove-member', peer } }, nowMs, out)
        return
      }
    }
  }

  #runHyParView(input: HyParViewInput, nowMs: number, out: Out): void {
    const outputs: HyParViewOutput[] = []
    this.#hyparview.handle(input, nowMs, outputs)
    liftOutputs(outputs, out, {
      msg: (msg): MembershipMessage => ({ layer: 'hyparview', msg }),
      timer: (timer): MembershipTimer => ({ layer: 'hyparview', timer }),
      event: (event) => {
        if (event.type === 'dial') {
          out.push({ type: 'emit', event })
          return
        }
        const peer = event.peer
        const key = peer.toHex()
        if (event.type === 'neighbor-up') {
          const info = { id: peer, addrs: this.#hyparview.addrsOf(peer) ?? [] }
          this.#neighbors.set(key, info)
          this.#retainedDead.delete(key)
          out.push({ type: 'emit', event: { type: 'neighbor-up', peer, addrs: info.addrs } })
          if (!this.#left) this.#runSwim({ type: 'command', command: { type: 'add-member', peer } }, nowMs, out)
        } else {
          const addrs = this.#neighbors.get(key)?.addrs ?? []
          this.#neighbors.delete(key)
          out.push({ type: 'emit', event: { type: 'neighbor-down', peer, addrs } })
          this.#unwatch(peer, nowMs, out)
        }
      },
    })
  }

  /** A neighbour left the active view: SWIM forgets it, except a dead one kept a while for dissemination. */
  #unwatch(peer: PeerId, nowMs: number, out: Out): void {
    if (this.#swim.member(peer)?.state !== 'dead' || this.#left) {
      this.#runSwim({ type: 'command', command: { type: 'remove-member', peer } }, nowMs, out)
      return
    }
    const key = peer.toHex()
    this.#retainedDead.delete(key)
    this.#retainedDead.set(key, peer)
    out.push({
      type: 'schedule', delayMs: DEAD_RETENTION_PROBE_PERIODS * this.#swimConfig.probeIntervalMs,
      timer: { layer: 'membership', timer: { type: 'forget-dead', peer } },
    })
    if (this.#retainedDead.size > MAX_RETAINED_DEAD) {
      const [oldestKey, oldest] = this.#retainedDead.entries().next().value!
      this.#retainedDead.delete(oldestKey)
      this.#runSwim({ type: 'command', command: { type: 'remove-member', peer: oldest } }, nowMs, out)
    }
  }

  #runSwim(input: SwimInput, nowMs: number, out: Out): void {
    const outputs: SwimOutput[] = []
    this.#swim.handle(input, nowMs, outputs)
    liftOutputs(outputs, out, {
      msg: (msg): MembershipMessage => ({ layer: 'swim', msg }),
      timer: (timer): MembershipTimer => ({ layer: 'swim', timer }),
      event: (event) => {
        out.push({ type: 'emit', event })
        if (event.type === 'member-dead') this.#evictDead(event.peer, nowMs, out)
      },
    })
  }

  /** SWIM says the peer is dead: HyParView handles it as a lost connection, and the connection is closed. */
  #evictDead(peer: PeerId, nowMs: number, out: Out): void {
    if (!this.#hyparview.isActive(peer)) return
    this.#runHyParView({ type: 'peer-down', peer }, nowMs, out)
    out.push({ type: 'disconnect', peer })
  }
}
