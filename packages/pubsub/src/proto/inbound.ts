/**
 * The path of a received PUBLISH through the PubSub core: checks in cost order (dedupe with
 * Plumtree's PRUNE of the duplicate's link, SRDS 2007 section 3.2; age, replay and length; payload
 * hash; origin key fetch; signature, inline or on the driver's pool; topic validator), then
 * delivery, the sender's promotion to the eager set and the push onwards. Graylist and rate limits
 * come before, in `PubSubCore`.
 */
import { payloadHash, bytesEqual } from '@saorsa-gossip/types'
import type { MessageId, PeerId } from '@saorsa-gossip/types'
import { admit, carriedKey, idOf } from './admission.ts'
import { digestTimeMs } from './anti-entropy.ts'
import type { TimedMap } from './caches.ts'
import type { PubSubConfig } from './config.ts'
import type { KeyBook, ParkedMessage } from './keys.ts'
import type { DropReason, PubSubOutbox, PublishMessage, ValidationResult } from './messages.ts'
import type { Peers, PeerState } from './peers.ts'
import type { Repair } from './repair.ts'
import type { ReplayWindows } from './replay-window.ts'
import type { TopicState } from './topic.ts'
import type { HeldMessage, Validations } from './validation.ts'
import { VERIFICATION_TIMEOUT_MS, type Verifications, type VerifyingMessage, type WaitingCopy } from './verification.ts'

/** The state of the PubSub core that the receive path reads and writes. */
export interface InboundContext {
  readonly config: PubSubConfig
  readonly topics: ReadonlyMap<string, TopicState>
  readonly neighbors: ReadonlyMap<string, PeerId>
  readonly peers: Peers
  readonly keys: KeyBook
  readonly repair: Repair
  readonly validations: Validations
  /** Signature checks out on the driver's pool (none when the config checks inline). */
  readonly verifications: Verifications
  readonly seen: TimedMap<true>
  readonly origins: ReplayWindows
  /** Ids requested through anti-entropy IWANT: their arrival does not make the sender eager. */
  readonly fetching: TimedMap<string>
  /** Checks (and counts) an origin signature. */
  verify(publicKey: Uint8Array, headerBytes: Uint8Array, signature: Uint8Array, neighborsOnly: boolean): boolean
  wallNow(nowMs: number): number
  drop(reason: DropReason): void
  /** Pushes on (eager) and announces (lazy) to the topic's peers, except `holders`, who have the message. */
  forward(state: TopicState, id: MessageId, msg: PublishMessage, hop: number, holders: readonly string[], out: PubSubOutbox): number
}

export class Inbound {
  readonly #ctx: InboundContext

  constructor(ctx: InboundContext) {
    this.#ctx = ctx
  }

