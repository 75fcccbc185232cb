/**
 * `createNode(init)`: the only composition root (docs/architecture.md section 1). Builds identity,
 * transport (TCP by default), membership (HyParView + SWIM) and pubsub (Plumtree) and ties them to
 * the peer cache and a pino logger. Shutdown leaves the overlay cleanly (DISCONNECT), saves the
 * peer cache, closes connections and ends every subscription and pending call. The upper layers
 * start and stop in upper-layers.ts; the public types are in node-api.ts.
 */
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createTcpCarrier, createTransport, PeerMismatchError, type Transport } from '@saorsa-gossip/transport'
import { InvalidParametersError, NotStartedError, PeerId, TopicId, throwIfAborted, type AbortOptions } from '@saorsa-gossip/types'
import type { JoinResult, NetworkStats, NodeEvents, PublishResult, SaorsaNode, SaorsaNodeInit } from './node-api.ts'
import { PeerCache } from './config/peer-cache.ts'
import { ensureHome, homeLayout } from './config/paths.ts'
import { JoinFailedError } from './errors.ts'
import { componentLogger, createRootLogger, type Logger } from './logger.ts'
import { createLayers, type Layers } from './layers.ts'
import { DirectMessaging, type DirectApi } from './direct.ts'
import type { NodeStatus, PeerInfo, TopicTree } from './status.ts'
import { Subscription, receivedMessage } from './subscription.ts'
import type { AsyncVerifier, Delivery } from '@saorsa-gossip/pubsub'
import type { Rendezvous } from '@saorsa-gossip/rendezvous'
import { providedShardTopics } from './rendezvous.ts'
import type { Groups } from '@saorsa-gossip/groups'
import { ADDRESS_BOOK_TOPIC, COORDINATOR_TOPIC, type Coordinator } from '@saorsa-gossip/coordinator'
import { CACHED_COORDINATOR_CONTACTS } from './coordinator.ts'
import type { Presence } from '@saorsa-gossip/presence'
import { announcedAddrs, natCarrier, startNodeNat, validateNatOptions } from './nat.ts'
import type { NatTraversal } from '@saorsa-gossip/transport'
import type { CrdtSync } from '@saorsa-gossip/crdt-sync'
import { startUpperLayers, stopUpperLayers, type UpperLayers } from './upper-layers.ts'
import { sharedVerifyPool } from './verify-pool.ts'

export type { AbortOptions, JoinResult, NetworkStats, NodeEvents, PublishResult, SaorsaNode, SaorsaNodeInit } from './node-api.ts'

/** How often a changed peer cache is written (bounded disk writes under churn). */
const PEER_CACHE_SAVE_INTERVAL_MS = 5000
/** How long a first publish on a topic waits for a SUBSCRIBE reply: one round trip, with room for WAN paths and a busy peer. */
const TOPIC_JOIN_WAIT_MS = 1000
/** How many cached peers `join` tries before the bootstrap list. */
const CACHED_CONTACTS = 16

class Node extends EventTarget implements SaorsaNode {
  readonly identity: Identity
  readonly peerId: PeerId
  readonly #init: SaorsaNodeInit
  readonly #log: Logger
  #state: NodeStatus['state'] = 'stopped'
  #startedAt = 0
  #transport: Transport | undefined
  #layers: Layers | undefined
  readonly #upper: UpperLayers = {}
  #nat: NatTraversal | undefined
  #peerCache: PeerCache | undefined
  #saveTimer: NodeJS.Timeout | undefined
  /** Names of the topics this node joined, by topic id hex (pubsub keeps the topics and their readers). */
  readonly #topicNames = new Map<string, string>()
  #published = 0
  #handshakes = 0
  readonly #closedBytes = { sent: 0, received: 0 }
  #delivered = 0
  /** Aborted by `stop()` so a join in progress ends instead of outliving the node. */
  #lifetime = new AbortController()
  readonly #direct = new DirectMessaging((peer) => this.#knownAddrs(peer))

