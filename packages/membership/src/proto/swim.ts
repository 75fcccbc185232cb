/**
 * SWIM failure detection with Lifeguard as a sans-IO core (Das, Gupta, Motivala, DSN 2002, sections
 * 3-4: round-robin probing, PING-REQ through k helpers, suspicion with incarnation numbers and
 * piggybacked dissemination; Lifeguard, arXiv:1707.00788, section IV: local health, nacks, dynamic
 * suspicion timeouts and the buddy system). Members are added and removed by command; the core
 * probes one member per period and reports suspect/alive/dead transitions as events.
 */
import type { Outbox, PeerId, ProtocolCore, Rng } from '@saorsa-gossip/types'
import { LIMITS, sample, shuffled } from '@saorsa-gossip/types'
import { applyHealthDelta, failedProbePenalty, scaleByHealth } from './awareness.ts'
import type { SwimConfig } from './swim-config.ts'
import { IndirectRelays, chooseHelpers } from './swim-indirect.ts'
import type { SwimMessage, SwimUpdate } from './swim-messages.ts'
import type { SwimCommand, SwimEvent, SwimInput, SwimMember, SwimOutput, SwimTimer } from './swim-types.ts'
import { retransmitLimit } from './suspicion.ts'
import { confirmSuspicion, startSuspicion, suspicionExpired, type Member, type SuspicionHost } from './swim-suspicion.ts'
import { SwimUpdateQueue } from './swim-updates.ts'
import { LocalLag } from './swim-lag.ts'

/** The largest incarnation the codec carries (CBOR uint read as a safe JavaScript integer). */
export const MAX_INCARNATION = Number.MAX_SAFE_INTEGER

export type { SwimCommand, SwimEvent, SwimTimer, SwimInput, SwimOutput, SwimMember } from './swim-types.ts'

interface Probe {
  readonly seq: number
  readonly target: PeerId
  acked: boolean
  helpersAsked: number
  expectedNacks: number
  nacks: number
}

export { HELPER_FRESHNESS_PROBE_PERIODS, MAX_PENDING_RELAYS } from './swim-indirect.ts'

export class Swim implements ProtocolCore<SwimMessage, SwimTimer, SwimCommand, SwimEvent> {
  readonly #self: PeerId
  readonly #selfKey: string
  readonly #config: SwimConfig
  readonly #rng: Rng
  readonly #members = new Map<string, Member>()
  readonly #updates = new SwimUpdateQueue()
  readonly #relays: IndirectRelays
  readonly #lag = new LocalLag()
  readonly #suspicion: SuspicionHost
  #incarnation = 0
  /** Suspect or dead updates at MAX_INCARNATION, which nobody could refute (forged). */
  unrefutableDropped = 0
  #health = 0
  #seq = 0
  #tick = 0
  #armed = false
  #probe: Probe | undefined
  #order: string[] = []
  #orderIndex = 0

