/**
 * The PubSub driver (docs/architecture.md section 2): runs the sans-IO core on the shared `CoreRuntime`
 * (input queue, timer heap, one armed host timer) and connects it to the transport's
 * `/saorsa/pubsub/1` protocol (on the 'pubsub' stream class) and to membership neighbour events.
 * It keeps the one registry of topics (joined, and the subscriptions of readers that want an
 * iterator), runs topic validators, and turns core events into typed DOM events (`driver-types.ts`).
 */
import {
  DecodeError, InvalidParametersError, LIMITS, NotStartedError, TopicId, cryptoRng, raceAbort, systemClock, throwIfAborted,
  type AbortOptions, type Clock, type PeerId,
} from '@saorsa-gossip/types'
import { CoreRuntime } from '@saorsa-gossip/types/runtime'
import { decodePubSubMessage, encodePubSubMessage } from './codec.ts'
import type {
  DriverDrops, PubSubComponents, PubSubConnection, PubSubEvents, PubSubInit, PubSubTraffic, PublishResult, TopicPeerCounts,
} from './driver-types.ts'
import { PublishBackpressureError } from './errors.ts'
import { LagMonitor } from './lag-monitor.ts'
import type { SequenceFile } from './sequence-file.ts'
import type { PubSubCommand, PubSubEvent, PubSubMessage, PubSubTimer } from './proto/messages.ts'
import { PubSubCore } from './proto/pubsub.ts'
import { PUBSUB_PROTOCOL } from './protocol.ts'
import { Publisher } from './publisher.ts'
import { headerSigningInput, signHeaderWith, verifyHeaderWith } from './signatures.ts'
import { Subscription } from './subscription.ts'
import { Validators, type TopicValidator, type ValidatorOptions } from './validators.ts'

type Listener<K extends keyof PubSubEvents> = (event: PubSubEvents[K]) => void
type ListenerOptions = { once?: boolean; signal?: AbortSignal }
type Runtime = CoreRuntime<PubSubMessage, PubSubTimer, PubSubCommand, PubSubEvent>

/** The one registry of topics: joined without a reader, and the readers that asked for an iterator. */
interface TopicEntry { readonly topic: TopicId; joined: boolean; readonly subscriptions: Set<Subscription> }

