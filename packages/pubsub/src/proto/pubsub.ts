/**
 * The PubSub core: Plumtree epidemic broadcast trees per topic (Leitao, Pereira, Rodrigues, SRDS
 * 2007, sections 3.2-3.4, with iroh-gossip's graft timers and tree optimisation), origin-signed
 * messages checked in cost order (graylist, rate limit, dedupe, age/seq/length, payload hash,
 * signature, topic validator; `inbound.ts`), peer scoring, key fetching, IBLT anti-entropy, and
 * neighbour broadcasts that are never forwarded. Sans-IO: `handle(input, nowMs, out)`.
 */
import { shuffled, pick } from '@saorsa-gossip/types'
import type { MessageId, PeerId, ProtocolCore, Rng, TopicId } from '@saorsa-gossip/types'
import { idOf } from './admission.ts'
import { digestTimeMs } from './anti-entropy.ts'
import { Inbound } from './inbound.ts'
import { TimedMap } from './caches.ts'
import { resolveConfig, type PubSubConfig } from './config.ts'
import { KeyBook } from './keys.ts'
import { LocalHealth } from './local-health.ts'
import { MAX_HOP } from './messages.ts'
import type {
  DropReason, PubSubCommand, PubSubEvent, PubSubInput, PubSubMessage, PubSubOutbox, SubscribeMessage, PubSubTimer, PublishMessage,
} from './messages.ts'
import { Peers, type PeerState } from './peers.ts'
import { Repair, type RepairCounters } from './repair.ts'
import { ReplayWindows } from './replay-window.ts'
import { TopicState } from './topic.ts'
import { Validations } from './validation.ts'
import { Verifications } from './verification.ts'

export type { PubSubInput, PubSubOutbox, PubSubOutput } from './messages.ts'

/**
 * Checks an origin signature: true iff `signature` is the origin's ML-DSA-65 signature over
 * `signingInput(DOMAIN.pubsubMessage, headerBytes)` under `publicKey` (`DOMAIN.pubsubNeighbor` when
 * `neighborsOnly`, so a neighbour broadcast can never pass as a tree message). Must not throw.
 */
export type VerifyHeader = (publicKey: Uint8Array, headerBytes: Uint8Array, signature: Uint8Array, neighborsOnly: boolean) => boolean

export interface PubSubCoreInit {
  readonly self: PeerId
  readonly publicKey: Uint8Array
  readonly verify: VerifyHeader
  readonly rng: Rng
  readonly config?: Partial<PubSubConfig>
  /**
   * Offer signature checks to the driver ('verify' events, answered by 'verified' commands) instead
   * of calling `verify`, up to `maxPendingVerifications` at once. Default false: checks run inline.
   */
  readonly verifyOffLoop?: boolean
}

export class PubSubCore implements ProtocolCore<PubSubMessage, PubSubTimer, PubSubCommand, PubSubEvent> {
  readonly self: PeerId
  readonly config: PubSubConfig
  readonly drops: Record<DropReason, number> = {
    'graylisted': 0, 'rate-limited': 0, 'not-subscribed': 0, 'duplicate': 0, 'expired': 0, 'future': 0, 'replayed': 0,
    'length-mismatch': 0, 'payload-hash-mismatch': 0, 'bad-signature': 0, 'unknown-key': 0, 'unsolicited-key': 0,
    'too-many-pending': 0, 'not-from-origin': 0, 'validation-rejected': 0, 'validation-ignored': 0,
    'validation-timeout': 0, 'validation-overloaded': 0,
  }
  /** Signature checks performed, inline or by the driver (the dominant CPU cost). */
  verifications = 0
  readonly topics = new Map<string, TopicState>()
  readonly neighbors = new Map<string, PeerId>()
  readonly peers: Peers
  readonly keys: KeyBook
  readonly #verify: VerifyHeader
  readonly #rng: Rng
  readonly #seen: TimedMap<true>
  readonly #origins: ReplayWindows
  /** Ids requested through anti-entropy IWANT: their arrival does not make the sender eager. */
  readonly #fetching: TimedMap<string>
  readonly #repair: Repair
  readonly #validations: Validations
  readonly #verifications: Verifications
  readonly #inbound: Inbound
  /** How late the driver reports its event loop runs (Lifeguard's local health, `local-health.ts`). */
  readonly health: LocalHealth
  #wallOffsetMs = 0
  #antiEntropyArmed = false

