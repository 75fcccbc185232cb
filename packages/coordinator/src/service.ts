/**
 * The coordinator service on the shared driver runtime (docs/architecture.md sections 2 and 7; its
 * public types in `service-types.ts`): the coordinator core fed by pubsub (the advert and address-book
 * topics' validators and deliveries), membership's neighbour events and FOAF messages on `/saorsa/foaf/1`;
 * its `publish` events go out through pubsub, its sends as direct messages. The advert cache is loaded
 * from the home directory at start and written back atomically after changes and at stop.
 */
import { signingInput } from '@saorsa-gossip/identity'
import {
  DecodeError, InvalidParametersError, NotStartedError, PeerId, cryptoRng, raceAbort, systemClock, throwIfAborted,
  type AbortOptions, type Clock, type TopicId,
} from '@saorsa-gossip/types'
import { CoreRuntime } from '@saorsa-gossip/types/runtime'
import type { NatClass, Role } from './advert.ts'
import { ADVERT_CACHE_FILE, loadAdvertCache, saveAdvertCache } from './advert-store.ts'
import type { VerifyFn } from './domains.ts'
import { QueryError } from './errors.ts'
import { decodeFoafMessage, encodeFoafMessage } from './foaf-codec.ts'
import type { AddressBookEntry } from './proto/address-book.ts'
import type { CachedAdvert } from './proto/advert-cache.ts'
import { checkCoordinatorConfig, COORDINATOR_LAN, type CoordinatorConfig } from './proto/config.ts'
import {
  CoordinatorCore, type CoordinatorCommand, type CoordinatorEvent, type CoordinatorTimer, type CoordinatorTopic,
} from './proto/coordinator.ts'
import { MAX_FOAF_PAYLOAD_BYTES, type FoafMessage, type FoafQueryBody, type FoafTarget } from './proto/foaf-messages.ts'
import { FOAF_TRANSPORT_PROTOCOL } from './service-types.ts'
import type {
  CoordinatorComponents, CoordinatorEvents, CoordinatorInit, CoordinatorMetrics, UserQueryAnswerer,
} from './service-types.ts'
import { ADDRESS_BOOK_TOPIC, COORDINATOR_TOPIC } from './topics.ts'

const TOPIC_NAMES: Readonly<Record<CoordinatorTopic, TopicId>> = { 'adverts': COORDINATOR_TOPIC, 'address-book': ADDRESS_BOOK_TOPIC }
/** After a change the cache file is rewritten at most this often (the node's peer cache uses 5 s too). */
const SAVE_DELAY_MS = 5_000

export class CoordinatorService extends EventTarget {
  readonly config: CoordinatorConfig
  readonly drops: Record<string, number> = {
    'decode': 0, 'no-connection': 0, 'send-failed': 0, 'publish-failed': 0, 'save-failed': 0, 'core-error': 0, 'answerer-error': 0,
  }
  readonly #init: CoordinatorInit
  readonly #components: CoordinatorComponents
  readonly #clock: Clock
  readonly #verify: VerifyFn
  #core: CoordinatorCore | undefined
  #runtime: CoreRuntime<FoafMessage, CoordinatorTimer, CoordinatorCommand, CoordinatorEvent> | undefined
  readonly #validations = new Map<number, (result: 'accept' | 'reject' | 'ignore') => void>()
  readonly #queries = new Map<number, { readonly onEvent: (event: CoordinatorEvent) => void; readonly reject: (error: Error) => void }>()
  #validationId = 0
  #ref = 0
  #saveTimer: ReturnType<typeof setTimeout> | undefined
  #dirty = false
  #lastPublished = 0
  #userAnswerer: UserQueryAnswerer | undefined

  constructor(init: CoordinatorInit, components: CoordinatorComponents) {
    super()
    this.config = checkCoordinatorConfig(init.config ?? COORDINATOR_LAN)
    this.#init = init
    this.#components = components
    this.#clock = components.clock ?? systemClock
    const backend = components.backend
    this.#verify = (pk, domain, body, sig) => backend.verify(pk, signingInput(domain, body), sig)
  }

