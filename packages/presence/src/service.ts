/**
 * The presence service (docs/architecture.md section 7): runs the sans-IO presence core on the shared
 * `CoreRuntime`, joins its beacon topics on pubsub with a topic validator that hands each verified
 * message to the core (so the pubsub origin signature is the beacon's only signature), publishes
 * its beacons, reads exporter secrets from groups, and serves FIND_USER through the coordinator.
 */
import { cryptoRng, InvalidParametersError, raceAbort, LIMITS, NotStartedError, systemClock, throwIfAborted, type AbortOptions, type Clock, type PeerId, type Rng, type TopicId } from '@saorsa-gossip/types'
import { CoreRuntime, type RuntimeMetrics } from '@saorsa-gossip/types/runtime'
import { PRESENCE_WIRE } from './codec.ts'
import { FIND_USER_DEFAULT, PRESENCE_DEFAULT, type FindUserConfig } from './config.ts'
import { FindUnavailableError, UnknownGroupError } from './errors.ts'
import { answerQuery, findUser, type FindUserResult, type FoafRouter, type UserShardLookup } from './find-user.ts'
import type { PresenceConfig } from './proto/config.ts'
import { PRESENCE_EXPORTER_LABEL, PRESENCE_SECRET_BYTES } from './proto/derive.ts'
import type { PresenceStatus } from './proto/messages.ts'
import { PresenceCore } from './proto/presence.ts'
import type { FoundUser, OfflineReason, OnlineMember, PresenceCommand, PresenceDropReason, PresenceEvent, PresenceTimer, Verdict } from './proto/types.ts'

/** What presence needs of pubsub (`@saorsa-gossip/pubsub`'s PubSub has all of it). */
export interface PresencePubSub {
  join(topic: TopicId): void
  leave(topic: TopicId): void
  publish(topic: TopicId, data: Uint8Array, options?: AbortOptions): Promise<unknown>
  addValidator(topic: TopicId, validator: (message: { readonly origin: PeerId; readonly payload: Uint8Array }) => Verdict | Promise<Verdict>): void
  removeValidator(topic: TopicId): void
}

/**
 * What presence needs of an MLS group (`@saorsa-gossip/groups`' Group fits): its epoch, exporter
 * and roster (PeerIds, or members carrying a `peerId`). Without `members` the group has no roster
 * (a secret shared out of band): every holder of the secret counts as a member, and each beacon is
 * still bound to its sender by the pubsub origin signature.
 */
export interface PresenceGroup {
  readonly epoch: bigint | number
  exportSecret(label: string, length: number): Uint8Array | Promise<Uint8Array>
  members?(): ReadonlyArray<PeerId | { readonly peerId: PeerId }>
}

/**
 * Where groups come from by id when `addGroup` is given none (`@saorsa-gossip/node` binds it to
 * the node's groups): the group's MLS exporter, and optionally its epoch and roster.
 */
export interface PresenceGroupSource {
  exportSecret(groupId: string, label: string, length: number): Uint8Array | Promise<Uint8Array>
  epoch?(groupId: string): bigint | number
  members?(groupId: string): ReadonlyArray<PeerId | { readonly peerId: PeerId }>
}

export interface PresenceInit {
  /** `PRESENCE_DEFAULT` (5 min beacons, 15 min TTL, hourly slices), `PRESENCE_LOCAL`, or overrides. */
  readonly config?: Partial<PresenceConfig>
  readonly find?: Partial<FindUserConfig>
  /** Addresses put into beacons (at most `LIMITS.maxAddressesPerPeer`); `setAddresses` changes them. */
  readonly addrs?: readonly string[]
  /**
   * How long a group's beacon topics stay joined after it is removed or the service stops (default
   * 1 s): a tree neighbour that got only the IHAVE of our offline beacon pulls it from us with a
   * GRAFT after pubsub's 80 + 40 ms graft timeouts; a second covers that over WAN round trips.
   */
  readonly leaveGraceMs?: number
}

