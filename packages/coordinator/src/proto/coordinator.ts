/**
 * The coordinator layer as one sans-IO core (SPEC.md section 9): the advert cache fed by the advert
 * topic's validator, our own advert re-signed every publish interval, the FOAF core answering from the
 * cache, and the address book. A composition routes pubsub's validation requests and deliveries of the
 * two topics here, turns `publish` events into pubsub publications, and feeds membership neighbours in.
 */
import { PeerId } from '@saorsa-gossip/types'
import type { CoreInput, CoreOutput, Outbox, ProtocolCore, Rng } from '@saorsa-gossip/types'
import { signAdvert, type NatClass, type Role } from '../advert.ts'
import { validateAdvert, type AdvertRejectReason } from '../advert-validate.ts'
import { COORDINATOR_DOMAIN, type Signer, type VerifyFn } from '../domains.ts'
import { validatePeerRecord, type PeerRecordRejectReason } from '../peer-record.ts'
import { AddressBookCore, type AddressBookCommand, type AddressBookOutput, type AddressBookTimer } from './address-book.ts'
import { AdvertCache, type CachedAdvert } from './advert-cache.ts'
import type { CoordinatorConfig } from './config.ts'
import { FoafCore, type FoafOutput } from './foaf.ts'
import type { FoafCommand, FoafEvent, FoafMessage, FoafQueryBody, FoafTarget, FoafTimer } from './foaf-messages.ts'

/** The two pubsub topics this layer owns. */
export type CoordinatorTopic = 'adverts' | 'address-book'
export type Verdict = 'accept' | 'reject' | 'ignore'

export type CoordinatorTimer =
  | { readonly layer: 'foaf'; readonly timer: FoafTimer }
  | { readonly layer: 'address-book'; readonly timer: AddressBookTimer }
  | { readonly layer: 'advertise'; readonly epoch: number }
  | { readonly layer: 'prune' }

export type CoordinatorCommand =
  | { readonly type: 'wall-clock'; readonly wallMs: number }
  /** Start (or change) publishing our advert; the first goes out at once. */
  | { readonly type: 'advertise'; readonly roles: readonly Role[]; readonly addresses: readonly string[]; readonly nat: NatClass }
  | { readonly type: 'stop-advertising' }
  /** Start publishing our peer record on the discovery topic. */
  | { readonly type: 'address-book'; readonly addresses: readonly string[] }
  /** Pubsub asks for a verdict on a verified message of one of our topics. */
  | { readonly type: 'validate'; readonly validationId: number; readonly topic: CoordinatorTopic; readonly origin: PeerId; readonly payload: Uint8Array }
  /** Pubsub delivered a message of one of our topics (a no-op if its validator already took it in). */
  | { readonly type: 'deliver'; readonly topic: CoordinatorTopic; readonly origin: PeerId; readonly payload: Uint8Array }
  | Extract<FoafCommand, { type: 'find' }>
  | { readonly type: 'dial-result'; readonly peer: PeerId; readonly ok: boolean }

export type CoordinatorEvent =
  | { readonly type: 'validated'; readonly validationId: number; readonly result: Verdict; readonly reason?: string }
  /** Publish `payload` on `topic` (the composition signs it as a pubsub message of ours). */
  | { readonly type: 'publish'; readonly topic: CoordinatorTopic; readonly payload: Uint8Array }
  | { readonly type: 'advert-accepted'; readonly publisher: PeerId; readonly sequence: number }
  | { readonly type: 'advert-dropped'; readonly reason: AdvertRejectReason }
  | { readonly type: 'record-dropped'; readonly reason: PeerRecordRejectReason }
  /** A FOAF answer held a valid coordinator advert (now cached). */
  | { readonly type: 'coordinator-found'; readonly ref: number; readonly advert: CachedAdvert }
  | { readonly type: 'foaf'; readonly event: FoafEvent }
  | { readonly type: 'peer-added' | 'peer-updated' | 'peer-expired' | 'peer-evicted'; readonly peerId: PeerId }

export type CoordinatorInput = CoreInput<FoafMessage, CoordinatorTimer, CoordinatorCommand>
export type CoordinatorOutput = CoreOutput<FoafMessage, CoordinatorTimer, CoordinatorEvent>
type Out = Outbox<CoordinatorOutput>

export interface CoordinatorCoreInit {
  readonly self: PeerId
  readonly signer: Signer
  readonly verify: VerifyFn
  readonly config: CoordinatorConfig
  readonly rng: Rng
  /** A cache restored from disk (loadAdvertCache); a fresh one otherwise. */
  readonly cache?: AdvertCache
  /**
   * Records for user and content targets (presence and rendezvous register theirs), given the verified
   * query (its requester and payload); the requester gets them unverified in `foaf` answer events and
   * checks them itself.
   */
  readonly resolve?: (target: Exclude<FoafTarget, { kind: 'coordinator' }>, wallMs: number, query: FoafQueryBody) => readonly Uint8Array[]
}