export class PubSubDriver extends EventTarget {
  readonly core: PubSubCore
  readonly driverDrops: DriverDrops = { decode: 0, 'no-connection': 0, 'send-failed': 0, lagged: 0, 'core-error': 0, 'validator-error': 0, 'sequence-write': 0 }
  /** Pubsub bytes and frames sent and received by this node (for harnesses and metrics). */
  readonly traffic: PubSubTraffic = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 }
  readonly #components: PubSubComponents
  readonly #subscriptionBuffer: number
  readonly #clock: Clock
  readonly #runtime: Runtime
  readonly #publisher: Publisher
  readonly #lagMonitor: LagMonitor
  readonly #sequenceFile: string | undefined
  #sequence: Promise<SequenceFile> | undefined
  readonly #maxPublishLagMs: number
  readonly #topics = new Map<string, TopicEntry>()
  readonly #validators = new Validators(() => { this.driverDrops['validator-error']++ })
  readonly #published = new Map<number, { resolve: (r: PublishResult) => void; reject: (e: Error) => void }>()
  readonly #onUp = (e: Event) => this.neighborUp(peerOf(e))
  readonly #onDown = (e: Event) => this.neighborDown(peerOf(e))
  readonly #onOpen = (e: Event) => {
    const { connection } = (e as CustomEvent<{ connection: PubSubConnection }>).detail
    this.#command({ type: 'learn-key', peer: connection.remotePeer, publicKey: connection.remotePublicKey })
  }
  #requestId = 0
  #lastEncoded: { readonly msg: PubSubMessage; readonly bytes: Uint8Array } | undefined

  constructor(init: PubSubInit, components: PubSubComponents) {
    super()
    this.#components = components
    this.#subscriptionBuffer = init.subscriptionBuffer ?? 1_024
    if (!Number.isSafeInteger(this.#subscriptionBuffer) || this.#subscriptionBuffer < 1) {
      throw new InvalidParametersError('subscriptionBuffer: expected a positive integer')
    }
    this.#clock = components.clock ?? systemClock
    const { identity } = components
    this.core = new PubSubCore({
      self: identity.peerId, publicKey: identity.publicKey, verify: verifyHeaderWith(components.backend),
      rng: components.rng ?? cryptoRng(), config: init.config ?? {}, verifyOffLoop: components.verifier !== undefined,
    })
    this.#runtime = new CoreRuntime({
      core: this.core,
      clock: this.#clock,
      send: (to, msg) => this.#send(to, msg),
      emit: (event) => this.#emit(event),
      disconnect: (peer) => this.#close(peer),
      // Timestamps are checked against the wall clock: refresh it before timers touch any message.
      beforeTimers: () => [{ type: 'command', command: { type: 'wall-clock', wallMs: this.#clock.wallNow() } }],
      onCoreError: () => { this.driverDrops['core-error']++ },
    })
    this.#lagMonitor = new LagMonitor(nonNegative(init.lagSampleMs ?? 100, 'lagSampleMs'), (lagMs) => this.#command({ type: 'local-lag', lagMs }))
    this.#maxPublishLagMs = nonNegative(init.maxPublishLagMs ?? 2_000, 'maxPublishLagMs')
    if (init.sequenceFile !== undefined && (typeof init.sequenceFile !== 'string' || init.sequenceFile.length === 0)) {
      throw new InvalidParametersError('sequenceFile: expected a file path')
    }
    this.#sequenceFile = init.sequenceFile
    // Sequence numbers start from the wall clock so a restarted node never reuses one.
    this.#publisher = new Publisher(identity.peerId, signHeaderWith(identity), Math.floor(this.#clock.wallNow()) * 1024)
  }

  override addEventListener<K extends keyof PubSubEvents>(type: K, listener: Listener<K>, options?: ListenerOptions): void
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void
  override addEventListener(...args: unknown[]): void {
    super.addEventListener(...(args as Parameters<EventTarget['addEventListener']>))
  }

  override removeEventListener<K extends keyof PubSubEvents>(type: K, listener: Listener<K>): void
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void
  override removeEventListener(...args: unknown[]): void {
    super.removeEventListener(...(args as Parameters<EventTarget['removeEventListener']>))
  }

  get isStarted(): boolean {
    return this.#runtime.running
  }

  /** Starts the core; aborting `signal` later stops it as `stop()` would. */
  start(options: AbortOptions = {}): void {
    if (this.#runtime.running) return
    throwIfAborted(options.signal)
    this.#runtime.start()
    options.signal?.addEventListener('abort', () => this.stop(), { once: true })
    this.#handleFrames()
    this.#lagMonitor.start()
    if (this.#sequenceFile !== undefined && this.#sequence === undefined) this.#sequence = this.#openSequence(this.#sequenceFile)
    this.#components.transport.addEventListener('connection:open', this.#onOpen)
    this.#components.membership?.addEventListener('peer:up', this.#onUp)
    this.#components.membership?.addEventListener('peer:down', this.#onDown)
    this.#command({ type: 'wall-clock', wallMs: this.#clock.wallNow() })
    for (const { topic, timeoutMs } of this.#validators.registered()) this.#command({ type: 'set-validator', topic, timeoutMs })
  }

  /** Stops the core and ends every subscription; joined topics stay joined for a restart. */
  stop(): void {
    if (!this.#runtime.running) return
    this.#runtime.stop()
    this.#lagMonitor.stop()
    // Releases the name, so this driver (or another) can handle it again after a restart.
    this.#components.transport.unhandle(PUBSUB_PROTOCOL)
    this.#components.transport.removeEventListener('connection:open', this.#onOpen)
    this.#components.membership?.removeEventListener('peer:up', this.#onUp)
    this.#components.membership?.removeEventListener('peer:down', this.#onDown)
    for (const entry of this.#topics.values()) {
      for (const sub of entry.subscriptions) sub.end()
      entry.subscriptions.clear()
      if (!entry.joined) this.#topics.delete(entry.topic.toHex())
    }
    for (const pending of this.#published.values()) pending.reject(new NotStartedError('PubSub stopped before the publish was handled'))
    this.#published.clear()
  }

  neighborUp(peer: PeerId): void {
    const connection = this.#components.transport.connectionTo(peer)
    if (connection !== undefined) this.#command({ type: 'learn-key', peer, publicKey: connection.remotePublicKey })
    this.#runtime.input({ type: 'peer-up', peer })
  }

  neighborDown(peer: PeerId): void {
    this.#runtime.input({ type: 'peer-down', peer })
  }

  /** Joins `topic`'s tree (relaying and repairing it) without a local reader; use the 'message' event. */
  join(topic: string | TopicId, options: AbortOptions = {}): void {
    this.#entry(topic, options).joined = true
  }

  /** Undoes `join`; the tree is left once no subscription of the topic remains either. */
  leave(topic: string | TopicId, options: AbortOptions = {}): void {
    this.#assertStarted()
    throwIfAborted(options.signal)
    const entry = this.#topics.get(toTopic(topic).toHex())
    if (entry === undefined) return
    entry.joined = false
    this.#release(entry)
  }

  /** How many of this node's neighbours are in `topic`'s tree, eager and lazy (zeros if not joined). */
  topicPeers(topic: string | TopicId): TopicPeerCounts {
    const state = this.core.topics.get(toTopic(topic).toHex())
    return { eager: state?.eager.size ?? 0, lazy: state?.lazy.size ?? 0 }
  }

  /** Joined topics (by `join` or by a live subscription). */
  topics(): TopicId[] {
    return [...this.#topics.values()].map((e) => e.topic)
  }

  /** Binds a peer's public key (the one its transport handshake authenticated) for verifying its own messages. */
  learnKey(peer: PeerId, publicKey: Uint8Array): void {
    this.#command({ type: 'learn-key', peer, publicKey })
  }

  /** Joins `topic` at once and yields its verified messages until `unsubscribe()` or abort. */
  subscribe(topic: string | TopicId, options: AbortOptions = {}): Subscription {
    const entry = this.#entry(topic, options)
    const sub: Subscription = new Subscription(entry.topic, this.#subscriptionBuffer, () => {
      entry.subscriptions.delete(sub)
      this.#release(entry)
    }, () => { this.driverDrops.lagged++ })
    entry.subscriptions.add(sub)
    options.signal?.addEventListener('abort', () => sub.unsubscribe(), { once: true })
    return sub
  }

  /**
   * Runs `validator` on every verified message of `topic` before it is delivered or forwarded
   * (gossipsub's `topicValidators`). 'reject' drops it for good and penalises the neighbour it came
   * from; 'ignore', a throw or no verdict within `timeoutMs` drop it without penalty. Replaces an
   * earlier validator of the topic.
   */
  addValidator(topic: string | TopicId, validator: TopicValidator, options: ValidatorOptions = {}): void {
    const id = toTopic(topic)
    const timeoutMs = options.timeoutMs ?? this.core.config.validationTimeoutMs
    this.#validators.set(id, validator, timeoutMs)
    this.#command({ type: 'set-validator', topic: id, timeoutMs })
  }

  removeValidator(topic: string | TopicId): void {
    const id = toTopic(topic)
    if (this.#validators.delete(id)) this.#command({ type: 'remove-validator', topic: id })
  }

  /**
   * Signs and publishes `data` on `topic` (which must be joined). Resolves with 'sent', or
   * 'no-peers' when no topic neighbour is connected (the message then waits in the cache and
   * anti-entropy offers it to subscribers that appear later).
   */
  async publish(topic: string | TopicId, data: Uint8Array, options: AbortOptions = {}): Promise<PublishResult> {
    return this.#publish(topic, data, false, options)
  }

  /**
   * Sends `data` to this node's direct neighbours in `topic`'s tree only (iroh-gossip's
   * `broadcast_neighbors`): signed, delivered with hop 1, never forwarded, cached or repaired.
   */
  async broadcastNeighbors(topic: string | TopicId, data: Uint8Array, options: AbortOptions = {}): Promise<PublishResult> {
    return this.#publish(topic, data, true, options)
  }

  async #publish(topic: string | TopicId, data: Uint8Array, neighborsOnly: boolean, options: AbortOptions): Promise<PublishResult> {
    this.#assertStarted()
    throwIfAborted(options.signal)
    if (!(data instanceof Uint8Array)) throw new InvalidParametersError('data: expected a Uint8Array')
    if (data.length > LIMITS.maxPayloadBytes) {
      throw new InvalidParametersError(`data: ${data.length} bytes exceeds the ${LIMITS.maxPayloadBytes}-byte payload cap; use the bulk stream`)
    }
    const id = toTopic(topic)
    // Refused before anything is signed or queued: the caller learns now, not by a silent loss later.
    const lagMs = this.core.health.lagMs(this.#clock.now())
    if (this.#maxPublishLagMs > 0 && lagMs > this.#maxPublishLagMs) throw new PublishBackpressureError(lagMs, this.#maxPublishLagMs)
    if (this.#sequence !== undefined) {
      const file = await raceAbort(this.#sequence, options.signal)
      // No await between this check and build(): the number built is the number covered.
      while (!file.covers(this.#publisher.nextSeq)) await raceAbort(file.reserve(this.#publisher.nextSeq), options.signal)
      this.#assertStarted()
      // Past half a block the next one is written in the background (a no-op before that).
      file.reserve(this.#publisher.nextSeq).catch(() => { this.driverDrops['sequence-write']++ })
    }
    const wallMs = this.#clock.wallNow()
    this.#command({ type: 'wall-clock', wallMs })
    const message = this.#publisher.build(id, data, wallMs, { neighborsOnly })
    const requestId = ++this.#requestId
    // Called from an event listener the command waits in the queue: the result comes with its event.
    const result = new Promise<PublishResult>((resolve, reject) => this.#published.set(requestId, { resolve, reject }))
    this.#command({ type: 'publish', topic: id, message, requestId })
    return raceAbort(result, options.signal)
  }

  async #openSequence(path: string): Promise<SequenceFile> {
    const { SequenceFile: File } = await import('./sequence-file.ts')
    const { file, first } = await File.open(path, this.#publisher.nextSeq)
    this.#publisher.advanceTo(first)
    return file
  }

  #entry(topic: string | TopicId, options: AbortOptions): TopicEntry {
    this.#assertStarted()
    throwIfAborted(options.signal)
    const id = toTopic(topic)
    const key = id.toHex()
    let entry = this.#topics.get(key)
    if (entry === undefined) {
      entry = { topic: id, joined: false, subscriptions: new Set() }
      this.#topics.set(key, entry)
      this.#command({ type: 'join', topic: id })
    }
    return entry
  }

  #release(entry: TopicEntry): void {
    if (entry.joined || entry.subscriptions.size > 0 || this.#topics.get(entry.topic.toHex()) !== entry) return
    this.#topics.delete(entry.topic.toHex())
    this.#command({ type: 'leave', topic: entry.topic })
  }

  /** The driver's only registration with the transport. */
  #handleFrames(): void {
    this.#components.transport.handle(PUBSUB_PROTOCOL, (bytes, connection) => this.#onFrame(bytes, connection))
  }

  /** The driver's only write to the transport. */
  #send(to: PeerId, msg: PubSubMessage): void {
    const connection = this.#components.transport.connectionTo(to)
    if (connection === undefined) {
      this.driverDrops['no-connection']++
      return
    }
    // The core hands the same message object to every eager peer of a forward: encode it once.
    const bytes = this.#lastEncoded?.msg === msg ? this.#lastEncoded.bytes : encodePubSubMessage(msg)
    this.#lastEncoded = { msg, bytes }
    this.traffic.bytesSent += bytes.length
    this.traffic.framesSent++
    connection.send(PUBSUB_PROTOCOL, bytes).catch(() => { this.driverDrops['send-failed']++ })
  }

  #close(peer: PeerId): void {
    this.#components.transport.connectionTo(peer)?.close().catch(() => { this.driverDrops['send-failed']++ })
  }

  #onFrame(bytes: Uint8Array, connection: PubSubConnection): void {
    this.traffic.bytesReceived += bytes.length
    this.traffic.framesReceived++
    let msg
    try {
      msg = decodePubSubMessage(bytes)
    } catch (err) {
      if (err instanceof DecodeError) {
        this.driverDrops.decode++
        connection.reportInvalid?.()
        return
      }
      throw err
    }
    this.#runtime.input({ type: 'recv', from: connection.remotePeer, msg })
  }

  #command(command: PubSubCommand): void {
    this.#runtime.input({ type: 'command', command })
  }

  #emit(event: PubSubEvent): void {
    switch (event.type) {
      case 'message':
        for (const sub of this.#topics.get(event.delivery.topic.toHex())?.subscriptions ?? []) sub.push(event.delivery)
        this.#dispatch('message', event.delivery)
        return
      case 'published': {
        const pending = this.#published.get(event.requestId)
        this.#published.delete(event.requestId)
        pending?.resolve({ outcome: event.outcome, id: event.id, peers: event.peers })
        return
      }
      case 'validate': {
        const { validationId } = event
        this.#validators.run(event.request, (result) => this.#command({ type: 'validated', validationId, result }))
        return
      }
      case 'verify': return this.#verifyOffLoop(event)
      case 'graylisted': return this.#dispatch('peer:graylisted', { peer: event.peer, score: event.score })
      case 'topic-peer-up': return this.#dispatch('topic:peer-up', { topic: event.topic, peer: event.peer })
      case 'topic-peer-down': return this.#dispatch('topic:peer-down', { topic: event.topic, peer: event.peer })
    }
  }

  #verifyOffLoop(event: Extract<PubSubEvent, { type: 'verify' }>): void {
    const { verificationId, publicKey, headerBytes, signature, neighborsOnly } = event
    const answer = (valid: boolean): void => this.#command({ type: 'verified', verificationId, valid })
    const message = headerSigningInput(headerBytes, neighborsOnly)
    const inline = (): void => answer(this.#components.backend.verify(publicKey, message, signature))
    const verifier = this.#components.verifier
    if (verifier === undefined) return inline()
    // A verifier that fails (closed, crashed) leaves the check to this thread: never to the timeout.
    verifier.verify(publicKey, message, signature).then(answer, inline)
  }

  #dispatch<K extends keyof PubSubEvents>(type: K, detail: PubSubEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  #assertStarted(): void {
    if (!this.#runtime.running) throw new NotStartedError('PubSub is not started')
  }
}

function toTopic(topic: string | TopicId): TopicId {
  if (topic instanceof TopicId) return topic
  if (typeof topic !== 'string' || topic.length === 0) throw new InvalidParametersError('topic: expected a TopicId or a non-empty name')
  if (new TextEncoder().encode(topic).length > LIMITS.maxTopicNameBytes) {
    throw new InvalidParametersError(`topic: name longer than ${LIMITS.maxTopicNameBytes} bytes`)
  }
  return TopicId.fromName(topic)
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new InvalidParametersError(`${name}: expected a non-negative number of ms`)
  return value
}

function peerOf(event: Event): PeerId {
  const detail = (event as CustomEvent<PeerId | { peer: PeerId }>).detail
  return 'peer' in detail ? detail.peer : detail
}