export interface PresenceComponents {
  /** This node's PeerId (the pubsub origin of its beacons). */
  readonly peerId: PeerId
  readonly pubsub: PresencePubSub
  /** FIND_USER's route (the coordinator's FOAF queries); without it only the rendezvous fallback is tried. */
  readonly foaf?: FoafRouter
  readonly rendezvous?: UserShardLookup
  /** Groups by id for `addGroup(name)` without a group. */
  readonly groups?: PresenceGroupSource
  readonly clock?: Clock
  readonly rng?: Rng
}

export interface MemberDetail { readonly group: string; readonly member: PeerId }
export interface PresenceEvents {
  'member:online': CustomEvent<MemberDetail & { readonly status: PresenceStatus; readonly addrs: readonly string[] }>
  'member:status': CustomEvent<MemberDetail & { readonly status: PresenceStatus; readonly previous: PresenceStatus }>
  'member:offline': CustomEvent<MemberDetail & { readonly reason: OfflineReason }>
}

export interface PresenceMetrics {
  readonly runtime: RuntimeMetrics
  readonly drops: Readonly<Record<PresenceDropReason, number>>
  /** Beacons pubsub refused to publish (not started, not joined). */
  readonly publishFailures: number
}

interface Watched { readonly group: PresenceGroup; epoch: bigint | number | undefined; refreshing: boolean }

export class PresenceService extends EventTarget {
  readonly #core: PresenceCore
  readonly #runtime: CoreRuntime<never, PresenceTimer, PresenceCommand, PresenceEvent>
  readonly #components: PresenceComponents
  readonly #clock: Clock
  readonly #rng: Rng
  readonly #find: FindUserConfig
  readonly #groups = new Map<string, Watched>()
  readonly #verdicts = new Map<number, (v: Verdict) => void>()
  readonly #found = new Map<number, FoundUser | undefined>()
  #requestId = 0
  #publishFailures = 0
  readonly #leaveGraceMs: number
  /** Groups removed but still in their topics for the leave grace, with the timer that leaves them. */
  readonly #leaving = new Map<string, ReturnType<typeof setTimeout>>()