export class CoordinatorCore implements ProtocolCore<FoafMessage, CoordinatorTimer, CoordinatorCommand, CoordinatorEvent> {
  readonly self: PeerId
  readonly config: CoordinatorConfig
  readonly cache: AdvertCache
  readonly foaf: FoafCore
  readonly addressBook: AddressBookCore
  readonly #init: CoordinatorCoreInit
  #wallOffsetMs = 0
  #advertising: { readonly roles: readonly Role[]; readonly addresses: readonly string[]; readonly nat: NatClass } | undefined
  #advertEpoch = 0
  #sequence = 0
  /** Our latest advert while we advertise: FOAF answers lead with it (the cache never holds our own). */
  #ownAdvert: Uint8Array | undefined
  #pruneArmed = false

  constructor(init: CoordinatorCoreInit) {
    if (!PeerId.fromPublicKey(init.signer.publicKey).equals(init.self)) throw new RangeError('signer: its key does not hash to self')
    this.#init = init
    this.self = init.self
    this.config = init.config
    this.cache = init.cache ?? new AdvertCache({ capacity: init.config.cacheCapacity })
    const { signer, verify, config, rng } = init
    this.foaf = new FoafCore({
      self: init.self, publicKey: signer.publicKey, config: config.foaf, clockSkewMs: config.advert.clockSkewMs, rng,
      sign: (body) => signer.sign(COORDINATOR_DOMAIN.foafQuery, body),
      verify: (pk, body, sig) => verify(pk, COORDINATOR_DOMAIN.foafQuery, body, sig),
      answer: (target, wallMs, query) => this.#answer(target, wallMs, query),
    })
    this.addressBook = new AddressBookCore({ self: init.self, config: config.addressBook, rng })
  }

  wallNow(nowMs: number): number {
    return nowMs + this.#wallOffsetMs
  }

  handle(input: CoordinatorInput, nowMs: number, out: Out): void {
    switch (input.type) {
      case 'recv': return this.#runFoaf(input, nowMs, out)
      case 'peer-up':
      case 'peer-down': return this.#runFoaf(input, nowMs, out)
      case 'timer': return this.#onTimer(input.timer, nowMs, out)
      case 'command': return this.#onCommand(input.command, nowMs, out)
    }
  }