  constructor(self: PeerId, config: SwimConfig, rng: Rng) {
    if (config.maxUpdatesPerMessage > LIMITS.maxSwimUpdates) {
      throw new RangeError(`maxUpdatesPerMessage ${config.maxUpdatesPerMessage} exceeds LIMITS.maxSwimUpdates`)
    }
    this.#self = self
    this.#selfKey = self.toHex()
    this.#config = config
    this.#rng = rng
    this.#relays = new IndirectRelays(config)
    this.#suspicion = {
      config, updates: this.#updates,
      liveCount: () => this.#liveCount(),
      lagWideningMs: (nowMs) => this.lagWideningMs(nowMs),
      ackTimeoutMs: (nowMs) => this.#ackTimeoutMs(nowMs),
      adjustHealth: (delta) => this.#adjustHealth(delta),
    }
  }

  /** This node's own incarnation number (raised only to refute suspicions about itself). */
  get incarnation(): number {
    return this.#incarnation
  }

  /** The Lifeguard Local Health Multiplier, 0 (healthy) to `config.maxHealth`. */
  get health(): number {
    return this.#health
  }

  /** The decayed local lag estimate the driver reported (ms). */
  lagMs(nowMs: number): number {
    return this.#lag.lagMs(nowMs)
  }

  /** How much every timeout is widened right now for local lag (ms; 0 when on time or Lifeguard is off). */
  lagWideningMs(nowMs: number): number {
    return this.#config.lifeguard ? this.#lag.wideningMs(nowMs, this.#config) : 0
  }

  members(): SwimMember[] {
    return [...this.#members.values()].map(({ peer, state, incarnation }) => ({ peer, state, incarnation }))
  }

  member(peer: PeerId): SwimMember | undefined {
    const m = this.#members.get(peer.toHex())
    return m === undefined ? undefined : { peer: m.peer, state: m.state, incarnation: m.incarnation }
  }

  handle(input: SwimInput, nowMs: number, out: Outbox<SwimOutput>): void {
    if (!this.#armed) {
      // The first input of any kind starts the probe loop.
      this.#armed = true
      this.#scheduleProbe(this.#tick, nowMs, this.#probePeriodMs(nowMs), false, out)
      if (this.#config.gossipIntervalMs > 0) out.push({ type: 'schedule', delayMs: this.#config.gossipIntervalMs, timer: { type: 'gossip' } })
    }
    switch (input.type) {
      case 'command':
        switch (input.command.type) {
          case 'add-member': this.#addMember(input.command.peer); return
          case 'remove-member': this.#removeMember(input.command.peer); return
          case 'local-lag': this.#lag.report(input.command.lagMs, nowMs, this.#config); return
        }
        return
      case 'recv':
        this.#onMessage(input.from, input.msg, nowMs, out)
        return
      case 'timer':
        this.#onTimer(input.timer, nowMs, out)
        return
      case 'peer-up':
      case 'peer-down':
        // Connectivity is HyParView's concern; SWIM judges liveness by probing alone.
        return
    }
  }

  /** Both widen by the same lag, so the indirect window (period minus ack timeout) keeps its length. */
  #probePeriodMs(nowMs: number): number {
    if (!this.#config.lifeguard) return this.#config.probeIntervalMs
    return scaleByHealth(this.#config.probeIntervalMs, this.#health) + this.lagWideningMs(nowMs)
  }

  #ackTimeoutMs(nowMs: number): number {
    if (!this.#config.lifeguard) return this.#config.ackTimeoutMs
    return scaleByHealth(this.#config.ackTimeoutMs, this.#health) + this.lagWideningMs(nowMs)
  }

  #adjustHealth(delta: number): void {
    if (this.#config.lifeguard) this.#health = applyHealthDelta(this.#health, delta, this.#config.maxHealth)
  }

  #scheduleProbe(tick: number, nowMs: number, delayMs: number, extended: boolean, out: Outbox<SwimOutput>): void {
    out.push({ type: 'schedule', delayMs, timer: { type: 'probe', tick, dueMs: nowMs + delayMs, extended } })
  }

  #addMember(peer: PeerId): void {
    const key = peer.toHex()
    if (key === this.#selfKey) return
    const existing = this.#members.get(key)
    if (existing !== undefined && existing.state !== 'dead') return
    this.#members.set(key, {
      peer, state: 'alive', incarnation: existing?.incarnation ?? 0,
      suspectSinceMs: 0, suspecter: '', suspectedBy: peer, confirmations: new Set(), expectedConfirmations: 0, deadlineMs: 0,
      heardAtMs: Number.NEGATIVE_INFINITY,
    })
    // A newcomer lands at a random place among the members not yet probed this round (memberlist).
    const remaining = this.#order.length - this.#orderIndex
    this.#order.splice(this.#orderIndex + this.#rng.nextInt(remaining + 1), 0, key)
  }

  #removeMember(peer: PeerId): void {
    const key = peer.toHex()
    if (!this.#members.delete(key)) return
    this.#updates.forget(key)
  }

  #liveCount(): number {
    let n = 1
    for (const m of this.#members.values()) if (m.state !== 'dead') n++
    return n
  }

  #piggyback(to: PeerId, out: SwimUpdate[] = []): SwimUpdate[] {
    const max = this.#config.maxUpdatesPerMessage
    const target = this.#members.get(to.toHex())
    if (this.#config.lifeguard && target?.state === 'suspect') {
      // Buddy system: a suspected member hears of its suspicion first, so it can refute at once.
      const pending = this.#updates.pendingFor(to.toHex())
      out.push(pending ?? { peer: to, state: 'suspect', incarnation: target.incarnation, from: target.suspectedBy })
    }
    const limit = retransmitLimit(this.#config.retransmitMult, this.#liveCount())
    for (const u of this.#updates.take(max - out.length, limit)) {
      if (out.length > 0 && out[0]!.peer.equals(u.peer) && to.equals(u.peer)) continue
      out.push(u)
    }
    return out
  }

  // ---- probing (SWIM section 3.1) ----

  #nextTarget(): Member | undefined {
    for (let scanned = 0; scanned <= this.#order.length; ) {
      if (this.#orderIndex >= this.#order.length) {
        // Each round probes every member once, in a fresh random order.
        this.#order = shuffled(this.#rng, [...this.#members.keys()])
        this.#orderIndex = 0
        if (this.#order.length === 0) return undefined
      }
      const key = this.#order[this.#orderIndex++]!
      scanned++
      const m = this.#members.get(key)
      if (m !== undefined && m.state !== 'dead') return m
    }
    return undefined
  }

  #onProbeTimer(timer: Extract<SwimTimer, { type: 'probe' }>, nowMs: number, out: Outbox<SwimOutput>): void {
    if (timer.tick !== this.#tick) return
    const probe = this.#probe
    if (probe !== undefined && !probe.acked) {
      // Late-timer awareness: a round that ends far behind schedule means this node was not running,
      // so replies may be queued behind this timer. Count it against our own health and wait once more.
      if (this.#config.lifeguard && !timer.extended && nowMs - timer.dueMs > this.#config.ackTimeoutMs) {
        this.#adjustHealth(1)
        this.#scheduleProbe(timer.tick, nowMs, this.#ackTimeoutMs(nowMs), true, out)
        return
      }
      // Local lag: we are late right now, so the ack may be waiting in our own queue. Wait once more,
      // by the lag widening alone (bounded by maxLagWideningMs); the lag itself is the evidence.
      const widening = this.lagWideningMs(nowMs)
      if (!timer.extended && widening > 0) {
        this.#scheduleProbe(timer.tick, nowMs, widening, true, out)
        return
      }
      this.#adjustHealth(failedProbePenalty(probe.helpersAsked, probe.expectedNacks, probe.nacks))
      const m = this.#members.get(probe.target.toHex())
      // Failing to reach an already suspected member is an independent confirmation (memberlist).
      if (m !== undefined && m.state !== 'dead') {
        this.#applyUpdate({ peer: m.peer, state: 'suspect', incarnation: m.incarnation, from: this.#self }, nowMs, out)
      }
    }
    this.#probe = undefined
    this.#tick++
    const target = this.#nextTarget()
    if (target !== undefined) {
      const seq = ++this.#seq
      this.#probe = { seq, target: target.peer, acked: false, helpersAsked: 0, expectedNacks: 0, nacks: 0 }
      out.push({ type: 'send', to: target.peer, msg: { type: 'ping', seq, updates: this.#piggyback(target.peer) } })
      out.push({ type: 'schedule', delayMs: this.#ackTimeoutMs(nowMs), timer: { type: 'ack-timeout', seq } })
    }
    this.#scheduleProbe(this.#tick, nowMs, this.#probePeriodMs(nowMs), false, out)
  }

  /** Asks k helpers to probe the target (`chooseHelpers` says which, and which owe a nack). */
  #onAckTimeout(seq: number, nowMs: number, out: Outbox<SwimOutput>): void {
    const probe = this.#probe
    if (probe === undefined || probe.seq !== seq || probe.acked) return
    const candidates = [...this.#members.values()].filter((m) => m.state === 'alive' && !m.peer.equals(probe.target))
    const helpers = chooseHelpers(candidates, this.#config, nowMs, this.#rng)
    probe.helpersAsked = helpers.length
    probe.expectedNacks = helpers.filter((h) => h.nack).length
    for (const { member, nack } of helpers) {
      out.push({
        type: 'send', to: member.peer,
        msg: { type: 'ping-req', seq, target: probe.target, nack, updates: this.#piggyback(member.peer) },
      })
    }
  }

  #onGossipTimer(out: Outbox<SwimOutput>): void {
    out.push({ type: 'schedule', delayMs: this.#config.gossipIntervalMs, timer: { type: 'gossip' } })
    if (this.#updates.size === 0) return
    const targets = sample(this.#rng, [...this.#members.values()].filter((m) => m.state !== 'dead'), this.#config.gossipFanout)
    for (const target of targets) {
      const updates = this.#piggyback(target.peer)
      if (updates.length > 0) out.push({ type: 'send', to: target.peer, msg: { type: 'gossip', updates } })
    }
  }

  #onMessage(from: PeerId, msg: SwimMessage, nowMs: number, out: Outbox<SwimOutput>): void {
    const sender = this.#members.get(from.toHex())
    if (sender !== undefined) sender.heardAtMs = nowMs
    if (msg.type !== 'nack') for (const u of msg.updates) this.#applyUpdate(u, nowMs, out)
    switch (msg.type) {
      case 'ping':
        out.push({ type: 'send', to: from, msg: { type: 'ack', seq: msg.seq, updates: this.#piggyback(from) } })
        return
      case 'ack': {
        const probe = this.#probe
        if (probe !== undefined && probe.seq === msg.seq) {
          if (!probe.acked) {
            probe.acked = true
            this.#adjustHealth(-1)
          }
          return
        }
        const relay = this.#relays.takeForAck(msg.seq)
        if (relay !== undefined) {
          out.push({ type: 'send', to: relay.origin, msg: { type: 'ack', seq: relay.originSeq, updates: this.#piggyback(relay.origin) } })
        }
        return
      }
      case 'ping-req': {
        if (msg.target.equals(this.#self) || msg.target.equals(from) || this.#relays.full) return
        const seq = ++this.#seq
        out.push({ type: 'send', to: msg.target, msg: { type: 'ping', seq, updates: this.#piggyback(msg.target) } })
        this.#relays.open(seq, from, msg.seq, msg.nack, out)
        return
      }
      case 'gossip':
        return
      case 'nack': {
        const probe = this.#probe
        if (probe !== undefined && probe.seq === msg.seq && probe.nacks < probe.expectedNacks) probe.nacks++
        return
      }
    }
  }

  #onTimer(timer: SwimTimer, nowMs: number, out: Outbox<SwimOutput>): void {
    switch (timer.type) {
      case 'probe':
        this.#onProbeTimer(timer, nowMs, out)
        return
      case 'gossip':
        this.#onGossipTimer(out)
        return
      case 'ack-timeout':
        this.#onAckTimeout(timer.seq, nowMs, out)
        return
      case 'relay-timeout':
        this.#relays.onTimeout(timer, out)
        return
      case 'suspicion': {
        const m = this.#members.get(timer.peer.toHex())
        if (m === undefined || m.state !== 'suspect' || m.incarnation !== timer.incarnation) return
        if (suspicionExpired(this.#suspicion, m, timer, nowMs, out)) {
          this.#applyUpdate({ peer: m.peer, state: 'dead', incarnation: m.incarnation, from: this.#self }, nowMs, out)
        }
        return
      }
    }
  }

  // ---- membership updates (SWIM section 4.2, Lifeguard section IV-B) ----

  #applyUpdate(u: SwimUpdate, nowMs: number, out: Outbox<SwimOutput>): void {
    // An accusation at the largest incarnation the wire carries could never be refuted (the answer
    // would need one more): it can only come from a forger, so it is dropped and counted.
    if (u.state !== 'alive' && u.incarnation >= MAX_INCARNATION) {
      this.unrefutableDropped++
      return
    }
    const key = u.peer.toHex()
    if (key === this.#selfKey) {
      if (u.state === 'alive') return
      if (u.incarnation >= this.#incarnation) this.#refute(u.incarnation)
      // A stale accusation means its sender missed our refutation: announce it again.
      else this.#updates.enqueue({ peer: this.#self, state: 'alive', incarnation: this.#incarnation, from: this.#self })
      return
    }
    const m = this.#members.get(key)
    // SWIM here watches only the members it was given; news about others is not ours to spread.
    if (m === undefined) return
    switch (u.state) {
      case 'alive': {
        if (u.incarnation <= m.incarnation) return
        const wasAlive = m.state === 'alive'
        m.state = 'alive'
        m.incarnation = u.incarnation
        this.#updates.enqueue(u)
        if (!wasAlive) out.push({ type: 'emit', event: { type: 'member-alive', peer: m.peer, incarnation: m.incarnation } })
        return
      }
      case 'suspect': {
        if (m.state === 'dead' || u.incarnation < m.incarnation) return
        if (m.state === 'suspect' && u.incarnation === m.incarnation) {
          confirmSuspicion(this.#suspicion, m, u, nowMs, out)
          return
        }
        startSuspicion(this.#suspicion, m, u, nowMs, out)
        return
      }
      case 'dead': {
        if (u.incarnation < m.incarnation || (m.state === 'dead' && u.incarnation === m.incarnation)) return
        m.state = 'dead'
        m.incarnation = u.incarnation
        this.#updates.enqueue(u)
        out.push({ type: 'emit', event: { type: 'member-dead', peer: m.peer, incarnation: m.incarnation, by: u.from } })
        return
      }
    }
  }

  #refute(accusedIncarnation: number): void {
    this.#incarnation = accusedIncarnation + 1
    // Being suspected hints that we are the slow one (Lifeguard: refuting raises local health).
    this.#adjustHealth(1)
    this.#updates.enqueue({ peer: this.#self, state: 'alive', incarnation: this.#incarnation, from: this.#self })
  }
}