  onPublish(peer: PeerState, msg: PublishMessage, nowMs: number, out: PubSubOutbox): void {
    const { header } = msg
    const state = this.#ctx.topics.get(header.topic.toHex())
    if (state === undefined) {
      this.#ctx.drop('not-subscribed')
      return this.#ctx.peers.penalize(peer, 'stray', nowMs, this.#ctx.topics.values(), out)
    }
    if (msg.neighborsOnly === true && !peer.id.equals(header.origin)) {
      // Neighbour broadcasts are never forwarded: a relayed one is the relay's fault.
      this.#ctx.drop('not-from-origin')
      return this.#ctx.peers.penalize(peer, 'invalid', nowMs, this.#ctx.topics.values(), out)
    }
    const id = idOf(header)
    const idHex = id.toHex()
    this.#ctx.repair.received(idHex, peer.key, nowMs)
    if (msg.neighborsOnly !== true) this.#ctx.keys.heldBy(peer.key, header.origin)
    // Copies of a message waiting for its validator are no-ops: no score, no prune.
    if (this.#ctx.validations.isHeld(idHex)) return this.#ctx.drop('duplicate')
    // A copy of a message whose signature is out for checking is handled once that is decided,
    // exactly as it would have been after an inline check.
    if (this.#ctx.verifications.isHeld(idHex)) {
      if (!this.#ctx.verifications.addCopy(idHex, { from: peer.id, msg })) this.#ctx.drop('duplicate')
      return
    }
    if (this.#ctx.seen.has(idHex, nowMs)) {
      this.#ctx.drop('duplicate')
      if (msg.neighborsOnly === true) return
      this.#ctx.peers.record(peer, 'duplicate', nowMs)
      // Plumtree: the receiver of a duplicate prunes the link it came over. A link can be eager on
      // the sender's side only (links start lazy past initialEagerPeers), so prune a lazy one too;
      // but a late answer to our own GRAFT keeps the link we chose.
      if (state.has(peer.key) && !this.#ctx.repair.isGraftAnswer(idHex, peer.key, nowMs)) {
        state.addLazy(peer.id)
        out.push({ type: 'send', to: peer.id, msg: { type: 'prune', topic: state.topic } })
      }
      return
    }
    if (this.#ctx.keys.isParked(idHex)) return this.#ctx.drop('duplicate')
    const verdict = admit(header, msg.payload.length, this.#ctx.wallNow(nowMs), this.#ctx.origins, this.#ctx.config)
    if (verdict !== 'ok') {
      this.#ctx.drop(verdict)
      // Forwarders check the same rules, so a length mismatch is the forwarder's fault; age and
      // replay can be honest races and cost nothing.
      if (verdict === 'length-mismatch') this.#ctx.peers.penalize(peer, 'invalid', nowMs, this.#ctx.topics.values(), out)
      return
    }
    if (!bytesEqual(payloadHash(msg.payload), header.payloadHash)) {
      this.#ctx.drop('payload-hash-mismatch')
      return this.#ctx.peers.penalize(peer, 'invalid', nowMs, this.#ctx.topics.values(), out)
    }
    const key = this.#ctx.keys.get(header.origin) ?? carriedKey(msg)
    if (key === undefined) {
      const parked: ParkedMessage = { from: peer.id, message: msg, idHex }
      const result = this.#ctx.keys.park(header.origin, parked)
      if (result === 'full') return this.#ctx.drop('too-many-pending')
      if (result === 'request-key') {
        out.push({ type: 'send', to: peer.id, msg: { type: 'key-request', origins: [header.origin] } })
        const generation = this.#ctx.keys.generationOf(header.origin)!
        out.push({ type: 'schedule', delayMs: this.#ctx.config.keyRequestTimeoutMs, timer: { type: 'key-timeout', origin: header.origin, generation } })
      }
      return
    }
    this.#verifyAndDeliver(peer, state, id, msg, key, nowMs, out)
  }

  afterKey(parked: ParkedMessage, nowMs: number, out: PubSubOutbox): void {
    const state = this.#ctx.topics.get(parked.message.header.topic.toHex())
    const key = this.#ctx.keys.get(parked.message.header.origin)
    if (state === undefined || key === undefined || this.#ctx.seen.has(parked.idHex, nowMs) || this.#ctx.verifications.isHeld(parked.idHex)) return
    const { header } = parked.message
    const id = idOf(header)
    this.#verifyAndDeliver(this.#ctx.peers.get(parked.from, nowMs), state, id, parked.message, key, nowMs, out)
  }

  #verifyAndDeliver(peer: PeerState, state: TopicState, id: MessageId, msg: PublishMessage, key: Uint8Array, nowMs: number, out: PubSubOutbox): void {
    const verifications = this.#ctx.verifications
    if (!verifications.canHold()) {
      return this.#afterSignature(peer, state, id, msg, this.#ctx.verify(key, msg.headerBytes, msg.signature, msg.neighborsOnly === true), nowMs, out)
    }
    const verificationId = verifications.hold({ from: peer.id, topicHex: state.topic.toHex(), id, idHex: id.toHex(), msg, key })
    const neighborsOnly = msg.neighborsOnly === true
    out.push({ type: 'emit', event: { type: 'verify', verificationId, publicKey: key, headerBytes: msg.headerBytes, signature: msg.signature, neighborsOnly } })
    out.push({ type: 'schedule', delayMs: VERIFICATION_TIMEOUT_MS, timer: { type: 'verification-timeout', verificationId } })
  }

  /**
   * The driver's verdict on a held message (`valid` undefined: none came in time, so the core checks
   * it itself), then its waiting copies, each as if it arrived now.
   */
  onVerified(held: { message: VerifyingMessage; copies: WaitingCopy[] } | undefined, valid: boolean | undefined, nowMs: number, out: PubSubOutbox): void {
    if (held === undefined) return
    const { message: m, copies } = held
    const ok = valid ?? this.#ctx.verify(m.key, m.msg.headerBytes, m.msg.signature, m.msg.neighborsOnly === true)
    const state = this.#ctx.topics.get(m.topicHex)
    // The senders of the copies have it: a push to them would only come back as a PRUNE.
    const holders = ok ? copies.map((c) => c.from.toHex()) : []
    if (state === undefined) this.#ctx.drop('not-subscribed')
    else this.#afterSignature(this.#ctx.peers.get(m.from, nowMs), state, m.id, m.msg, ok, nowMs, out, holders)
    for (const copy of copies) {
      const peer = this.#ctx.peers.get(copy.from, nowMs)
      // The very bytes just found bad fail again: the sender forwarded them unchecked.
      if (!ok && bytesEqual(copy.msg.signature, m.msg.signature) && bytesEqual(copy.msg.headerBytes, m.msg.headerBytes)) {
        this.#ctx.drop('bad-signature')
        this.#ctx.peers.penalize(peer, 'invalid', nowMs, this.#ctx.topics.values(), out)
        continue
      }
      this.onPublish(peer, copy.msg, nowMs, out)
    }
  }

  #afterSignature(
    peer: PeerState, state: TopicState, id: MessageId, msg: PublishMessage, valid: boolean, nowMs: number, out: PubSubOutbox, holders: readonly string[] = [],
  ): void {
    if (!valid) {
      this.#ctx.drop('bad-signature')
      return this.#ctx.peers.penalize(peer, 'invalid', nowMs, this.#ctx.topics.values(), out)
    }
    const idHex = id.toHex()
    const { header } = msg
    if (msg.originKey !== undefined) this.#ctx.keys.learn(header.origin, msg.originKey)
    // Seen from here on, whatever the validator says: a rejected message is never fetched again,
    // and its sequence number is spent even after the seen cache forgets its id.
    this.#ctx.seen.set(idHex, true, nowMs)
    this.#ctx.origins.mark(header.origin.toHex(), header.seq)
    const timeoutMs = this.#ctx.validations.timeoutOf(state.topic.toHex())
    const held: HeldMessage = { peer, topicHex: state.topic.toHex(), id, idHex, msg, holders }
    if (timeoutMs === undefined) return this.#accept(held, state, nowMs, out)
    const validationId = this.#ctx.validations.hold(held)
    if (validationId === undefined) return this.#ctx.drop('validation-overloaded')
    const request = { topic: state.topic, id, origin: header.origin, seq: header.seq, from: peer.id, payload: msg.payload }
    out.push({ type: 'emit', event: { type: 'validate', validationId, request } })
    out.push({ type: 'schedule', delayMs: timeoutMs, timer: { type: 'validation-timeout', validationId } })
  }

  onVerdict(held: HeldMessage | undefined, result: ValidationResult, nowMs: number, out: PubSubOutbox): void {
    if (held === undefined) return
    const state = this.#ctx.topics.get(held.topicHex)
    if (state === undefined) return this.#ctx.drop('not-subscribed')
    if (result === 'accept') return this.#accept(held, state, nowMs, out)
    if (result === 'ignore') return this.#ctx.drop('validation-ignored')
    this.#ctx.drop('validation-rejected')
    this.#ctx.peers.penalize(held.peer, 'rejected', nowMs, this.#ctx.topics.values(), out)
  }

  /** Delivers a verified (and, where the topic has a validator, accepted) message and pushes it on. */
  #accept({ peer, id, idHex, msg, holders = [] }: HeldMessage, state: TopicState, nowMs: number, out: PubSubOutbox): void {
    const { header } = msg
    if (msg.neighborsOnly === true) {
      this.#ctx.peers.record(peer, 'firstDelivery', nowMs)
      const delivery = {
        topic: state.topic, id, origin: header.origin, seq: header.seq, timestampMs: header.timestampMs,
        hop: 1, from: peer.id, payload: msg.payload, neighborsOnly: true as const,
      }
      out.push({ type: 'emit', event: { type: 'message', delivery } })
      return
    }
    const { originKey: _carried, ...stored } = msg
    state.cache.set(idHex, { id, message: stored, hop: msg.hop, from: peer.id, digestMs: digestTimeMs(header.timestampMs, this.#ctx.wallNow(nowMs)) }, nowMs)
    this.#ctx.keys.delivered(header.origin, state.topic.toHex())
    this.#ctx.peers.record(peer, 'firstDelivery', nowMs)
    const fetched = this.#ctx.fetching.has(idHex, nowMs)
    this.#ctx.fetching.delete(idHex)
    out.push({
      type: 'emit',
      event: {
        type: 'message',
        delivery: {
          topic: state.topic, id, origin: header.origin, seq: header.seq, timestampMs: header.timestampMs,
          hop: msg.hop, from: peer.id, payload: msg.payload,
        },
      },
    })
    // Plumtree: the sender of a first copy joins the eager set (unless it only answered a fetch).
    if (!fetched && this.#ctx.neighbors.has(peer.key) && !state.eager.has(peer.key) && this.#ctx.peers.canBeEager(peer, nowMs)) {
      state.addEager(peer.id)
    }
    // Peers that announced the message have it: a push would only come back as a duplicate and a PRUNE
    // (a link eager on our side and lazy on theirs, or their PRUNE still on its way).
    const announcers = this.#ctx.repair.delivered(state, idHex, msg.hop, peer.id, fetched, nowMs, out)
    this.#ctx.forward(state, id, msg, msg.hop, [peer.key, ...announcers, ...holders], out)
  }
}