  #onCommand(command: CoordinatorCommand, nowMs: number, out: Out): void {
    switch (command.type) {
      case 'wall-clock':
        this.#wallOffsetMs = command.wallMs - nowMs
        this.#runFoaf({ type: 'command', command }, nowMs, out)
        this.#runBook({ type: 'command', command }, nowMs, out)
        return
      case 'advertise':
        this.#advertising = { roles: [...command.roles], addresses: [...command.addresses], nat: command.nat }
        this.#advertEpoch++
        this.#advertise(nowMs, out)
        return
      case 'stop-advertising':
        this.#advertising = undefined
        this.#ownAdvert = undefined
        this.#advertEpoch++
        return
      case 'address-book':
        if (this.config.addressBook.enabled) this.#runBook({ type: 'command', command: { type: 'start', addresses: command.addresses } }, nowMs, out)
        return
      case 'validate': {
        const { result, reason } = this.#take(command.topic, command.origin, command.payload, nowMs, out)
        out.push({ type: 'emit', event: { type: 'validated', validationId: command.validationId, result, ...(reason === undefined ? {} : { reason }) } })
        return
      }
      case 'deliver':
        this.#take(command.topic, command.origin, command.payload, nowMs, out, true)
        return
      case 'find':
        return this.#runFoaf({ type: 'command', command: command satisfies FoafCommand }, nowMs, out)
      case 'dial-result':
        this.cache.recordDial(command.peer, command.ok)
    }
  }

  /**
   * Checks a message of one of our topics and takes it in if valid. `delivered` marks pubsub's later
   * delivery of a message the validator already took: its stale sequence is the expected outcome.
   */
  #take(topic: CoordinatorTopic, origin: PeerId, payload: Uint8Array, nowMs: number, out: Out, delivered = false): { result: Verdict; reason?: string } {
    const wallMs = this.wallNow(nowMs)
    if (topic === 'address-book') {
      const verdict = validatePeerRecord(payload, { origin, cachedCounter: this.addressBook.counterOf(origin) })
      if (!verdict.ok) {
        if (!(delivered && verdict.reason === 'stale-counter')) out.push({ type: 'emit', event: { type: 'record-dropped', reason: verdict.reason } })
        return { result: verdict.action, reason: verdict.reason }
      }
      this.#runBook({ type: 'command', command: { type: 'record', record: verdict.record } }, nowMs, out)
      return { result: 'accept' }
    }
    const cached = this.cache.get(origin)
    const verdict = validateAdvert(payload, {
      nowMs: wallMs, origin, policy: this.config.advert, verify: this.#init.verify,
      cached: cached === undefined ? undefined : { sequence: cached.advert.sequence, acceptedAtMs: cached.acceptedAtMs },
    })
    if (!verdict.ok) {
      if (!(delivered && verdict.reason === 'stale-sequence')) out.push({ type: 'emit', event: { type: 'advert-dropped', reason: verdict.reason } })
      return { result: verdict.action, reason: verdict.reason }
    }
    // Ours, relayed back to us: valid for the others, not an entry of our own cache.
    if (verdict.advert.advert.peerId.equals(this.self)) return { result: 'accept' }
    this.cache.insert(verdict.advert, wallMs)
    this.#armPrune(out)
    const a = verdict.advert.advert
    out.push({ type: 'emit', event: { type: 'advert-accepted', publisher: a.peerId, sequence: a.sequence } })
    return { result: 'accept' }
  }

  #onTimer(timer: CoordinatorTimer, nowMs: number, out: Out): void {
    switch (timer.layer) {
      case 'foaf': return this.#runFoaf({ type: 'timer', timer: timer.timer }, nowMs, out)
      case 'address-book': return this.#runBook({ type: 'timer', timer: timer.timer }, nowMs, out)
      case 'advertise':
        if (timer.epoch === this.#advertEpoch) this.#advertise(nowMs, out)
        return
      case 'prune':
        this.cache.prune(this.wallNow(nowMs))
        out.push({ type: 'schedule', delayMs: PRUNE_INTERVAL_MS, timer: { layer: 'prune' } })
    }
  }

  #advertise(nowMs: number, out: Out): void {
    const a = this.#advertising
    if (a === undefined) return
    const wallMs = this.wallNow(nowMs)
    // From the wall clock, so a restarted coordinator never reuses a sequence.
    this.#sequence = Math.max(this.#sequence + 1, wallMs)
    const signed = signAdvert(this.#init.signer, {
      roles: a.roles, addresses: a.addresses, nat: a.nat, notBeforeMs: wallMs, notAfterMs: wallMs + this.config.advertValidityMs, sequence: this.#sequence,
    })
    this.#ownAdvert = signed.bytes
    out.push({ type: 'emit', event: { type: 'publish', topic: 'adverts', payload: signed.bytes } })
    out.push({ type: 'schedule', delayMs: this.config.publishIntervalMs, timer: { layer: 'advertise', epoch: this.#advertEpoch } })
  }

  #answer(target: FoafTarget, wallMs: number, query: FoafQueryBody): readonly Uint8Array[] {
    if (target.kind !== 'coordinator') return [...(this.#init.resolve?.(target, wallMs, query) ?? [])]
    const own = this.#advertising?.roles.includes('coordinator') === true && this.#ownAdvert !== undefined ? [this.#ownAdvert] : []
    const cached = this.cache.best(wallMs, { role: 'coordinator', limit: this.config.foaf.maxRecordsPerReply - own.length }).map((e) => e.bytes)
    return [...own, ...cached]
  }

  #runFoaf(input: CoreInput<FoafMessage, FoafTimer, FoafCommand>, nowMs: number, out: Out): void {
    const inner: FoafOutput[] = []
    this.foaf.handle(input, nowMs, inner)
    for (const o of inner) {
      switch (o.type) {
        case 'send': out.push(o); break
        case 'disconnect': out.push(o); break
        case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer: 'foaf', timer: o.timer } }); break
        case 'emit':
          out.push({ type: 'emit', event: { type: 'foaf', event: o.event } })
          if (o.event.type === 'answer') this.#onAnswer(o.event.ref, o.event.records, nowMs, out)
      }
    }
  }

  /** Replies were relayed unverified: every record is validated here before it is used or cached. */
  #onAnswer(ref: number, records: readonly Uint8Array[], nowMs: number, out: Out): void {
    const wallMs = this.wallNow(nowMs)
    for (const bytes of records) {
      const verdict = validateAdvert(bytes, { nowMs: wallMs, policy: this.config.advert, verify: this.#init.verify })
      // Our own advert comes back when a neighbour that cached it answers our query: a coordinator
      // is never its own bootstrap contact, so it is not cached.
      if (!verdict.ok || !verdict.advert.advert.roles.includes('coordinator') || verdict.advert.advert.peerId.equals(this.self)) continue
      this.cache.insert(verdict.advert, wallMs)
      const entry = this.cache.get(verdict.advert.advert.peerId)
      if (entry !== undefined) out.push({ type: 'emit', event: { type: 'coordinator-found', ref, advert: entry } })
    }
  }

  #runBook(input: CoreInput<never, AddressBookTimer, AddressBookCommand>, nowMs: number, out: Out): void {
    const inner: AddressBookOutput[] = []
    this.addressBook.handle(input, nowMs, inner)
    for (const o of inner) {
      if (o.type === 'schedule') out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer: 'address-book', timer: o.timer } })
      else if (o.type === 'emit') {
        const e = o.event
        if (e.type === 'publish') out.push({ type: 'emit', event: { type: 'publish', topic: 'address-book', payload: e.bytes } })
        else out.push({ type: 'emit', event: e })
      }
    }
  }

  #armPrune(out: Out): void {
    if (this.#pruneArmed) return
    this.#pruneArmed = true
    out.push({ type: 'schedule', delayMs: PRUNE_INTERVAL_MS, timer: { layer: 'prune' } })
  }
}

/** Expired adverts leave the cache within a minute even when nothing else touches it. */
const PRUNE_INTERVAL_MS = 60_000
