/**
 * The rendezvous service: runs the core on the shared runtime (`@saorsa-gossip/types/runtime`) with
 * the wall clock (summaries carry absolute expiry times), registers one pubsub validator per joined
 * shard topic, carries `/saorsa/rendezvous/1` queries as direct requests and registrations as
 * one-way direct messages, turns seeks into async iterables, and snapshots the store to disk.
 */
import {
  AbortError, fromHex, InvalidParametersError, NotStartedError, PeerId, systemClock, toHex, type AbortOptions, type Clock,
} from '@saorsa-gossip/types'
import { CoreRuntime } from '@saorsa-gossip/types/runtime'
import {
  CAPABILITIES, decodeRendezvousMessage, encodeRendezvousMessage, RENDEZVOUS_PROTOCOL_NAME, SUMMARY_DOMAIN, SUMMARY_LIMITS,
  type Capability, type ProviderSummary, type RendezvousMessage,
} from './codec.ts'
import { TooManyTargetsError } from './errors.ts'
import { readStoreFile, writeStoreFile } from './persist.ts'
import { DEFAULT_RENDEZVOUS_CONFIG, type RendezvousConfig } from './proto/config.ts'
import { RendezvousCore } from './proto/core.ts'
import type { RendezvousCommand, RendezvousEvent, RendezvousTimer, Verdict } from './proto/messages.ts'
import { shardTopicName } from './proto/shard.ts'
import { parseTarget } from './target.ts'

/** The protocol as the transport registers it: small messages on the pubsub class. */
export const RENDEZVOUS_PROTOCOL = Object.freeze({ name: RENDEZVOUS_PROTOCOL_NAME, streamClass: 'pubsub' as const })
type Protocol = typeof RENDEZVOUS_PROTOCOL

/** The slice of pubsub the service uses (`createPubSub`). */
export interface RendezvousPubSub {
  join(topic: string): void
  leave(topic: string): void
  publish(topic: string, data: Uint8Array, options?: AbortOptions): Promise<unknown>
  addValidator(topic: string, validator: (m: { readonly origin: PeerId; readonly payload: Uint8Array }) => Verdict | Promise<Verdict>): void
  removeValidator(topic: string): void
}

/** The slice of a transport connection the service uses. */
export interface RendezvousConnection {
  request(protocol: Protocol, message: Uint8Array, options?: AbortOptions & { timeoutMs?: number }): Promise<Uint8Array>
  sendDirect(protocol: Protocol, message: Uint8Array, options?: AbortOptions): Promise<void>
}

/** Who sent a request: the authenticated PeerId and, where the transport has one, its connection's score. */
export interface RendezvousRequestContext {
  readonly peer: PeerId
  /** `reportInvalid()` lowers the sender's score (the transport graylists it at the limit). */
  readonly connection?: { reportInvalid(): void }
}

/** The slice of a transport the service uses (`createTransport`). */
export interface RendezvousTransport {
  handleDirect(protocol: Protocol, handler: (request: Uint8Array, context: RendezvousRequestContext) => Uint8Array | void | Promise<Uint8Array | void>): void
  unhandle(protocol: Protocol): void
  connectionTo(peer: PeerId): RendezvousConnection | undefined
}

/** The slice of the signing identity the service uses. */
export interface RendezvousIdentity {
  readonly peerId: PeerId
  readonly publicKey: Uint8Array
  sign(domain: string, body: Uint8Array): Uint8Array
}

export interface RendezvousInit {
  /** Overrides of DEFAULT_RENDEZVOUS_CONFIG (see `RENDEZVOUS_LAN` and friends). */
  readonly config?: Partial<RendezvousConfig>
  /** Where a serving node keeps its store between runs; default: memory only. */
  readonly storePath?: string
  /** The store file is rewritten at most this often (default 30 s: providers republish hourly). */
  readonly persistIntervalMs?: number
}

