/**
 * The coordinator layer on top of a node's gossip stack, for the simulator: adverts arrive as pubsub
 * deliveries on the advert topic and enter the advert cache through `validateAdvert`; FOAF queries and
 * replies travel as their own message layer; membership's neighbour events feed the FOAF core, as the
 * service does on the shared runtime (SPEC.md section 9).
 */
import { AdvertCache, COORDINATOR_TOPIC, validateAdvert, type AdvertPolicy, type VerifyFn } from '@saorsa-gossip/coordinator'
import { FoafCore } from '@saorsa-gossip/coordinator/proto'
import type { FoafCommand, FoafEvent, FoafMessage, FoafOutput, FoafTimer } from '@saorsa-gossip/coordinator/proto'
import type { CoreInput, CoreOutput, Outbox, PeerId, ProtocolCore } from '@saorsa-gossip/types'
import type { GossipStack, StackCommand, StackEvent, StackMessage, StackOutput, StackTimer } from './gossip-stack.ts'

export type CoordMessage = StackMessage | { readonly layer: 'f'; readonly msg: FoafMessage }
export type CoordTimer = StackTimer | { readonly layer: 'f'; readonly timer: FoafTimer }
export type CoordCommand = StackCommand | { readonly layer: 'f'; readonly command: FoafCommand }
/** Coordinator-layer outcomes the scenarios measure. */
export type CoordinatorEvent =
  | { readonly type: 'advert-accepted'; readonly publisher: PeerId; readonly sequence: number }
  | { readonly type: 'advert-dropped'; readonly reason: string }
  /** A FOAF answer held at least one valid coordinator advert. */
  | { readonly type: 'coordinator-found'; readonly ref: number; readonly coordinator: PeerId }
export type CoordEvent = StackEvent | { readonly layer: 'f'; readonly event: FoafEvent } | { readonly layer: 'c'; readonly event: CoordinatorEvent }
export type CoordInput = CoreInput<CoordMessage, CoordTimer, CoordCommand>
export type CoordOutput = CoreOutput<CoordMessage, CoordTimer, CoordEvent>

export interface CoordinatorStackInit {
  readonly gossip: GossipStack
  readonly foaf: FoafCore
  readonly cache: AdvertCache
  readonly policy: AdvertPolicy
  readonly verify: VerifyFn
  /** Added to the simulator's clock to get the Unix time adverts are stamped with. */
  readonly wallOffsetMs: number
}

export class CoordinatorStack implements ProtocolCore<CoordMessage, CoordTimer, CoordCommand, CoordEvent> {
  readonly gossip: GossipStack
  readonly foaf: FoafCore
  readonly cache: AdvertCache
  /** Adverts refused before pubsub could forward them. */
  rejected = 0
  readonly #init: CoordinatorStackInit

  constructor(init: CoordinatorStackInit) {
    this.#init = init
    this.gossip = init.gossip
    this.foaf = init.foaf
    this.cache = init.cache
  }

  handle(input: CoordInput, nowMs: number, out: Outbox<CoordOutput>): void {
    switch (input.type) {
      case 'recv':
        if (input.msg.layer === 'f') return this.#foaf({ type: 'recv', from: input.from, msg: input.msg.msg }, nowMs, out)
        if (!this.#admit(input.msg, nowMs, out)) return
        return this.#gossip({ type: 'recv', from: input.from, msg: input.msg }, nowMs, out)
      case 'timer':
        if (input.timer.layer === 'f') return this.#foaf({ type: 'timer', timer: input.timer.timer }, nowMs, out)
        return this.#gossip({ type: 'timer', timer: input.timer }, nowMs, out)
      case 'command':
        if (input.command.layer === 'f') return this.#foaf({ type: 'command', command: input.command.command }, nowMs, out)
        return this.#gossip({ type: 'command', command: input.command }, nowMs, out)
      default:
        return this.#gossip(input, nowMs, out)
    }
  }

  #gossip(input: CoreInput<StackMessage, StackTimer, StackCommand>, nowMs: number, out: Outbox<CoordOutput>): void {
    const inner: StackOutput[] = []
    this.gossip.handle(input, nowMs, inner)
    for (const o of inner) {
      out.push(o)
      if (o.type !== 'emit') continue
      const e = o.event
      if (e.layer === 'm') {
        this.#foaf({ type: e.event.type === 'neighbor-up' ? 'peer-up' : 'peer-down', peer: e.event.peer }, nowMs, out)
      } else if (e.event.type === 'message' && e.event.delivery.topic.equals(COORDINATOR_TOPIC)) {
        this.#advert(e.event.delivery.payload, e.event.delivery.origin, this.#wall(nowMs), out)
      }
    }
  }

