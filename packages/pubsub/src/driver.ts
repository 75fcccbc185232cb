/**
 * The PubSub driver (ARCHITECTURE.md section 2): connects the sans-IO core to a Transport's 'pubsub'
 * stream class and to membership neighbour events. One input queue (the core is never re-entered),
 * one timer heap with a single armed timeout, typed events, async-iterable subscriptions, and
 * publish results that say whether anyone subscribed was reachable.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import {
  AbortError, DecodeError, InvalidParametersError, LIMITS, NotStartedError, TopicId, cryptoRng, systemClock, throwIfAborted,
  type Clock, type MessageId, type PeerId, type Rng,
} from '@saorsa-gossip/types'
import { decodePubSubMessage, encodePubSubMessage } from './codec.ts'
import type { PubSubConfig } from './proto/config.ts'
import type { Delivery, PubSubCommand, PubSubEvent, PubSubTimer, PublishOutcome } from './proto/messages.ts'
import { PubSubCore, type PubSubInput, type PubSubOutput } from './proto/pubsub.ts'
import { Publisher } from './publisher.ts'
import { signHeaderWith, verifyHeaderWith } from './signatures.ts'
import { Subscription } from './subscription.ts'

/** The slice of a Transport connection the driver uses. */
export interface PubSubConnection {
  readonly remotePeer: PeerId
  readonly remotePublicKey: Uint8Array
  send(streamClass: 'pubsub', message: Uint8Array): Promise<void>
  close(): Promise<void>
}

/** The slice of @saorsa-gossip/transport's Transport the driver uses. */
export interface PubSubTransport extends EventTarget {
  handle(streamClass: 'pubsub', handler: (message: Uint8Array, connection: PubSubConnection) => void): void
  connectionTo(peer: PeerId): PubSubConnection | undefined
}

/** Membership as a source of neighbour events: detail is the PeerId or `{ peer }`. */
export interface NeighborSource {
  addEventListener(type: 'peer:up' | 'peer:down', listener: (event: Event) => void): void
  removeEventListener(type: 'peer:up' | 'peer:down', listener: (event: Event) => void): void
}

export interface PubSubInit {
  readonly transport: PubSubTransport
  readonly identity: Identity
  /** ML-DSA-65 backend for verification; default: the identity package's noble backend. */
  readonly backend: SignatureBackend
  readonly membership?: NeighborSource
  readonly config?: Partial<PubSubConfig>
  readonly clock?: Clock
  readonly rng?: Rng
  /** Messages buffered per subscription before the oldest are dropped (counted as `lagged`). Default 1,024. */
  readonly subscriptionBuffer?: number
}

export interface PublishResult {
  readonly outcome: PublishOutcome
  readonly id: MessageId | undefined
  /** Topic neighbours the message or its IHAVE went to. */
  readonly peers: number
}

export interface PubSubEvents {
  'message': CustomEvent<Delivery>
  'peer:graylisted': CustomEvent<{ peer: PeerId; score: number }>
  'topic:peer-up': CustomEvent<{ topic: TopicId; peer: PeerId }>
  'topic:peer-down': CustomEvent<{ topic: TopicId; peer: PeerId }>
}

interface ScheduledTimer { readonly atMs: number; readonly seq: number; readonly timer: PubSubTimer }