  constructor(init: PresenceInit, components: PresenceComponents) {
    super()
    this.#components = components
    this.#clock = components.clock ?? systemClock
    this.#rng = components.rng ?? cryptoRng()
    this.#find = { ...FIND_USER_DEFAULT, ...init.find }
    const grace = init.leaveGraceMs ?? LEAVE_GRACE_MS
    if (!Number.isFinite(grace) || grace < 0 || grace > 60_000) throw new InvalidParametersError(`leaveGraceMs: expected 0..60000, got ${grace}`)
    this.#leaveGraceMs = grace
    this.#core = new PresenceCore({
      self: components.peerId, rng: this.#rng, wire: PRESENCE_WIRE, config: { ...PRESENCE_DEFAULT, ...init.config },
      wallOffsetMs: this.#clock.wallNow() - this.#clock.now(),
    })
    this.#runtime = new CoreRuntime({
      core: this.#core,
      clock: this.#clock,
      send: () => undefined,
      emit: (event) => this.#onEvent(event),
      beforeTimers: () => {
        this.#checkEpochs()
        return [{ type: 'command', command: { type: 'wall-clock', wallMs: this.#clock.wallNow() } }]
      },
    })
    if (init.addrs !== undefined) this.setAddresses(init.addrs)
  }

  #addrs: readonly string[] = []

  get started(): boolean {
    return this.#runtime.running
  }

  start(options: AbortOptions = {}): void {
    this.#runtime.start(options)
    this.#runtime.input({ type: 'command', command: { type: 'wall-clock', wallMs: this.#clock.wallNow() } })
    this.#input({ type: 'set-addrs', addrs: this.#addrs })
    this.#components.foaf?.answerUserQueries((query) => answerQuery(query, (requester, target) => this.#lookup(requester, target), this.#rng))
  }

  /**
   * Sends a clean 'offline' beacon in every group this node announces in, waits until pubsub took
   * them (or `signal` fires), then leaves every beacon topic and stops.
   */
  async stop(options: AbortOptions = {}): Promise<void> {
    if (!this.started) return
    for (const name of this.#groups.keys()) this.#input({ type: 'withdraw', group: name })
    const offline = this.#pendingPublishes.splice(0)
    const handedOver = Promise.allSettled(offline).then(() => (offline.length > 0 ? this.#delay(this.#leaveGraceMs) : undefined))
    await raceAbort(handedOver, options.signal).catch(() => undefined)
    for (const [name, timer] of this.#leaving) {
      clearTimeout(timer)
      if (!this.#groups.has(name)) this.#input({ type: 'remove-group', group: name })
    }
    this.#leaving.clear()
    for (const name of [...this.#groups.keys()]) this.#input({ type: 'remove-group', group: name })
    this.#groups.clear()
    this.#components.foaf?.answerUserQueries(undefined)
    this.#runtime.stop()
    for (const resolve of this.#verdicts.values()) resolve('ignore')
    this.#verdicts.clear()
  }

  /**
   * Watches `group`: joins its beacon topics and tracks its members (call `announce` to be seen).
   * Without `group`, the group named `name` is read from the `groups` component.
   */
  async addGroup(name: string, group?: PresenceGroup, options: AbortOptions = {}): Promise<void> {
    this.#assertStarted()
    if (typeof name !== 'string' || name.length === 0) throw new InvalidParametersError('name: expected a non-empty string')
    const source = this.#components.groups
    if (group === undefined && source === undefined) throw new UnknownGroupError(`group '${name}': none given and no group source among the components`)
    const watched: Watched = { group: group ?? groupFromSource(source!, name), epoch: undefined, refreshing: false }
    clearTimeout(this.#leaving.get(name))
    this.#leaving.delete(name)
    this.#groups.set(name, watched)
    await this.#refresh(name, watched)
    throwIfAborted(options.signal)
  }

  /** Names of the groups watched. */
  groups(): string[] {
    return [...this.#groups.keys()]
  }

  /** Stops watching `group`; its topics are left after the leave grace (call `withdraw` first to be seen leaving). */
  removeGroup(name: string): void {
    if (!this.#groups.delete(name)) return
    const leave = (): void => {
      this.#leaving.delete(name)
      if (!this.#groups.has(name)) this.#input({ type: 'remove-group', group: name })
    }
    if (this.#leaveGraceMs === 0) return leave()
    const timer = setTimeout(leave, this.#leaveGraceMs)
    ;(timer as { unref?: () => void }).unref?.()
    this.#leaving.set(name, timer)
  }

  /** Starts announcing in `group` (a beacon now, then one per interval) or changes the status. */
  announce(name: string, status: Exclude<PresenceStatus, 'offline'> = 'online'): void {
    this.#known(name)
    if (status !== 'online' && status !== 'away') throw new InvalidParametersError(`status: expected 'online' or 'away', got ${String(status)}`)
    this.#input({ type: 'announce', group: name, status })
  }

  /** Clean stop in `group`: members see this node offline at once instead of after the TTL. */
  withdraw(name: string): void {
    this.#known(name)
    this.#input({ type: 'withdraw', group: name })
  }

  setAddresses(addrs: readonly string[]): void {
    if (!Array.isArray(addrs) || addrs.length > LIMITS.maxAddressesPerPeer
      || addrs.some((a) => typeof a !== 'string' || a.length > LIMITS.maxAddressLength)) {
      throw new InvalidParametersError(`addrs: expected at most ${LIMITS.maxAddressesPerPeer} strings of at most ${LIMITS.maxAddressLength} characters`)
    }
    this.#addrs = [...addrs]
    this.#input({ type: 'set-addrs', addrs: this.#addrs })
  }

  /** Members of `group` currently online or away (this node excluded), with status and last seen. */
  online(name: string): OnlineMember[] {
    this.#known(name)
    return this.#core.online(name, this.#clock.now())
  }

  /** FIND_USER: the user's current address hints from friends of friends, else its rendezvous shard. */
  async find(peer: PeerId, options: AbortOptions = {}): Promise<FindUserResult> {
    this.#assertStarted()
    if (this.#components.foaf === undefined && this.#components.rendezvous === undefined) {
      throw new FindUnavailableError('find: neither a FOAF router (coordinator) nor a rendezvous lookup was given')
    }
    return findUser(peer, this.#components.foaf, this.#components.rendezvous, this.#find, this.#rng, options)
  }

  metrics(): PresenceMetrics {
    return { runtime: this.#runtime.metrics(), drops: { ...this.#core.drops }, publishFailures: this.#publishFailures }
  }

  readonly #pendingPublishes: Array<Promise<unknown>> = []

  /** Not unref'd: `stop()` is awaited, and a caller whose loop has nothing else must still see it resolve. */
  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms))
  }

  #input(command: PresenceCommand): void {
    this.#runtime.input({ type: 'command', command })
  }

  #assertStarted(): void {
    if (!this.started) throw new NotStartedError('presence is not started')
  }

  #known(name: string): void {
    this.#assertStarted()
    if (!this.#groups.has(name)) throw new UnknownGroupError(`group '${name}' was not added`)
  }

  #lookup(requester: PeerId, target: PeerId): FoundUser | undefined {
    const requestId = ++this.#requestId
    this.#input({ type: 'find-query', requestId, requester, target })
    const found = this.#found.get(requestId)
    this.#found.delete(requestId)
    return found
  }

  async #refresh(name: string, watched: Watched): Promise<void> {
    if (watched.refreshing) return
    watched.refreshing = true
    try {
      const epoch = watched.group.epoch
      const secret = await watched.group.exportSecret(PRESENCE_EXPORTER_LABEL, PRESENCE_SECRET_BYTES)
      if (this.#groups.get(name) !== watched) return
      watched.epoch = epoch
      const members = watched.group.members?.().map((m) => ('peerId' in m ? m.peerId : m))
      this.#input({ type: 'set-group', group: name, epoch: Number(epoch), secret, members })
    } finally {
      watched.refreshing = false
    }
  }

  /** An MLS commit changes the epoch and the exporter: reread the secret when it moved. */
  #checkEpochs(): void {
    for (const [name, watched] of this.#groups) {
      if (watched.epoch !== watched.group.epoch) void this.#refresh(name, watched).catch(() => undefined)
    }
  }

  #onEvent(event: PresenceEvent): void {
    const { pubsub } = this.#components
    switch (event.type) {
      case 'join-topic':
        pubsub.addValidator(event.topic, (m) => this.#validate(event.topic, m.origin, m.payload))
        pubsub.join(event.topic)
        return
      case 'leave-topic':
        pubsub.leave(event.topic)
        pubsub.removeValidator(event.topic)
        return
      case 'publish': {
        const sent = pubsub.publish(event.topic, event.payload).catch(() => { this.#publishFailures++ })
        this.#pendingPublishes.push(sent)
        void sent.finally(() => {
          const at = this.#pendingPublishes.indexOf(sent)
          if (at >= 0) this.#pendingPublishes.splice(at, 1)
        })
        return
      }
      case 'verdict':
        this.#verdicts.get(event.requestId)?.(event.result)
        this.#verdicts.delete(event.requestId)
        return
      case 'find-answer':
        this.#found.set(event.requestId, event.answer)
        return
      case 'member-online': {
        const { type: _t, ...detail } = event
        this.dispatchEvent(new CustomEvent('member:online', { detail }))
        return
      }
      case 'member-status': {
        const { type: _t, ...detail } = event
        this.dispatchEvent(new CustomEvent('member:status', { detail }))
        return
      }
      case 'member-offline': {
        const { type: _t, ...detail } = event
        this.dispatchEvent(new CustomEvent('member:offline', { detail }))
      }
    }
  }

  #validate(topic: TopicId, origin: PeerId, payload: Uint8Array): Promise<Verdict> {
    if (!this.started) return Promise.resolve('ignore')
    const requestId = ++this.#requestId
    return new Promise<Verdict>((resolve) => {
      this.#verdicts.set(requestId, resolve)
      this.#input({ type: 'beacon', requestId, topic, origin, payload })
    })
  }
}

/** One group of a source, in the shape the service reads (its epoch read afresh at every check). */
function groupFromSource(source: PresenceGroupSource, id: string): PresenceGroup {
  const members = source.members
  return {
    get epoch() { return source.epoch?.(id) ?? 0 },
    exportSecret: (label, length) => source.exportSecret(id, label, length),
    ...(members === undefined ? {} : { members: () => members.call(source, id) }),
  }
}

/** See `PresenceInit.leaveGraceMs`. */
const LEAVE_GRACE_MS = 1_000