export interface RendezvousComponents {
  readonly identity: RendezvousIdentity
  readonly pubsub: RendezvousPubSub
  readonly transport: RendezvousTransport
  /** ML-DSA-65 verification of `signingInput(domain, body)` (identity's `verifySignature`). */
  readonly verify: (publicKey: Uint8Array, domain: string, body: Uint8Array, sig: Uint8Array) => boolean
  /** Peers holding the `rendezvous` role (coordinator adverts); read before each provide and seek. */
  readonly servers?: { rendezvousPeers(): Iterable<PeerId> }
  /** Ranks providers (higher first), e.g. a transport or pubsub score. */
  readonly score?: (peer: PeerId) => number
  readonly clock?: Clock
}

export interface ProvideOptions extends AbortOptions {
  readonly capabilities: readonly Capability[]
  readonly addressHints?: readonly string[]
  readonly contentRoot?: Uint8Array
  readonly manifestVersion?: number
  readonly bloom?: Uint8Array
  /** Validity of each summary (default 1 h, at most 72 h); republished at 80 % of it. */
  readonly lifetimeMs?: number
}

export interface SeekOptions extends AbortOptions {
  readonly capability?: Capability
  /** Keep yielding providers that arrive on the shard topic until the signal aborts (default false). */
  readonly follow?: boolean
}

export interface RendezvousEvents {
  /** This node signed and published a summary (first publish and every republish). */
  'provided': CustomEvent<ProviderSummary>
}

type Runtime = CoreRuntime<RendezvousMessage, RendezvousTimer, RendezvousCommand, RendezvousEvent>
type SeekSink = { push(providers: readonly ProviderSummary[]): void; done(): void }

export class RendezvousService extends EventTarget {
  readonly core: RendezvousCore
  readonly driverDrops = { decode: 0, 'no-connection': 0, 'request-failed': 0, 'publish-failed': 0, 'persist-failed': 0, 'core-error': 0 }
  /** Requesters reported to the transport (`reportInvalid`), by what they did. */
  readonly reported = { 'forged-registration': 0, 'ignored-refusals': 0 }
  readonly #components: RendezvousComponents
  readonly #init: RendezvousInit
  readonly #config: RendezvousConfig
  readonly #runtime: Runtime
  readonly #clock: Clock
  readonly #validations = new Map<number, (verdict: Verdict) => void>()
  readonly #replies = new Map<string, (bytes: Uint8Array) => void>()
  readonly #seeks = new Map<number, SeekSink>()
  /** Servers given with `setServers`, kept across refreshes from the `servers` component. */
  #namedServers: PeerId[] = []
  #nextId = 1
  /** The request being handled: the core's verdict on its sender comes while it is. */
  #inbound: RendezvousRequestContext | undefined
  #persistTimer: ReturnType<typeof setTimeout> | undefined
  #persistedVersion = 0
  #persisting: Promise<void> = Promise.resolve()