  /**
   * The advert topic's validator, run before pubsub sees the message so a bad advert is never forwarded:
   * every rule that does not depend on the cache (SPEC.md 9.2 rules 1-7, 10 and 11). The cache-dependent
   * rules (sequence, rate) run on delivery.
   */
  #admit(msg: StackMessage, nowMs: number, out: Outbox<CoordOutput>): boolean {
    if (msg.layer !== 'p' || msg.msg.type !== 'publish' || !msg.msg.header.topic.equals(COORDINATOR_TOPIC)) return true
    const verdict = this.#check(msg.msg.payload, this.#wall(nowMs), msg.msg.header.origin)
    if (verdict.ok || verdict.action !== 'reject') return true
    this.rejected++
    out.push({ type: 'emit', event: { layer: 'c', event: { type: 'advert-dropped', reason: verdict.reason } } })
    return false
  }

  #wall(nowMs: number): number {
    return nowMs + this.#init.wallOffsetMs
  }

  #advert(bytes: Uint8Array, origin: PeerId, nowMs: number, out: Outbox<CoordOutput>): void {
    const cached = this.cache.get(origin)
    const verdict = validateAdvert(bytes, {
      nowMs, origin, policy: this.#init.policy, verify: this.#init.verify,
      cached: cached === undefined ? undefined : { sequence: cached.advert.sequence, acceptedAtMs: cached.acceptedAtMs },
    })
    if (!verdict.ok) {
      out.push({ type: 'emit', event: { layer: 'c', event: { type: 'advert-dropped', reason: verdict.reason } } })
      return
    }
    this.cache.insert(verdict.advert, nowMs)
    const a = verdict.advert.advert
    out.push({ type: 'emit', event: { layer: 'c', event: { type: 'advert-accepted', publisher: a.peerId, sequence: a.sequence } } })
  }

  #check(bytes: Uint8Array, nowMs: number, origin?: PeerId): ReturnType<typeof validateAdvert> {
    return validateAdvert(bytes, { nowMs, origin, policy: this.#init.policy, verify: this.#init.verify, cached: undefined })
  }

  #foaf(input: CoreInput<FoafMessage, FoafTimer, FoafCommand>, nowMs: number, out: Outbox<CoordOutput>): void {
    const inner: FoafOutput[] = []
    this.foaf.handle(input, nowMs, inner)
    for (const o of inner) {
      switch (o.type) {
        case 'send': out.push({ type: 'send', to: o.to, msg: { layer: 'f', msg: o.msg } }); break
        case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer: 'f', timer: o.timer } }); break
        case 'disconnect': out.push(o); break
        case 'emit':
          out.push({ type: 'emit', event: { layer: 'f', event: o.event } })
          if (o.event.type === 'answer') this.#answer(o.event.ref, o.event.records, this.#wall(nowMs), out)
      }
    }
  }

  /** The requester checks every record before trusting it; forwarders never did. */
  #answer(ref: number, records: readonly Uint8Array[], nowMs: number, out: Outbox<CoordOutput>): void {
    for (const bytes of records) {
      const verdict = this.#check(bytes, nowMs)
      if (!verdict.ok || !verdict.advert.advert.roles.includes('coordinator')) continue
      this.cache.insert(verdict.advert, nowMs)
      out.push({ type: 'emit', event: { layer: 'c', event: { type: 'coordinator-found', ref, coordinator: verdict.advert.advert.peerId } } })
    }
  }
}