  constructor(init: PubSubCoreInit) {
    this.self = init.self
    this.config = resolveConfig(init.config)
    this.#verify = init.verify
    this.#rng = init.rng
    const c = this.config
    this.#seen = new TimedMap(c.seenMs, c.seenSize)
    this.#origins = new ReplayWindows(c.seqWindow, c.keyCacheSize)
    this.#fetching = new TimedMap(10_000, c.maxMissing)
    this.keys = new KeyBook({ capacity: c.keyCacheSize, maxPending: c.maxPendingMessages, maxPerOrigin: c.maxPendingPerOrigin, attach: c.originKeys === 'per-link' })
    if (!this.keys.learn(init.self, init.publicKey)) throw new RangeError('PubSubCore: publicKey does not hash to self')
    this.peers = new Peers(c)
    this.#validations = new Validations(c.maxPendingValidations)
    this.#verifications = new Verifications(init.verifyOffLoop === true ? c.maxPendingVerifications : 0)
    this.health = new LocalHealth(c)
    this.#repair = new Repair({
      topic: (topicHex) => this.topics.get(topicHex),
      joinedTopics: () => this.topics.values(),
      isNeighbor: (peerHex) => this.neighbors.has(peerHex),
      peer: (id, nowMs) => this.peers.get(id, nowMs),
      canBeEager: (peer, nowMs) => this.peers.canBeEager(peer, nowMs),
      isGraylisted: (peer, nowMs) => this.peers.isGraylisted(peer, nowMs),
      // A message parked for its origin's key, or out for a signature check, is as good as seen:
      // its key or verdict, not another copy, is missing.
      hasSeen: (idHex, nowMs) => this.#seen.has(idHex, nowMs) || this.keys.isParked(idHex) || this.#verifications.isHeld(idHex),
      isFetching: (idHex, nowMs) => this.#fetching.has(idHex, nowMs),
      markFetching: (idHex, fromHex, nowMs) => this.#fetching.set(idHex, fromHex, nowMs),
      drop: (reason) => this.#drop(reason),
      penalize: (peer, counter, nowMs, out) => this.peers.penalize(peer, counter, nowMs, this.topics.values(), out),
      withKeyFor: (peerHex, msg) => this.keys.attachFor(peerHex, msg, this.self),
      keyHeldBy: (peerHex, origin) => this.keys.heldBy(peerHex, origin),
      randomTopicPeer: (state) => pick(this.#rng, shuffled(this.#rng, state.peers())),
      wallNow: (nowMs) => this.wallNow(nowMs),
    }, c, this.health)
    this.#inbound = new Inbound({
      config: c, topics: this.topics, neighbors: this.neighbors, peers: this.peers, keys: this.keys, repair: this.#repair,
      validations: this.#validations, verifications: this.#verifications, seen: this.#seen, origins: this.#origins, fetching: this.#fetching,
      verify: (publicKey, headerBytes, signature, neighborsOnly) => {
        this.verifications++
        return this.#verify(publicKey, headerBytes, signature, neighborsOnly)
      },
      wallNow: (nowMs) => this.wallNow(nowMs),
      drop: (reason) => this.#drop(reason),
      forward: (state, id, msg, hop, holders, out) => this.#forward(state, id, msg, hop, holders, out),
    })
  }

  /** Grafts, IWANT ids, and graft timers that waited (widened by lag, or for the repair budget). */
  get repairCounters(): Readonly<RepairCounters> {
    return this.#repair.counters
  }

  /** How long a missing message's first IHAVE now waits for the eager copy before a GRAFT. */
  firstGraftWaitMs(nowMs: number): number {
    return this.#repair.firstGraftWaitMs(nowMs)
  }

  handle(input: PubSubInput, nowMs: number, out: PubSubOutbox): void {
    switch (input.type) {
      case 'peer-up': return this.#onPeerUp(input.peer, out)
      case 'peer-down': return this.#onPeerDown(input.peer, out)
      case 'command': return this.#onCommand(input.command, nowMs, out)
      case 'timer': return this.#onTimer(input.timer, nowMs, out)
      case 'recv': return this.#onRecv(input.from, input.msg, nowMs, out)
    }
  }

  /** Our wall clock (Unix ms) as set by the driver's `wall-clock` command. */
  wallNow(nowMs: number): number {
    return nowMs + this.#wallOffsetMs
  }

  #drop(reason: DropReason): void {
    this.drops[reason]++
  }

  /** Eager peers of a topic (for tests and the simulator). */
  eagerPeers(topic: TopicId): PeerId[] {
    return [...(this.topics.get(topic.toHex())?.eager.values() ?? [])]
  }

  lazyPeers(topic: TopicId): PeerId[] {
    return [...(this.topics.get(topic.toHex())?.lazy.values() ?? [])]
  }

  #onPeerUp(peer: PeerId, out: PubSubOutbox): void {
    const key = peer.toHex()
    if (this.neighbors.has(key) || peer.equals(this.self)) return
    this.neighbors.set(key, peer)
    const topics = [...this.topics.values()].map((t) => t.topic)
    if (topics.length > 0) out.push({ type: 'send', to: peer, msg: this.#subscribe(peer, topics, true) })
  }

  /** A `sub` for `topics`, listing the origins of those topics whose keys we hold (SPEC 7.1). */
  #subscribe(to: PeerId, topics: readonly TopicId[], reply: boolean): SubscribeMessage {
    const heldKeys = this.keys.heldPrefixes(topics.map((t) => t.toHex()), to.toHex())
    return { type: 'subscribe', topics, reply, ...(heldKeys === undefined ? {} : { heldKeys }) }
  }

  #onPeerDown(peer: PeerId, out: PubSubOutbox): void {
    const key = peer.toHex()
    if (!this.neighbors.delete(key)) return
    for (const state of this.topics.values()) {
      if (state.remove(key)) out.push({ type: 'emit', event: { type: 'topic-peer-down', topic: state.topic, peer } })
    }
    this.#repair.forgetPeer(key)
  }

  #onCommand(command: PubSubCommand, nowMs: number, out: PubSubOutbox): void {
    switch (command.type) {
      case 'wall-clock':
        this.#wallOffsetMs = command.wallMs - nowMs
        return
      case 'learn-key':
        this.keys.learn(command.peer, command.publicKey)
        return
      case 'local-lag':
        this.health.report(command.lagMs, nowMs)
        return
      case 'join': {
        const key = command.topic.toHex()
        if (this.topics.has(key) || this.topics.size >= this.config.maxTopics) return
        this.topics.set(key, new TopicState(command.topic, this.config.messageCacheMs, this.config.messageCacheSize))
        for (const peer of this.neighbors.values()) {
          out.push({ type: 'send', to: peer, msg: this.#subscribe(peer, [command.topic], true) })
        }
        if (!this.#antiEntropyArmed) {
          this.#antiEntropyArmed = true
          // A random first delay spreads the rounds of nodes that start together.
          out.push({ type: 'schedule', delayMs: this.#rng.nextInt(this.config.antiEntropyIntervalMs) + 1, timer: { type: 'anti-entropy' } })
        }
        return
      }
      case 'leave': {
        if (!this.topics.delete(command.topic.toHex())) return
        for (const peer of this.neighbors.values()) {
          out.push({ type: 'send', to: peer, msg: { type: 'unsubscribe', topics: [command.topic] } })
        }
        return
      }
      case 'publish':
        if (command.message.neighborsOnly === true) return this.#broadcastNeighbors(command.topic, command.message, command.requestId, nowMs, out)
        return this.#publish(command.topic, command.message, command.requestId, nowMs, out)
      case 'set-validator': return this.#validations.set(command.topic.toHex(), command.timeoutMs)
      case 'remove-validator': return this.#validations.remove(command.topic.toHex())
      case 'validated': return this.#inbound.onVerdict(this.#validations.take(command.validationId), command.result, nowMs, out)
      case 'verified': {
        const held = this.#verifications.take(command.verificationId)
        if (held !== undefined) this.verifications++
        return this.#inbound.onVerified(held, command.valid, nowMs, out)
      }
    }
  }

  #publish(topic: TopicId, message: PublishMessage, requestId: number, nowMs: number, out: PubSubOutbox): void {
    const state = this.topics.get(topic.toHex())
    if (state === undefined || !message.header.topic.equals(topic)) {
      out.push({ type: 'emit', event: { type: 'published', requestId, topic, outcome: 'not-subscribed', peers: 0 } })
      return
    }
    const { header } = message
    const id = idOf(header)
    const idHex = id.toHex()
    this.#seen.set(idHex, true, nowMs)
    this.#origins.mark(header.origin.toHex(), header.seq)
    state.cache.set(idHex, { id, message, hop: 0, from: undefined, digestMs: digestTimeMs(header.timestampMs, this.wallNow(nowMs)) }, nowMs)
    const peers = this.#forward(state, id, message, 0, [], out)
    // With no topic neighbour the message still waits in the cache: anti-entropy offers it to
    // subscribers that appear within messageCacheMs.
    out.push({ type: 'emit', event: { type: 'published', requestId, topic, outcome: peers > 0 ? 'sent' : 'no-peers', id, peers } })
  }

  /** Direct topic neighbours only; not cached, so neither repair nor anti-entropy ever offers it. */
  #broadcastNeighbors(topic: TopicId, message: PublishMessage, requestId: number, nowMs: number, out: PubSubOutbox): void {
    const state = this.topics.get(topic.toHex())
    if (state === undefined || !message.header.topic.equals(topic)) {
      out.push({ type: 'emit', event: { type: 'published', requestId, topic, outcome: 'not-subscribed', peers: 0 } })
      return
    }
    const { header } = message
    const id = idOf(header)
    this.#seen.set(id.toHex(), true, nowMs)
    this.#origins.mark(header.origin.toHex(), header.seq)
    const peers = state.peers()
    for (const peer of peers) out.push({ type: 'send', to: peer, msg: { ...message, hop: 1 } })
    out.push({ type: 'emit', event: { type: 'published', requestId, topic, outcome: peers.length > 0 ? 'sent' : 'no-peers', id, peers: peers.length } })
  }

  #onTimer(timer: PubSubTimer, nowMs: number, out: PubSubOutbox): void {
    switch (timer.type) {
      case 'validation-timeout':
        if (this.#validations.take(timer.validationId) !== undefined) this.#drop('validation-timeout')
        return
      case 'verification-timeout': return this.#inbound.onVerified(this.#verifications.take(timer.verificationId), undefined, nowMs, out)
      case 'graft': return this.#repair.onGraftTimer(timer.id, timer.attempt, nowMs, out)
      case 'promise': return this.#repair.onPromiseTimer(timer.id, timer.peer, nowMs, out)
      case 'ihave-flush': return this.#repair.flushIHave(out)
      case 'anti-entropy': {
        this.#repair.antiEntropyRound(nowMs, out)
        const base = this.config.antiEntropyIntervalMs
        // Jitter of +-25 % keeps neighbours from synchronising their rounds.
        const delayMs = Math.round(base * 0.75 + this.#rng.nextFloat() * base * 0.5)
        out.push({ type: 'schedule', delayMs, timer: { type: 'anti-entropy' } })
        return
      }
      case 'key-timeout': {
        const dropped = this.keys.expire(timer.origin, timer.generation)
        this.drops['unknown-key'] += dropped
        return
      }
    }
  }

  #onRecv(from: PeerId, msg: PubSubMessage, nowMs: number, out: PubSubOutbox): void {
    const peer = this.peers.get(from, nowMs)
    if (this.peers.isGraylisted(peer, nowMs)) {
      // Traffic from a graylisted peer is dropped unread, and keeps counting against it.
      this.#drop('graylisted')
      return this.peers.penalize(peer, 'stray', nowMs, this.topics.values(), out)
    }
    if (!this.#admitRate(peer, msg, nowMs)) {
      this.#drop('rate-limited')
      // While we run late, a burst is our queue releasing the peer's traffic at once: no penalty.
      if (this.health.overloaded(nowMs)) return
      return this.peers.penalize(peer, 'rateLimited', nowMs, this.topics.values(), out)
    }
    switch (msg.type) {
      case 'publish': return this.#inbound.onPublish(peer, msg, nowMs, out)
      case 'subscribe':
        if (msg.heldKeys !== undefined && this.neighbors.has(from.toHex())) this.keys.heldByPrefixes(from.toHex(), msg.heldKeys)
        return this.#onSubscribe(from, msg.topics, msg.reply, nowMs, out)
      case 'unsubscribe':
        for (const topic of msg.topics) this.topics.get(topic.toHex())?.remove(from.toHex())
        return
      case 'key-request': {
        const keys = msg.origins.map((o) => this.keys.get(o)).filter((k): k is Uint8Array => k !== undefined)
        if (keys.length > 0) out.push({ type: 'send', to: from, msg: { type: 'key-response', keys } })
        return
      }
      case 'key-response':
        for (const key of msg.keys) {
          const released = this.keys.accept(key)
          if (released === undefined) {
            this.#drop('unsolicited-key')
            this.peers.penalize(peer, 'stray', nowMs, this.topics.values(), out)
          } else {
            for (const parked of released) this.#inbound.afterKey(parked, nowMs, out)
          }
        }
        return
      default: return this.#repair.onControl(peer, msg, nowMs, out)
    }
  }

  /**
   * Token buckets come before any hashing or signature work. Payloads we asked this peer for
   * (GRAFT or anti-entropy IWANT) bypass the publish bucket: we chose their number, and a heal
   * after a partition fetches far more than the steady-state rate. Local lag widens the burst: what
   * waited in our queue arrived over the lag, not in the instant we read it.
   */
  #admitRate(peer: PeerState, msg: PubSubMessage, nowMs: number): boolean {
    const slackMs = this.health.lagMs(nowMs)
    if (msg.type !== 'publish') return peer.controlBucket.take(nowMs, slackMs)
    const { header } = msg
    const idHex = idOf(header).toHex()
    if (this.#fetching.get(idHex, nowMs) === peer.key || this.#repair.isRequestedFrom(idHex, peer.key)) return true
    return peer.publishBucket.take(nowMs, slackMs)
  }

  #onSubscribe(from: PeerId, topics: readonly TopicId[], reply: boolean, nowMs: number, out: PubSubOutbox): void {
    const key = from.toHex()
    if (!this.neighbors.has(key)) return
    const ours: TopicId[] = []
    for (const topic of topics) {
      const state = this.topics.get(topic.toHex())
      if (state === undefined) continue
      ours.push(topic)
      if (!state.has(key)) {
        // Only the first few links of a topic start eager (Plumtree's initial fanout); the rest
        // start lazy, so the first message does not flood every link before pruning trims it.
        if (state.eager.size < this.config.initialEagerPeers) state.addEager(from)
        else state.addLazy(from)
        out.push({ type: 'emit', event: { type: 'topic-peer-up', topic, peer: from } })
        // A new topic link reconciles at once: late joiners and nodes re-attached after failures
        // catch up without waiting for the periodic round. The answering side starts it, with a
        // digest of its whole cache: two nodes already in sync spend 93 bytes, not a sketch.
        if (reply) this.#repair.offerDigest(state, from, 'whole', nowMs, out)
      }
    }
    if (reply && ours.length > 0) out.push({ type: 'send', to: from, msg: this.#subscribe(from, ours, false) })
  }

  /** Eager push to the tree, lazy IHAVE to the rest, none to `holders`; returns how many peers were told. */
  #forward(state: TopicState, id: MessageId, msg: PublishMessage, hop: number, holders: readonly string[], out: PubSubOutbox): number {
    let told = 0
    // A key that came with the message is not passed on by default: each link gets an origin's key
    // once (`KeyBook.attachFor`), or the whole tree would carry it on every first copy.
    const { originKey: _carried, ...bare } = msg
    const next: PublishMessage = { ...bare, hop: hop + 1 }
    for (const [key, peer] of state.eager) {
      if (holders.includes(key) || next.hop > MAX_HOP) continue
      out.push({ type: 'send', to: peer, msg: this.keys.attachFor(key, next, this.self) })
      told++
    }
    for (const [key, peer] of state.lazy) {
      if (holders.includes(key)) continue
      this.#repair.queueIHave(peer, state.topic, id, hop, out)
      told++
    }
    return told
  }
}