  /** Size of the advert we last published (0 while we do not advertise). */
  get publishedAdvertBytes(): number {
    return this.#lastPublished
  }

  get isStarted(): boolean {
    return this.#runtime?.running === true
  }

  /** Loads the advert cache, then joins the topics and starts answering FOAF. */
  async start(options: AbortOptions = {}): Promise<void> {
    if (this.isStarted) return
    throwIfAborted(options.signal)
    const { identity } = this.#components
    const wallMs = this.#clock.wallNow()
    let cache
    if (this.#init.home !== undefined) {
      const loaded = await raceAbort(loadAdvertCache(`${this.#init.home}/${ADVERT_CACHE_FILE}`, {
        capacity: this.config.cacheCapacity, wallMs, policy: this.config.advert, verify: this.#verify,
      }), options.signal)
      cache = loaded.cache
      this.#dispatch('cache:loaded', loaded.report)
    }
    const core = new CoordinatorCore({
      self: identity.peerId, signer: identity, verify: this.#verify, config: this.config, rng: this.#components.rng ?? cryptoRng(),
      ...(cache === undefined ? {} : { cache }),
      resolve: (target, _wallMs, query) => this.#resolve(target, query),
    })
    this.#core = core
    this.#runtime = new CoreRuntime({
      // Whole milliseconds: the cores derive signed wall-clock fields (validity, sequence, counter) from it.
      core, clock: { now: () => Math.floor(this.#clock.now()), wallNow: () => this.#clock.wallNow() },
      send: (to, msg) => this.#send(to, msg),
      emit: (event) => this.#emit(event),
      beforeTimers: () => [{ type: 'command', command: { type: 'wall-clock', wallMs: this.#clock.wallNow() } }],
      onCoreError: () => { this.drops['core-error']!++ },
    })
    this.#runtime.start()
    options.signal?.addEventListener('abort', () => void this.stop(), { once: true })
    this.#command({ type: 'wall-clock', wallMs: this.#clock.wallNow() })
    const { pubsub, transport, membership } = this.#components
    for (const [name, topic] of Object.entries(TOPIC_NAMES) as Array<[CoordinatorTopic, TopicId]>) {
      if (name === 'address-book' && !this.config.addressBook.enabled) continue
      pubsub.join(topic)
      pubsub.addValidator(topic, (m) => this.#validate(name, m.origin, m.payload))
    }
    pubsub.addEventListener('message', this.#onMessage)
    transport.handleDirect(FOAF_TRANSPORT_PROTOCOL, (bytes, context) => this.#onFoaf(bytes, context.peer))
    membership?.addEventListener('peer:up', this.#onUp)
    membership?.addEventListener('peer:down', this.#onDown)
    const a = this.#init.advertise
    if (a !== undefined) this.#command({ type: 'advertise', roles: a.roles, addresses: a.addresses, nat: a.nat ?? 'unknown' })
    if (this.#init.addresses !== undefined && this.#init.addresses.length > 0) this.#command({ type: 'address-book', addresses: this.#init.addresses })
  }

  /**
   * Publishes a fresh advert with these fields at once and keeps advertising them (for example after
   * NAT traversal measured the class or found a reflexive address). NotStartedError before `start`.
   */
  advertise(fields: { readonly roles: readonly Role[]; readonly addresses: readonly string[]; readonly nat?: NatClass }): void {
    if (!this.isStarted) throw new NotStartedError('the coordinator is not started')
    this.#command({ type: 'advertise', roles: fields.roles, addresses: fields.addresses, nat: fields.nat ?? 'unknown' })
  }

  /** Stops, and writes the advert cache if it changed. */
  async stop(): Promise<void> {
    if (!this.isStarted) return
    this.#runtime!.stop()
    const { pubsub, transport, membership } = this.#components
    pubsub.removeEventListener('message', this.#onMessage)
    for (const topic of Object.values(TOPIC_NAMES)) pubsub.removeValidator(topic)
    transport.unhandle(FOAF_TRANSPORT_PROTOCOL)
    membership?.removeEventListener('peer:up', this.#onUp)
    membership?.removeEventListener('peer:down', this.#onDown)
    for (const resolve of this.#validations.values()) resolve('ignore')
    this.#validations.clear()
    for (const query of this.#queries.values()) query.reject(new NotStartedError('coordinator service stopped during the query'))
    this.#queries.clear()
    if (this.#saveTimer !== undefined) clearTimeout(this.#saveTimer)
    this.#saveTimer = undefined
    await this.#save()
  }

  /** Cached coordinator adverts, best first. */
  coordinators(options: { limit?: number } = {}): CachedAdvert[] {
    return this.adverts({ role: 'coordinator', ...options })
  }

  /** Live cached adverts, best first, optionally only those holding `role` (a rendezvous client's servers). */
  adverts(options: { role?: Role; limit?: number } = {}): CachedAdvert[] {
    return this.#core?.cache.best(this.#clock.wallNow(), options) ?? []
  }

  /** The cached advert of `peer`, if it holds one that is live (its addresses are where to dial it). */
  advertOf(peer: PeerId): CachedAdvert | undefined {
    const entry = this.#core?.cache.get(peer)
    return entry !== undefined && entry.advert.notAfterMs > this.#clock.wallNow() ? entry : undefined
  }

  /** Where `peer` says it can be reached: its live advert's addresses, then its address-book record's. */
  addressesOf(peer: PeerId): string[] {
    const advertised = this.advertOf(peer)?.advert.addresses ?? []
    const recorded = this.#core?.addressBook.get(peer)?.addresses ?? []
    return [...new Set([...advertised, ...recorded])]
  }

  addressBook(): AddressBookEntry[] {
    return this.#core?.addressBook.entries() ?? []
  }

  /**
   * Finds a coordinator: the best cached ones at once, else a FOAF FIND_COORDINATOR query; resolves with
   * the best cached adverts as soon as a reply brought a valid one, or [] when the query ends without one.
   * Rejects with QueryError when no neighbour is connected or our query budget is spent.
   */
  async findCoordinator(options: AbortOptions & { readonly useCache?: boolean } = {}): Promise<CachedAdvert[]> {
    throwIfAborted(options.signal)
    if (!this.isStarted) throw new NotStartedError('coordinator service is not started')
    if (options.useCache !== false) {
      const cached = this.coordinators({ limit: this.config.foaf.maxRecordsPerReply })
      if (cached.length > 0) return cached
    }
    const ref = ++this.#ref
    const result = new Promise<CachedAdvert[]>((resolve, reject) => {
      this.#queries.set(ref, { reject, onEvent: (event) => {
        // One reply's records are all cached before its first coordinator-found event is handled.
        if (event.type === 'coordinator-found') resolve(this.coordinators({ limit: this.config.foaf.maxRecordsPerReply }))
        else if (event.type !== 'foaf') return
        else if (event.event.type === 'query-failed') {
          reject(new QueryError(event.event.reason === 'rate-limited' ? 'FOAF query budget spent (10 per hour)' : 'no neighbour to ask'))
        } else if (event.event.type === 'query-done') resolve([])
        else return
        this.#queries.delete(ref)
      } })
    })
    this.#command({ type: 'find', target: { kind: 'coordinator' }, ref })
    return raceAbort(result, options.signal).finally(() => this.#queries.delete(ref))
  }

  /**
   * A FOAF user query (SPEC.md section 9.4) for `target` carrying `payload` under the requester's
   * signature; resolves at the deadline (`timeoutMs`, default the preset's), or as soon as `settle`
   * says the records so far suffice, with every reply record that came back, unverified: the caller
   * opens or checks each. `ttl` may lower the preset's TTL.
   * Rejects with QueryError when no neighbour is connected or our query budget is spent.
   */
  async queryUser(target: PeerId, payload: Uint8Array, options: AbortOptions & {
    readonly ttl?: number; readonly timeoutMs?: number; readonly settle?: (records: readonly Uint8Array[]) => boolean
  } = {}): Promise<Uint8Array[]> {
    throwIfAborted(options.signal)
    if (!(target instanceof PeerId)) throw new InvalidParametersError('target: expected a PeerId')
    if (!(payload instanceof Uint8Array) || payload.length === 0 || payload.length > MAX_FOAF_PAYLOAD_BYTES) {
      throw new InvalidParametersError(`payload: expected 1..${MAX_FOAF_PAYLOAD_BYTES} bytes`)
    }
    const { ttl, timeoutMs } = options
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > this.config.foaf.ttl)) {
      throw new InvalidParametersError(`ttl: expected an integer in 1..${this.config.foaf.ttl}`)
    }
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > this.config.foaf.queryLifetimeMs)) {
      throw new InvalidParametersError(`timeoutMs: expected 0 < timeoutMs <= ${this.config.foaf.queryLifetimeMs}`)
    }
    if (!this.isStarted) throw new NotStartedError('coordinator service is not started')
    const ref = ++this.#ref
    const records: Uint8Array[] = []
    const result = new Promise<Uint8Array[]>((resolve, reject) => {
      this.#queries.set(ref, { reject, onEvent: (event) => {
        if (event.type !== 'foaf') return
        const e = event.event
        if (e.type === 'answer') {
          records.push(...e.records)
          if (options.settle?.(records) === true) resolve(records)
        } else if (e.type === 'query-failed') reject(new QueryError(e.reason === 'rate-limited' ? 'FOAF query budget spent' : 'no neighbour to ask'))
        else if (e.type === 'query-done') resolve(records)
      } })
    })
    this.#command({
      type: 'find', target: { kind: 'user', id: target.bytes }, ref, payload,
      ...(ttl === undefined ? {} : { ttl }), ...(timeoutMs === undefined ? {} : { timeoutMs }),
    })
    return raceAbort(result, options.signal).finally(() => this.#queries.delete(ref))
  }

  /** Installs (or with undefined removes) the answerer for user queries reaching this node. */
  answerUserQueries(answer: UserQueryAnswerer | undefined): void {
    if (answer !== undefined && typeof answer !== 'function') throw new InvalidParametersError('answer: expected a function')
    this.#userAnswerer = answer
  }

  /** Reports the outcome of dialling a cached coordinator (it moves the advert's score). */
  recordDial(peer: PeerId, ok: boolean): void {
    if (this.#core?.cache.get(peer) === undefined) return
    this.#command({ type: 'dial-result', peer, ok })
    this.#changed()
  }

  metrics(): CoordinatorMetrics {
    const core = this.#core
    return {
      cachedAdverts: core?.cache.size ?? 0, addressBook: core?.addressBook.size ?? 0, foafHandled: core?.foaf.handled ?? 0,
      drops: { ...this.drops, ...Object.fromEntries(Object.entries(core?.foaf.drops ?? {}).map(([k, v]) => [`foaf:${k}`, v])) },
    }
  }

  readonly #onMessage = (event: Event): void => {
    const delivery = (event as CustomEvent<{ topic: TopicId; origin: PeerId; payload: Uint8Array }>).detail
    const topic = delivery.topic.equals(COORDINATOR_TOPIC) ? 'adverts' : delivery.topic.equals(ADDRESS_BOOK_TOPIC) ? 'address-book' : undefined
    if (topic !== undefined) this.#command({ type: 'deliver', topic, origin: delivery.origin, payload: delivery.payload })
  }

  readonly #onUp = (event: Event): void => this.#runtime?.input({ type: 'peer-up', peer: peerOf(event) })
  readonly #onDown = (event: Event): void => this.#runtime?.input({ type: 'peer-down', peer: peerOf(event) })

  #validate(topic: CoordinatorTopic, origin: PeerId, payload: Uint8Array): Promise<'accept' | 'reject' | 'ignore'> {
    if (!this.isStarted) return Promise.resolve('ignore')
    const validationId = ++this.#validationId
    const verdict = new Promise<'accept' | 'reject' | 'ignore'>((resolve) => this.#validations.set(validationId, resolve))
    this.#command({ type: 'validate', validationId, topic, origin, payload })
    return verdict
  }

  #onFoaf(bytes: Uint8Array, from: PeerId): void {
    let msg: FoafMessage
    try {
      msg = decodeFoafMessage(bytes)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      this.drops['decode']!++
      return
    }
    this.#runtime?.input({ type: 'recv', from, msg })
  }

  #send(to: PeerId, msg: FoafMessage): void {
    const connection = this.#components.transport.connectionTo(to)
    if (connection === undefined) {
      this.drops['no-connection']!++
      return
    }
    connection.sendDirect(FOAF_TRANSPORT_PROTOCOL, encodeFoafMessage(msg)).catch(() => { this.drops['send-failed']!++ })
  }

  #emit(event: CoordinatorEvent): void {
    switch (event.type) {
      case 'validated': {
        const resolve = this.#validations.get(event.validationId)
        this.#validations.delete(event.validationId)
        resolve?.(event.result)
        return
      }
      case 'publish':
        this.#components.pubsub.publish(TOPIC_NAMES[event.topic], event.payload).catch(() => { this.drops['publish-failed']!++ })
        if (event.topic === 'adverts') {
          this.#lastPublished = event.payload.length
          this.#dispatch('advert:published', { bytes: event.payload.length })
        }
        return
      case 'advert-accepted':
        this.#changed()
        return this.#dispatch('advert', { publisher: event.publisher, sequence: event.sequence })
      case 'coordinator-found':
        this.#changed()
        this.#queries.get(event.ref)?.onEvent(event)
        return this.#dispatch('coordinator:found', event.advert)
      case 'foaf':
        if ('ref' in event.event) this.#queries.get(event.event.ref)?.onEvent(event)
        return
      case 'peer-added': return this.#dispatch('peer:added', event.peerId)
      case 'peer-expired': return this.#dispatch('peer:expired', event.peerId)
      default:
    }
  }

  #resolve(target: Exclude<FoafTarget, { kind: 'coordinator' }>, query: FoafQueryBody): Uint8Array[] {
    const answer = this.#userAnswerer
    if (target.kind !== 'user' || answer === undefined) return []
    try {
      const reply = answer({ requester: query.requester, target: PeerId.fromBytes(target.id), payload: query.payload ?? new Uint8Array(0) })
      return reply === undefined ? [] : [reply]
    } catch {
      // A faulty answerer costs its answer, never the query's walk or the core.
      this.drops['answerer-error']!++
      return []
    }
  }

  #command(command: CoordinatorCommand): void {
    this.#runtime?.input({ type: 'command', command })
  }

  #changed(): void {
    this.#dirty = true
    if (this.#init.home === undefined || this.#saveTimer !== undefined) return
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined
      void this.#save()
    }, SAVE_DELAY_MS)
    ;(this.#saveTimer as { unref?: () => void }).unref?.()
  }

  async #save(): Promise<void> {
    const core = this.#core
    if (!this.#dirty || core === undefined || this.#init.home === undefined) return
    this.#dirty = false
    try {
      await saveAdvertCache(`${this.#init.home}/${ADVERT_CACHE_FILE}`, core.cache)
    } catch {
      this.drops['save-failed']!++
    }
  }

  #dispatch<K extends keyof CoordinatorEvents>(type: K, detail: CoordinatorEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}

function peerOf(event: Event): PeerId {
  const detail = (event as CustomEvent<PeerId | { peer: PeerId }>).detail
  if (detail instanceof PeerId) return detail
  if (detail !== null && typeof detail === 'object' && 'peer' in detail) return detail.peer
  throw new InvalidParametersError('neighbour event without a peer')
}