  constructor(init: SaorsaNodeInit) {
    super()
    validateNatOptions(init.nat)
    validateVerifier(init.verifier)
    this.#init = init
    this.identity = init.identity ?? Identity.generate()
    this.peerId = this.identity.peerId
    this.#log = createRootLogger({
      ...(init.logger === undefined ? {} : { logger: init.logger }),
      ...(init.logLevel === undefined ? {} : { level: init.logLevel }),
    }).child({ node: this.peerId.toShortString() })
  }

  override addEventListener<K extends keyof NodeEvents>(type: K, listener: (event: NodeEvents[K]) => void, options?: { once?: boolean; signal?: AbortSignal }): void
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void
  override addEventListener(...args: unknown[]): void {
    super.addEventListener(...(args as Parameters<EventTarget['addEventListener']>))
  }

  override removeEventListener<K extends keyof NodeEvents>(type: K, listener: (event: NodeEvents[K]) => void): void
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void
  override removeEventListener(...args: unknown[]): void {
    super.removeEventListener(...(args as Parameters<EventTarget['removeEventListener']>))
  }

  async start(options: AbortOptions = {}): Promise<void> {
    if (this.#state !== 'stopped') throw new InvalidParametersError(`node is ${this.#state}`)
    this.#state = 'starting'
    // Loaded here, not at import: ts-mls would slow every CLI command that never starts a node.
    const groupsModule = import('./groups.ts')
    groupsModule.catch(() => {})
    try {
      throwIfAborted(options.signal)
      const backend = this.#init.backend ?? (await loadMlDsa65Backend(options.signal === undefined ? {} : { signal: options.signal }))
      if (this.#init.home !== undefined) {
        const layout = homeLayout(this.#init.home)
        await ensureHome(layout)
        const cacheLog = componentLogger(this.#log, 'peer-cache')
        this.#peerCache = await PeerCache.load(layout.peerCacheFile, { onProblem: (p) => cacheLog.warn({ problem: p.message }, 'peer cache unreadable; starting empty') })
      }
      const circuit = natCarrier()
      const transport = createTransport({ identity: this.identity, carriers: [...(this.#init.carriers ?? [createTcpCarrier()]), circuit], backend })
      this.#transport = transport
      transport.addEventListener('connection:open', () => { this.#handshakes++ })
      transport.addEventListener('connection:close', (e) => {
        const closed = e.detail.connection.stats()
        this.#closedBytes.sent += closed.bytesSent
        this.#closedBytes.received += closed.bytesReceived
      })
      this.#direct.attach(transport)
      for (const addr of this.#init.listen ?? ['tcp://127.0.0.1:0']) await transport.listen(addr, options)
      this.#nat = await startNodeNat(this.#init.nat, { transport, identity: this.identity, circuit, backend }, options)
      const nat = this.#nat
      const announced = (): string[] => [...(this.#init.announce ?? announcedAddrs(nat, transport))]
      const verifier = verifierOf(this.#init.verifier)
      this.#layers = createLayers({
        transport, identity: this.identity, backend, ...(verifier === undefined ? {} : { verifier }), preset: this.#init.preset ?? 'lan', logger: this.#log,
        announce: announced(),
        ...(this.#init.home === undefined ? {} : { sequenceFile: homeLayout(this.#init.home).publishSequenceFile }),
        onNeighbor: (peer, up, addrs) => this.#onNeighbor(peer, up, addrs),
        onTopicPeer: (topic, peer, up) => this.#onTopicPeer(topic, peer, up),
      })
      this.#layers.pubsub.addEventListener('message', (e) => this.#onMessage(e.detail))
      await this.#layers.start()
      await startUpperLayers(this.#upper, {
        init: this.#init, identity: this.identity, backend, transport, layers: this.#layers, direct: this.#direct, nat, announced,
        overlay: this, lifetime: this.#lifetime.signal, groupsModule,
      }, options)
      this.#startedAt = Date.now()
      this.#state = 'running'
      componentLogger(this.#log, 'node').info({ addrs: transport.listenAddrs() }, 'started')
    } catch (err) {
      this.#state = 'running'
      await this.stop().catch(() => {})
      throw err
    }
  }

  get rendezvous(): Rendezvous {
    this.#running()
    return this.#upper.rendezvous!
  }

  get groups(): Groups {
    this.#running()
    return this.#upper.groups!.groups
  }

  get coordinator(): Coordinator {
    this.#running()
    return this.#upper.coordinator!
  }

  get presence(): Presence {
    this.#running()
    return this.#upper.presence!.layer
  }

  get nat(): NatTraversal {
    this.#running()
    return this.#nat!
  }

  get crdt(): CrdtSync {
    this.#running()
    return this.#upper.crdt!
  }

  #running(): Layers {
    if (this.#state !== 'running' || this.#layers === undefined) throw new NotStartedError('node is not running')
    return this.#layers
  }

  async join(bootstrap: string[] = this.#init.bootstrap ?? [], options: AbortOptions = {}): Promise<JoinResult> {
    const layers = this.#running()
    // Cached peers first (reliability anchor 16: history beats a possibly compromised bootstrap).
    const cached = (this.#peerCache?.candidates(CACHED_CONTACTS) ?? []).map((e) => ({ peerId: e.peerId, addrs: e.addrs }))
    // Then coordinators from verified adverts (coordinators.cbor), still before a configured list.
    const coordinators = (this.#upper.coordinator?.coordinators({ limit: CACHED_COORDINATOR_CONTACTS }) ?? [])
      .filter((e) => !cached.some((c) => c.peerId.equals(e.advert.peerId)))
      .map((e) => ({ peerId: e.advert.peerId, addrs: [...e.advert.addresses] }))
    const fromBootstrap = bootstrap.map((addr) => ({ addrs: [addr] }))
    const contacted = cached.length + coordinators.length + fromBootstrap.length
    if (contacted === 0) throw new JoinFailedError('nothing to join: no bootstrap addresses, an empty peer cache and no cached coordinator')
    componentLogger(this.#log, 'node').info({ cached: cached.length, coordinators: coordinators.length, bootstrap: bootstrap.length }, 'joining')
    const signal = options.signal === undefined ? this.#lifetime.signal : AbortSignal.any([options.signal, this.#lifetime.signal])
    const activePeers = await layers.join([cached, coordinators, fromBootstrap], {
      signal,
      onGroupFailed: (group) => {
        for (const c of group) {
          if (c.peerId === undefined) continue
          this.#peerCache?.recordFailure(c.peerId)
          if (group === coordinators) this.#upper.coordinator?.recordDial(c.peerId, false)
        }
        this.#scheduleSave()
      },
    })
    throwIfAborted(signal)
    if (activePeers === 0) throw new JoinFailedError(`no peer answered among ${contacted} contact(s) yet; redialling them in the background`)
    // No cached coordinator yet: ask the new neighbours' friends (FOAF) rather than wait for the next advert.
    this.#upper.coordinator?.findCoordinator({ signal }).catch(() => {})
    // Persist the peers that just worked at once, so a crash right after joining can still rejoin.
    await this.#peerCache?.save(Date.now()).catch((err: unknown) => componentLogger(this.#log, 'peer-cache').warn({ err }, 'peer cache save failed'))
    return { contacted, activePeers }
  }

  subscribe(topic: string, options: AbortOptions = {}): Subscription {
    const layers = this.#running()
    throwIfAborted(options.signal)
    const topicId = TopicId.fromName(topic)
    this.#name(topicId, topic)
    return new Subscription(topic, layers.pubsub.subscribe(topicId, options))
  }

  async publish(topic: string, payload: Uint8Array, options: AbortOptions = {}): Promise<PublishResult> {
    const layers = this.#running()
    const topicId = TopicId.fromName(topic)
    // Publishing joins the topic (without a local reader) so the tree and repair work for it.
    if (!layers.pubsub.topics().some((t) => t.equals(topicId))) {
      this.#name(topicId, topic)
      layers.joinTopic(topicId)
      // A fresh join knows no topic neighbour until its SUBSCRIBE replies return: publishing at once
      // would go only to the cache (sentTo 0) although subscribers are one round trip away.
      if (this.status().activePeers > 0) await this.#firstTopicPeer(topic, options.signal)
    }
    const result = await layers.publish(topicId, payload, options)
    if (result.id === undefined) throw new InvalidParametersError(`publish to '${topic}' failed: ${result.outcome}`)
    this.#published++
    return { id: result.id, sentTo: result.sentTo }
  }

  /** Resolves on the first `topic:peer-up` of `topic`, or after TOPIC_JOIN_WAIT_MS when no neighbour subscribes. */
  #firstTopicPeer(topic: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        this.removeEventListener('topic:peer-up', onPeer)
        signal?.removeEventListener('abort', onAbort)
      }
      const onPeer = (e: CustomEvent<{ topic: string }>) => {
        if (e.detail.topic !== topic) return
        done()
        resolve()
      }
      const onAbort = () => {
        done()
        try {
          throwIfAborted(signal)
        } catch (err) {
          reject(err)
        }
      }
      const timer = setTimeout(() => { done(); resolve() }, TOPIC_JOIN_WAIT_MS)
      timer.unref?.()
      this.addEventListener('topic:peer-up', onPeer)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  topics(): string[] {
    // The coordinator's topics and the shards of provided targets are plumbing, not topics the application joined.
    const shards = providedShardTopics(this.#upper.rendezvous)
    const joined = (this.#layers?.pubsub.topics() ?? []).filter((t) => !t.equals(COORDINATOR_TOPIC) && !t.equals(ADDRESS_BOOK_TOPIC) && (this.#topicNames.has(t.toHex()) || !shards.has(t.toHex())))
    return joined.map((t) => this.#topicNames.get(t.toHex()) ?? t.toHex()).sort()
  }

  async connect(addr: string, options: AbortOptions & { expectedPeer?: PeerId } = {}): Promise<{ peerId: PeerId; rttMs: number }> {
    this.#running()
    const transport = this.#transport!
    const expected = options.expectedPeer
    const known = expected !== undefined && transport.connectionTo(expected) !== undefined
    // Already connected: the transport would hand back that connection, which proves nothing about
    // `addr`; dial it anyway and check who answered.
    const connection = await transport.dial(addr, known ? { ...(options.signal === undefined ? {} : { signal: options.signal }) } : options)
    if (expected !== undefined && !connection.remotePeer.equals(expected)) {
      void connection.close()
      throw new PeerMismatchError(`connect: ${addr} answered as ${connection.remotePeer.toShortString()}, not ${expected.toShortString()}`)
    }
    try {
      return { peerId: connection.remotePeer, rttMs: await connection.ping(options) }
    } catch (err) {
      // The handshake at `addr` already proved the peer. A second connection to a peer we were
      // connected to may be closed at once by the per-peer connection cap: time the round trip on
      // the connection that stays.
      const existing = known ? transport.connectionTo(expected) : undefined
      if (existing === undefined || existing === connection) throw err
      return { peerId: connection.remotePeer, rttMs: await existing.ping(options) }
    } finally {
      if (known) void connection.close()
    }
  }

  topicTrees(): TopicTree[] {
    const pubsub = this.#layers?.pubsub
    if (pubsub === undefined) return []
    return pubsub.topics().filter((t) => !t.equals(COORDINATOR_TOPIC) && !t.equals(ADDRESS_BOOK_TOPIC)).map((t) => ({
      topic: this.#topicNames.get(t.toHex()) ?? t.toHex(),
      eager: pubsub.core.eagerPeers(t).map((p) => p.toHex()).sort(),
      lazy: pubsub.core.lazyPeers(t).map((p) => p.toHex()).sort(),
    })).sort((x, y) => (x.topic < y.topic ? -1 : 1))
  }

  /** Remembers a topic's name; names of topics no longer joined are forgotten so the table stays bounded. */
  #name(topicId: TopicId, topic: string): void {
    const joined = new Set((this.#layers?.pubsub.topics() ?? []).map((t) => t.toHex()))
    for (const key of this.#topicNames.keys()) if (!joined.has(key)) this.#topicNames.delete(key)
    this.#topicNames.set(topicId.toHex(), topic)
  }

  #onMessage(delivery: Delivery): void {
    const topic = this.#topicNames.get(delivery.topic.toHex())
    if (topic === undefined) return
    this.#delivered++
    this.dispatchEvent(new CustomEvent('message', { detail: receivedMessage(topic, delivery) }))
  }

  #onTopicPeer(topicId: TopicId, peerId: PeerId, up: boolean): void {
    const topic = this.#topicNames.get(topicId.toHex())
    if (topic === undefined) return
    this.dispatchEvent(new CustomEvent(up ? 'topic:peer-up' : 'topic:peer-down', { detail: { topic, peerId } }))
  }

  #onNeighbor(peerId: PeerId, up: boolean, announced: readonly string[]): void {
    if (up) {
      const addrs = announced.length > 0 ? [...announced] : (this.#layers?.addrsOf(peerId) ?? [])
      if (addrs.length > 0) this.#peerCache?.recordSuccess(peerId, addrs, Date.now())
      this.#upper.coordinator?.recordDial(peerId, true)
      this.#scheduleSave()
    }
    this.dispatchEvent(new CustomEvent(up ? 'peer:up' : 'peer:down', { detail: { peerId } }))
  }

  #scheduleSave(): void {
    if (this.#peerCache === undefined || this.#saveTimer !== undefined) return
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined
      this.#peerCache?.save(Date.now()).catch((err: unknown) => componentLogger(this.#log, 'peer-cache').warn({ err }, 'peer cache save failed'))
    }, PEER_CACHE_SAVE_INTERVAL_MS)
    this.#saveTimer.unref()
  }

  handle: DirectApi['handle'] = (protocol, handler) => this.#direct.handle(protocol, handler)
  handleStream: DirectApi['handleStream'] = (protocol, handler) => this.#direct.handleStream(protocol, handler)
  unhandle: DirectApi['unhandle'] = (protocol) => this.#direct.unhandle(protocol)
  request: DirectApi['request'] = (peer, protocol, message, options) => this.#direct.request(peer, protocol, message, options)
  send: DirectApi['send'] = (peer, protocol, message, options) => this.#direct.send(peer, protocol, message, options)
  openStream: DirectApi['openStream'] = (peer, protocol, options) => this.#direct.openStream(peer, protocol, options)

  /** Where to dial a peer for a direct message: its announced addresses, the peer cache, then its signed advert or address record. */
  #knownAddrs(peer: PeerId): string[] {
    const cached = this.#peerCache?.candidates().find((e) => e.peerId.equals(peer))?.addrs ?? []
    const advertised = this.#upper.coordinator?.addressesOf(peer) ?? []
    return [...new Set([...(this.#layers?.addrsOf(peer) ?? []), ...cached, ...advertised])]
  }

  peers(): PeerInfo[] {
    return this.#layers?.peers() ?? []
  }

  listenAddrs(): string[] {
    return this.#transport?.listenAddrs() ?? []
  }

  status(): NodeStatus {
    const views = this.#layers?.viewSizes() ?? { active: 0, passive: 0 }
    const counters = this.#layers?.counters() ?? { duplicates: 0, signatureChecks: 0, dropped: {} }
    return {
      peerId: this.peerId.toHex(), state: this.#state, listenAddrs: this.listenAddrs(),
      activePeers: views.active, passivePeers: views.passive, connections: this.#transport?.connections().length ?? 0,
      topics: this.topics(), uptimeMs: this.#state === 'running' ? Date.now() - this.#startedAt : 0,
      published: this.#published, delivered: this.#delivered, ...counters,
      ...(this.#nat === undefined ? {} : { nat: this.#nat.status() }),
    }
  }

  networkStats(): NetworkStats {
    const transport = this.#transport
    let bytesSent = this.#closedBytes.sent
    let bytesReceived = this.#closedBytes.received
    for (const c of transport?.connections() ?? []) {
      const s = c.stats()
      bytesSent += s.bytesSent
      bytesReceived += s.bytesReceived
    }
    const t = transport?.stats()
    return {
      connections: t?.connections ?? 0, handshakes: this.#handshakes, failedHandshakes: t?.failedHandshakes ?? 0,
      refusedPipes: t?.refusedPipes ?? 0, drops: { ...(t?.drops ?? {}) }, bytesSent, bytesReceived, traffic: t?.traffic ?? [],
    }
  }

  async stop(options: AbortOptions = {}): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return
    this.#state = 'stopping'
    this.#lifetime.abort()
    const log = componentLogger(this.#log, 'node')
    try {
      await stopUpperLayers(this.#upper, log, options)
      // Leave first so neighbours learn we are gone on purpose (HyParView DISCONNECT), not by timeout.
      await this.#layers?.stop(options).catch((err: unknown) => log.warn({ err }, 'leaving the overlay failed'))
      if (this.#saveTimer !== undefined) clearTimeout(this.#saveTimer)
      this.#saveTimer = undefined
      await this.#peerCache?.save(Date.now()).catch((err: unknown) => log.warn({ err }, 'peer cache save failed'))
      this.#nat?.stop()
      await this.#transport?.close(options)
    } finally {
      this.#layers = undefined
      this.#nat = undefined
      this.#transport = undefined
      this.#direct.detach()
      this.#topicNames.clear()
      this.#state = 'stopped'
      this.#lifetime = new AbortController()
      log.info('stopped')
      this.dispatchEvent(new CustomEvent('stop'))
    }
  }
}

/** Builds a node; call `start()`, then `join()`. */
export function createNode(init: SaorsaNodeInit = {}): SaorsaNode {
  return new Node(init)
}

function validateVerifier(choice: SaorsaNodeInit['verifier']): void {
  if (choice === undefined || choice === 'inline' || choice === 'pool') return
  if (typeof (choice as { verify?: unknown } | null)?.verify !== 'function') {
    throw new InvalidParametersError("verifier: expected 'inline', 'pool' or an object with verify()")
  }
}

/** The pool is created at the first start that asks for it, not at construction. */
function verifierOf(choice: SaorsaNodeInit['verifier']): AsyncVerifier | undefined {
  if (choice === undefined || choice === 'inline') return undefined
  return choice === 'pool' ? sharedVerifyPool() : choice
}
