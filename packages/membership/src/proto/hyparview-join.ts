/**
 * The HyParView join (Leitao, Pereira, Rodrigues, DSN 2007, section 4.2): a newcomer sends JOIN to
 * one contact after another until one answers; the contact takes it as a neighbour and starts
 * FORWARD_JOIN random walks (ARWL, with the newcomer added to passive views at PRWL) through its
 * other neighbours, and the node where a walk ends asks the newcomer to take it with high priority.
 */
import type { Outbox, PeerId, Rng } from '@saorsa-gossip/types'
import type { HyParViewConfig } from './hyparview-config.ts'
import type { ForwardJoinMessage, NeighborMessage, PeerInfo } from './hyparview-messages.ts'
import { capAddrs, toInfo } from './hyparview-messages.ts'
import type { HyParViewDropReason, HyParViewOutput } from './hyparview-types.ts'
import type { PeerSet } from './views.ts'

/** Peers whose last JOIN is remembered at once (oldest forgotten first). */
const MAX_REMEMBERED_JOINS = 1024

/** The views and rules of the HyParView core that the join reads and writes. */
export interface JoinContext {
  readonly self: PeerInfo
  readonly config: HyParViewConfig
  readonly rng: Rng
  readonly active: PeerSet<PeerInfo>
  addActive(info: PeerInfo, out: Out): void
  addPassive(info: PeerInfo, source: string): void
  /** Answers a NEIGHBOR request (section 4.3). */
  onNeighbor(from: PeerId, msg: NeighborMessage, out: Out): void
  drop(reason: HyParViewDropReason): void
  nextSeq(): number
}

type Out = Outbox<HyParViewOutput>

export class JoinWalk {
  readonly #ctx: JoinContext
  readonly #selfKey: string
  #contacts: readonly PeerInfo[] = []
  #join: { readonly index: number; readonly seq: number; readonly contact: PeerInfo } | undefined
  readonly #lastJoin = new Map<string, number>()

  constructor(ctx: JoinContext) {
    this.#ctx = ctx
    this.#selfKey = ctx.self.id.toHex()
  }

  /** True while our JOIN waits for an answer from one of the contacts. */
  get inProgress(): boolean {
    return this.#join !== undefined
  }

  /** The contact our outstanding JOIN went to, if that is `peer`. */
  contactFor(peer: PeerId): PeerInfo | undefined {
    return this.#join?.contact.id.equals(peer) === true ? this.#join.contact : undefined
  }

  /** Joins through `contacts`, first to last. */
  begin(contacts: readonly PeerInfo[], out: Out): void {
    this.#contacts = contacts
    this.#start(0, out)
  }

  /** Joins again, through `peer` first (a contact that just answered a dial). */
  through(peer: PeerInfo, out: Out): void {
    this.#contacts = [peer, ...this.#contacts.filter((c) => !c.id.equals(peer.id))]
    this.#start(0, out)
  }

  /** Joins again through the same contacts, first to last. */
  restart(out: Out): void {
    this.#start(0, out)
  }

  /** The JOIN was answered. */
  finish(): void {
    this.#join = undefined
  }

  /** The contact of the outstanding JOIN is gone: try the next one. */
  next(out: Out): void {
    if (this.#join !== undefined) this.#start(this.#join.index + 1, out)
  }

  onTimeout(seq: number, out: Out): void {
    if (this.#join?.seq !== seq) return
    if (this.#ctx.active.size > 0) this.#join = undefined
    else this.#start(this.#join.index + 1, out)
  }

  #start(index: number, out: Out): void {
    const contact = this.#contacts[index]
    if (contact === undefined) {
      this.#join = undefined
      return
    }
    const seq = this.#ctx.nextSeq()
    this.#join = { index, seq, contact }
    out.push({ type: 'send', to: contact.id, msg: { type: 'join', addrs: this.#ctx.self.addrs } })
    out.push({ type: 'schedule', delayMs: this.#ctx.config.joinTimeoutMs, timer: { type: 'join-timeout', seq } })
  }

  /**
   * Section 4.2: the contact takes the newcomer as a neighbour and starts ARWL walks through its other
   * neighbours. A second JOIN from the same peer within `joinRateLimitMs` (a quick restart) starts no
   * walks: it is answered like a low-priority NEIGHBOR request, so the walks cannot be amplified but
   * the rejoining peer still hears an answer.
   */
  onJoin(from: PeerId, addrs: readonly string[], nowMs: number, out: Out): void {
    const { active, config } = this.#ctx
    const info = { id: from, addrs: capAddrs(addrs) }
    if (!active.has(from)) {
      const key = from.toHex()
      const last = this.#lastJoin.get(key)
      if (last !== undefined && nowMs - last < config.joinRateLimitMs) {
        this.#ctx.drop('join-rate-limited')
        this.#ctx.onNeighbor(from, { type: 'neighbor', priority: 'low', addrs }, out)
        return
      }
      this.#rememberJoin(key, nowMs)
      this.#ctx.addActive(info, out)
      for (const peer of active.ids()) {
        if (!peer.equals(from)) {
          out.push({ type: 'send', to: peer, msg: { type: 'forward-join', peer: info, ttl: config.activeRandomWalkLength } })
        }
      }
    }
    out.push({ type: 'send', to: from, msg: { type: 'neighbor-reply', accepted: true } })
  }

  onForwardJoin(from: PeerId, msg: ForwardJoinMessage, out: Out): void {
    const { active, config, rng } = this.#ctx
    if (!active.has(from)) {
      this.#ctx.drop('not-a-neighbor')
      return
    }
    const peer = toInfo(msg.peer)
    if (peer.id.toHex() === this.#selfKey || active.has(peer.id)) return
    const ttl = Math.min(msg.ttl, config.activeRandomWalkLength)
    if (ttl <= 0 || active.size === 1) {
      this.#acceptWalk(peer, out)
      return
    }
    if (ttl === config.passiveRandomWalkLength) this.#ctx.addPassive(peer, from.toHex())
    const next = active.random(rng, (id) => id.equals(from) || id.equals(peer.id))
    if (next === undefined) this.#acceptWalk(peer, out)
    else out.push({ type: 'send', to: next, msg: { type: 'forward-join', peer, ttl: ttl - 1 } })
  }

  /** The walk ends here: take the newcomer and ask it, with high priority, to take us. */
  #acceptWalk(peer: PeerInfo, out: Out): void {
    this.#ctx.addActive(peer, out)
    out.push({ type: 'send', to: peer.id, msg: { type: 'neighbor', priority: 'high', addrs: this.#ctx.self.addrs } })
  }

  #rememberJoin(key: string, nowMs: number): void {
    this.#lastJoin.delete(key)
    this.#lastJoin.set(key, nowMs)
    if (this.#lastJoin.size > MAX_REMEMBERED_JOINS) this.#lastJoin.delete(this.#lastJoin.keys().next().value!)
  }
}