  constructor(init: RendezvousInit, components: RendezvousComponents) {
    super()
    this.#init = init
    this.#components = components
    this.#config = { ...DEFAULT_RENDEZVOUS_CONFIG, ...init.config }
    const clock = components.clock ?? systemClock
    // The core reads absolute expiry times, so it runs on the wall clock; a clock step only moves timers.
    this.#clock = { now: () => clock.wallNow(), wallNow: () => clock.wallNow() }
    this.core = new RendezvousCore({
      self: components.identity.peerId,
      publicKey: components.identity.publicKey,
      config: this.#config,
      sign: (body) => components.identity.sign(SUMMARY_DOMAIN, body),
      verify: components.verify,
      ...(components.score === undefined ? {} : { score: components.score }),
    })
    this.#runtime = new CoreRuntime({
      core: this.core,
      clock: this.#clock,
      send: (to, msg) => this.#send(to, msg),
      emit: (event) => this.#onEvent(event),
      onCoreError: () => { this.driverDrops['core-error']++ },
    })
  }

  get isStarted(): boolean {
    return this.#runtime.running
  }

  /** Loads the store file (if any), registers the protocol and starts the core. */
  async start(options: AbortOptions = {}): Promise<void> {
    if (this.isStarted) return
    const restored = this.#init.storePath === undefined ? [] : await readStoreFile(this.#init.storePath, this.#config.maxStoredSummaries)
    if (options.signal?.aborted === true) throw new AbortError()
    const now = this.#clock.now()
    for (const bytes of restored) this.core.restore(bytes, now)
    this.#persistedVersion = this.core.store.version
    this.#components.transport.handleDirect(RENDEZVOUS_PROTOCOL, (request, context) => this.#onRequest(request, context))
    this.#runtime.start()
    this.#runtime.input({ type: 'command', command: { type: 'start' } })
    this.#schedulePersist()
  }

  /** Withdraws every provided target, leaves every shard, and writes the store once more. */
  async stop(options: AbortOptions = {}): Promise<void> {
    if (!this.isStarted) return
    this.#refreshServers()
    for (const target of this.core.providing()) this.#input({ type: 'unprovide', target: fromHex(target) })
    for (const sink of this.#seeks.values()) sink.done()
    this.#runtime.stop()
    // Verdicts still awaited can no longer come: pubsub times them out as ignored.
    this.#validations.clear()
    this.#components.transport.unhandle(RENDEZVOUS_PROTOCOL)
    if (this.#persistTimer !== undefined) clearTimeout(this.#persistTimer)
    this.#persistTimer = undefined
    await this.#persist(options)
  }

  /** Announces that this node provides `target` (32 bytes, 64 hex digits or a name) until `unprovide` or stop. */
  provide(target: Uint8Array | string, options: ProvideOptions): ProviderSummary {
    this.#assertStarted()
    const bytes = parseTarget(target, 'target')
    const capabilities = checkCapabilities(options.capabilities)
    const lifetimeMs = options.lifetimeMs ?? this.#config.defaultLifetimeMs
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1_000 || lifetimeMs > this.#config.maxLifetimeMs) {
      throw new InvalidParametersError(`lifetimeMs: expected 1,000 to ${this.#config.maxLifetimeMs} ms, got ${lifetimeMs}`)
    }
    const hints = options.addressHints ?? []
    if (hints.length > SUMMARY_LIMITS.maxAddressHints || hints.some((h) => typeof h !== 'string' || h.length > SUMMARY_LIMITS.maxHintChars)) {
      throw new InvalidParametersError(`addressHints: at most ${SUMMARY_LIMITS.maxAddressHints} strings of at most ${SUMMARY_LIMITS.maxHintChars} characters`)
    }
    if (options.bloom !== undefined && (options.bloom.length === 0 || options.bloom.length > SUMMARY_LIMITS.maxBloomBytes)) {
      throw new InvalidParametersError(`bloom: expected 1 to ${SUMMARY_LIMITS.maxBloomBytes} bytes`)
    }
    if (options.contentRoot !== undefined && options.contentRoot.length !== 32) throw new InvalidParametersError('contentRoot: expected 32 bytes')
    if (!this.core.providing().includes(toHex(bytes)) && this.core.providing().length >= this.#config.maxPerProvider) {
      throw new TooManyTargetsError(`target: this node already provides ${this.#config.maxPerProvider} targets`)
    }
    this.#refreshServers()
    let provided: ProviderSummary | undefined
    const listener = (e: Event): void => { provided = (e as CustomEvent<ProviderSummary>).detail }
    this.addEventListener('provided', listener, { once: true })
    this.#input({
      type: 'provide', target: bytes, capabilities, addressHints: hints, lifetimeMs,
      ...(options.contentRoot === undefined ? {} : { contentRoot: options.contentRoot }),
      ...(options.manifestVersion === undefined ? {} : { manifestVersion: options.manifestVersion }),
      ...(options.bloom === undefined ? {} : { bloom: options.bloom }),
    })
    this.removeEventListener('provided', listener)
    if (provided === undefined) throw new NotStartedError('provide: the core did not publish (stopped meanwhile)')
    return provided
  }

  /** Withdraws `target`: a signed withdrawal is published and the shard left after the grace period. */
  unprovide(target: Uint8Array | string): void {
    this.#assertStarted()
    this.#refreshServers()
    this.#input({ type: 'unprovide', target: parseTarget(target, 'target') })
  }

  /** Targets this node provides (hex). */
  providing(): string[] {
    return this.core.providing()
  }

  /**
   * Replaces the `rendezvous`-role peers named by hand; they are used together with those of the
   * `servers` component (coordinator adverts), which are read again on every refresh.
   */
  setServers(peers: Iterable<PeerId>): void {
    this.#namedServers = [...peers]
    this.#refreshServers()
  }

  /**
   * Verified, unexpired providers of `target`, best first within each batch: the local store at once,
   * then the shard servers' pages. Ends when every server answered (unless `follow`); aborting the
   * signal ends it with AbortError.
   */
  async *seek(target: Uint8Array | string, options: SeekOptions = {}): AsyncGenerator<ProviderSummary, void, undefined> {
    this.#assertStarted()
    const bytes = parseTarget(target, 'target')
    if (options.capability !== undefined) checkCapabilities([options.capability])
    if (options.signal?.aborted === true) throw new AbortError()
    const seekId = this.#nextId++
    const queue: ProviderSummary[] = []
    let finished = false
    let wake: (() => void) | undefined
    const notify = (): void => { wake?.(); wake = undefined }
    this.#seeks.set(seekId, {
      push: (providers) => { queue.push(...providers); notify() },
      done: () => { finished = true; notify() },
    })
    const onAbort = (): void => notify()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    this.#refreshServers()
    try {
      this.#input({ type: 'seek', seekId, target: bytes, ...(options.capability === undefined ? {} : { capability: options.capability }) })
      while (true) {
        if (isAborted(options.signal)) throw new AbortError()
        const next = queue.shift()
        if (next !== undefined) {
          yield next
          continue
        }
        if (finished && options.follow !== true) return
        if (finished && !this.isStarted) return
        await new Promise<void>((resolve) => { wake = resolve })
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      this.#seeks.delete(seekId)
      this.#input({ type: 'seek-end', seekId })
    }
  }

  #input(command: RendezvousCommand): void {
    this.#runtime.input({ type: 'command', command })
  }

  #refreshServers(): void {
    const source = this.#components.servers
    if (source === undefined && this.#namedServers.length === 0) return
    const peers = new Map<string, PeerId>()
    for (const peer of [...this.#namedServers, ...(source?.rendezvousPeers() ?? [])]) peers.set(peer.toHex(), peer)
    this.#input({ type: 'servers', peers: [...peers.values()] })
  }

  #onEvent(event: RendezvousEvent): void {
    switch (event.type) {
      case 'publish':
        this.#components.pubsub.publish(shardTopicName(event.shard), event.bytes).catch(() => { this.driverDrops['publish-failed']++ })
        return
      case 'join': {
        const topic = shardTopicName(event.shard)
        this.#components.pubsub.addValidator(topic, (m) => this.#validate(event.shard, m.origin, m.payload))
        this.#components.pubsub.join(topic)
        return
      }
      case 'leave': {
        const topic = shardTopicName(event.shard)
        this.#components.pubsub.leave(topic)
        this.#components.pubsub.removeValidator(topic)
        return
      }
      case 'verdict':
        this.#validations.get(event.validationId)?.(event.verdict)
        this.#validations.delete(event.validationId)
        return
      case 'found':
        this.#seeks.get(event.seekId)?.push(event.providers.map((p) => p.summary))
        return
      case 'seek-done':
        this.#seeks.get(event.seekId)?.done()
        return
      case 'provided':
        this.dispatchEvent(new CustomEvent('provided', { detail: event.summary.summary }))
        return
      case 'misbehaved':
        if (this.#inbound === undefined || !this.#inbound.peer.equals(event.peer)) return
        this.reported[event.reason]++
        this.#inbound.connection?.reportInvalid()
        return
    }
  }

  #validate(shard: number, origin: PeerId, payload: Uint8Array): Verdict | Promise<Verdict> {
    if (!this.isStarted) return 'ignore'
    const validationId = this.#nextId++
    let verdict: Verdict | undefined
    this.#validations.set(validationId, (v) => { verdict = v })
    this.#input({ type: 'validate', validationId, shard, origin, payload })
    if (verdict !== undefined) return verdict
    // Called from inside another input (a sync pubsub delivery): the verdict comes when the queue drains.
    return new Promise((resolve) => this.#validations.set(validationId, resolve))
  }

  #send(to: PeerId, msg: RendezvousMessage): void {
    if (msg.type === 'reply' || msg.type === 'refused') {
      const key = `${to.toHex()}/${msg.queryId}`
      this.#replies.get(key)?.(encodeRendezvousMessage(msg))
      this.#replies.delete(key)
      return
    }
    const connection = this.#components.transport.connectionTo(to)
    if (connection === undefined) {
      this.driverDrops['no-connection']++
      return
    }
    const bytes = encodeRendezvousMessage(msg)
    if (msg.type === 'register') {
      connection.sendDirect(RENDEZVOUS_PROTOCOL, bytes).catch(() => { this.driverDrops['request-failed']++ })
      return
    }
    connection.request(RENDEZVOUS_PROTOCOL, bytes, { timeoutMs: this.#config.queryTimeoutMs }).then((response) => {
      let reply: RendezvousMessage
      try {
        reply = decodeRendezvousMessage(response)
      } catch {
        this.driverDrops.decode++
        return
      }
      this.#runtime.input({ type: 'recv', from: to, msg: reply })
    }, () => { this.driverDrops['request-failed']++ })
  }

  #onRequest(request: Uint8Array, context: RendezvousRequestContext): Uint8Array | void {
    let msg: RendezvousMessage
    try {
      msg = decodeRendezvousMessage(request)
    } catch {
      this.driverDrops.decode++
      return
    }
    if (msg.type === 'reply' || msg.type === 'refused') return
    const peer = context.peer
    this.#inbound = context
    try {
      if (msg.type === 'register') {
        this.#runtime.input({ type: 'recv', from: peer, msg })
        return
      }
      let response: Uint8Array | undefined
      const key = `${peer.toHex()}/${msg.queryId}`
      this.#replies.set(key, (bytes) => { response = bytes })
      this.#runtime.input({ type: 'recv', from: peer, msg })
      this.#replies.delete(key)
      return response
    } finally {
      this.#inbound = undefined
    }
  }

  #schedulePersist(): void {
    if (this.#init.storePath === undefined || !this.isStarted) return
    this.#persistTimer = setTimeout(() => {
      this.#persist().finally(() => this.#schedulePersist())
    }, this.#init.persistIntervalMs ?? 30_000)
    ;(this.#persistTimer as { unref?: () => void }).unref?.()
  }

  async #persist(options: AbortOptions = {}): Promise<void> {
    const path = this.#init.storePath
    if (path === undefined) return
    const version = this.core.store.version
    if (version === this.#persistedVersion) return
    const now = this.#clock.now()
    const summaries = [...this.core.store.liveEntries(now)].map((e) => e.signed.bytes)
    // One write at a time: a slow disk never has two renames racing for the same file.
    this.#persisting = this.#persisting.then(async () => {
      if (options.signal?.aborted === true) return
      try {
        await writeStoreFile(path, summaries)
        this.#persistedVersion = Math.max(this.#persistedVersion, version)
      } catch {
        this.driverDrops['persist-failed']++
      }
    })
    await this.#persisting
  }

  #assertStarted(): void {
    if (!this.isStarted) throw new NotStartedError('rendezvous is not started; call start() first')
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

function checkCapabilities(capabilities: readonly Capability[]): Capability[] {
  if (!Array.isArray(capabilities) || capabilities.length === 0 || capabilities.length > CAPABILITIES.length
    || new Set(capabilities).size !== capabilities.length || capabilities.some((c) => !CAPABILITIES.includes(c))) {
    throw new InvalidParametersError(`capabilities: expected distinct values of ${CAPABILITIES.join(', ')}`)
  }
  return [...capabilities]
}