export class PubSubDriver extends EventTarget {
  readonly core: PubSubCore
  /** Frames dropped by the driver, by reason (decode errors, sends without a connection, failed sends). */
  readonly driverDrops = { decode: 0, 'no-connection': 0, 'send-failed': 0, lagged: 0 }
  readonly #init: PubSubInit
  readonly #clock: Clock
  readonly #publisher: Publisher
  readonly #queue: PubSubInput[] = []
  readonly #timers: ScheduledTimer[] = []
  readonly #subscriptions = new Map<string, Set<Subscription>>()
  readonly #published = new Map<number, PublishResult>()
  readonly #onUp = (e: Event) => this.neighborUp(peerOf(e))
  readonly #onDown = (e: Event) => this.neighborDown(peerOf(e))
  readonly #onOpen = (e: Event) => {
    const { connection } = (e as CustomEvent<{ connection: PubSubConnection }>).detail
    this.#command({ type: 'learn-key', peer: connection.remotePeer, publicKey: connection.remotePublicKey })
  }
  #armed: ReturnType<typeof setTimeout> | undefined
  #armedAt = Infinity
  #timerSeq = 0
  #requestId = 0
  #draining = false
  #started = false

  constructor(init: PubSubInit) {
    super()
    this.#init = init
    this.#clock = init.clock ?? systemClock
    const { identity } = init
    this.core = new PubSubCore({
      self: identity.peerId, publicKey: identity.publicKey, verify: verifyHeaderWith(init.backend),
      rng: init.rng ?? cryptoRng(), config: init.config ?? {},
    })
    // Sequence numbers start from the wall clock so a restarted node never reuses one.
    this.#publisher = new Publisher(identity.peerId, signHeaderWith(identity), Math.floor(this.#clock.wallNow()) * 1024)
  }

  start(): void {
    if (this.#started) return
    this.#started = true
    this.#init.transport.handle('pubsub', (bytes, connection) => this.#onFrame(bytes, connection))
    this.#init.transport.addEventListener('connection:open', this.#onOpen)
    this.#init.membership?.addEventListener('peer:up', this.#onUp)
    this.#init.membership?.addEventListener('peer:down', this.#onDown)
    this.#command({ type: 'wall-clock', wallMs: this.#clock.wallNow() })
  }

  stop(): void {
    if (!this.#started) return
    this.#started = false
    this.#init.transport.removeEventListener('connection:open', this.#onOpen)
    this.#init.membership?.removeEventListener('peer:up', this.#onUp)
    this.#init.membership?.removeEventListener('peer:down', this.#onDown)
    if (this.#armed !== undefined) clearTimeout(this.#armed)
    this.#armed = undefined
    this.#armedAt = Infinity
    for (const subs of this.#subscriptions.values()) for (const s of subs) s.end()
    this.#subscriptions.clear()
  }

  neighborUp(peer: PeerId): void {
    const connection = this.#init.transport.connectionTo(peer)
    if (connection !== undefined) this.#command({ type: 'learn-key', peer, publicKey: connection.remotePublicKey })
    this.#input({ type: 'peer-up', peer })
  }

  neighborDown(peer: PeerId): void {
    this.#input({ type: 'peer-down', peer })
  }

  /** Binds a peer's public key (the one its transport handshake authenticated) for verifying its own messages. */
  learnKey(peer: PeerId, publicKey: Uint8Array): void {
    this.#command({ type: 'learn-key', peer, publicKey })
  }

  /** Joins `topic` at once and yields its verified messages until `unsubscribe()` or abort. */
  subscribe(topic: string | TopicId, options: { signal?: AbortSignal } = {}): Subscription {
    this.#assertStarted()
    throwIfAborted(options.signal)
    const id = toTopic(topic)
    const key = id.toHex()
    let subs = this.#subscriptions.get(key)
    if (subs === undefined) this.#subscriptions.set(key, (subs = new Set()))
    const sub = new Subscription(id, this.#init.subscriptionBuffer ?? 1_024, () => this.#unsubscribe(key, sub), () => this.driverDrops.lagged++)
    subs.add(sub)
    options.signal?.addEventListener('abort', () => sub.unsubscribe(), { once: true })
    this.#command({ type: 'join', topic: id })
    return sub
  }

  /**
   * Signs and publishes `data` on `topic` (which must be subscribed). Resolves with 'sent', or
   * 'no-peers' when no subscribed neighbour is connected (the message then waits in the cache and
   * anti-entropy offers it to subscribers that appear later).
   */
  async publish(topic: string | TopicId, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<PublishResult> {
    this.#assertStarted()
    throwIfAborted(options.signal)
    if (!(data instanceof Uint8Array)) throw new InvalidParametersError('data: expected a Uint8Array')
    if (data.length > LIMITS.maxPayloadBytes) {
      throw new InvalidParametersError(`data: ${data.length} bytes exceeds the ${LIMITS.maxPayloadBytes}-byte payload cap; use the bulk stream`)
    }
    const id = toTopic(topic)
    const wallMs = this.#clock.wallNow()
    this.#command({ type: 'wall-clock', wallMs })
    const message = this.#publisher.build(id, data, wallMs)
    const requestId = ++this.#requestId
    this.#command({ type: 'publish', topic: id, message, requestId })
    const result = this.#published.get(requestId)
    this.#published.delete(requestId)
    if (options.signal?.aborted === true) throw new AbortError()
    return result ?? { outcome: 'not-subscribed', id: undefined, peers: 0 }
  }

  #unsubscribe(key: string, sub: Subscription): void {
    const subs = this.#subscriptions.get(key)
    if (subs === undefined || !subs.delete(sub)) return
    if (subs.size === 0) {
      this.#subscriptions.delete(key)
      if (this.#started) this.#command({ type: 'leave', topic: sub.topic })
    }
  }

  #onFrame(bytes: Uint8Array, connection: PubSubConnection): void {
    let msg
    try {
      msg = decodePubSubMessage(bytes)
    } catch (err) {
      if (err instanceof DecodeError) {
        this.driverDrops.decode++
        return
      }
      throw err
    }
    this.#input({ type: 'recv', from: connection.remotePeer, msg })
  }

  #command(command: PubSubCommand): void {
    this.#input({ type: 'command', command })
  }

  /** Queues an input; inputs produced while the core runs wait their turn. */
  #input(input: PubSubInput): void {
    this.#queue.push(input)
    if (this.#draining) return
    this.#draining = true
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        const out: PubSubOutput[] = []
        this.core.handle(next, this.#clock.now(), out)
        for (const o of out) this.#apply(o)
      }
    } finally {
      this.#draining = false
    }
  }

  #apply(o: PubSubOutput): void {
    switch (o.type) {
      case 'send': {
        const connection = this.#init.transport.connectionTo(o.to)
        if (connection === undefined) {
          this.driverDrops['no-connection']++
          return
        }
        connection.send('pubsub', encodePubSubMessage(o.msg)).catch(() => { this.driverDrops['send-failed']++ })
        return
      }
      case 'schedule': return this.#schedule(o.delayMs, o.timer)
      case 'disconnect':
        this.#init.transport.connectionTo(o.peer)?.close().catch(() => { this.driverDrops['send-failed']++ })
        return
      case 'emit': return this.#emit(o.event)
    }
  }

  #emit(event: PubSubEvent): void {
    switch (event.type) {
      case 'message':
        for (const sub of this.#subscriptions.get(event.delivery.topic.toHex()) ?? []) sub.push(event.delivery)
        this.dispatchEvent(new CustomEvent('message', { detail: event.delivery }))
        return
      case 'published':
        this.#published.set(event.requestId, { outcome: event.outcome, id: event.id, peers: event.peers })
        return
      case 'graylisted':
        this.dispatchEvent(new CustomEvent('peer:graylisted', { detail: { peer: event.peer, score: event.score } }))
        return
      case 'topic-peer-up':
        this.dispatchEvent(new CustomEvent('topic:peer-up', { detail: { topic: event.topic, peer: event.peer } }))
        return
      case 'topic-peer-down':
        this.dispatchEvent(new CustomEvent('topic:peer-down', { detail: { topic: event.topic, peer: event.peer } }))
    }
  }

  #schedule(delayMs: number, timer: PubSubTimer): void {
    const atMs = this.#clock.now() + Math.max(0, delayMs)
    const entry = { atMs, seq: this.#timerSeq++, timer }
    // Sorted insert: the heap stays small (a handful of timer kinds plus graft timers).
    let i = this.#timers.length
    while (i > 0 && (this.#timers[i - 1]!.atMs > atMs)) i--
    this.#timers.splice(i, 0, entry)
    this.#arm()
  }

  #arm(): void {
    const first = this.#timers[0]
    if (first === undefined || !this.#started) return
    if (this.#armed !== undefined && this.#armedAt <= first.atMs) return
    if (this.#armed !== undefined) clearTimeout(this.#armed)
    this.#armedAt = first.atMs
    this.#armed = setTimeout(() => this.#fire(), Math.max(0, first.atMs - this.#clock.now()))
    const handle = this.#armed as { unref?: () => void }
    handle.unref?.()
  }

  #fire(): void {
    // A timer that fired is due even if an injected clock lags the platform timer.
    const now = Math.max(this.#clock.now(), this.#armedAt)
    this.#armed = undefined
    this.#armedAt = Infinity
    const due: ScheduledTimer[] = []
    while (this.#timers.length > 0 && this.#timers[0]!.atMs <= now) due.push(this.#timers.shift()!)
    if (due.length > 0) this.#command({ type: 'wall-clock', wallMs: this.#clock.wallNow() })
    for (const entry of due) this.#input({ type: 'timer', timer: entry.timer })
    this.#arm()
  }

  #assertStarted(): void {
    if (!this.#started) throw new NotStartedError('PubSub is not started')
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

function peerOf(event: Event): PeerId {
  const detail = (event as CustomEvent<PeerId | { peer: PeerId }>).detail
  return 'peer' in detail ? detail.peer : detail
}
