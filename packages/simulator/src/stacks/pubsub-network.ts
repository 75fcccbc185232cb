/**
 * A PubSub network in the simulator: N copies of the shipped stack (`@saorsa-gossip/node/stack`:
 * HyParView + SWIM membership under Plumtree, with the node's presets and cross-layer rules), or
 * Plumtree alone over a fixed random regular graph; cheap deterministic signatures by default
 * (BLAKE3 of key and header, counted per origin) or real ones, and the broadcast metrics of the
 * Plumtree paper (SRDS 2007, section 4): RMR = payload messages / deliveries - 1, LDH = hops of the
 * last delivery, missed = receivers that never delivered. Used by the pubsub simulations and benchmarks.
 */
import { encodeFoafMessage } from '@saorsa-gossip/coordinator'
import { encodeRendezvousMessage } from '@saorsa-gossip/rendezvous/wire'
import { docMessageBytes, GossipStack, STACK_PRESETS, type StackCommand, type StackConfig, type StackEvent, type StackMessage, type StackTimer } from '@saorsa-gossip/node/stack'
import { PubSubCore, type PubSubConfig, type PubSubEvent, type PublishMessage, type ValidationRequest, type ValidationResult } from '@saorsa-gossip/pubsub/proto'
import { Publisher, encodePubSubMessage } from '@saorsa-gossip/pubsub/wire'
import { MessageId, PeerId, bytesEqual, concatBytes, payloadHash, type Rng, type TopicId } from '@saorsa-gossip/types'
import { Simulator } from '../simulator.ts'
import { estimateHyParViewSize } from '../scenarios/hyparview-network.ts'
import { estimateSwimSize } from '../scenarios/membership-network.ts'
import { PlumtreeOnly } from './plumtree-only.ts'
import { kindLabel } from '../kinds.ts'

export type PubSubSim = Simulator<StackMessage, StackTimer, StackCommand, StackEvent>

export interface Signatures {
  sign(publicKey: Uint8Array, secret: unknown, headerBytes: Uint8Array): Uint8Array
  verify(publicKey: Uint8Array, headerBytes: Uint8Array, signature: Uint8Array): boolean
}

/** BLAKE3(publicKey || header): fails on any tampering exactly like a signature, at hash cost. */
export const FAKE_SIGNATURES: Signatures = {
  sign: (pk, _secret, header) => payloadHash(concatBytes(pk, header)),
  verify: (pk, header, sig) => bytesEqual(payloadHash(concatBytes(pk, header)), sig),
}

export interface PubSubNetworkInit {
  readonly seed: number | string
  readonly nodes: number
  /** 'shipped' (default): the node's stack forms the overlay; 'regular': Plumtree alone on a fixed random graph of `degree`. */
  readonly overlay?: 'shipped' | 'regular'
  readonly degree?: number
  /** The node preset the stack runs (default 'lan': links of 10-50 ms are LAN-like, not loopback). */
  readonly preset?: keyof typeof STACK_PRESETS
  /** Membership settings instead of the preset's. */
  readonly membership?: StackConfig['membership']
  /** Join contacts: 'earlier' (default) a random node that joined before; 'first' always node 0. */
  readonly joinVia?: 'earlier' | 'first'
  readonly pubsub?: Partial<PubSubConfig>
  readonly latencyMs?: readonly [number, number]
  readonly connectionTimeoutMs?: number
  /** Probability that any one message is lost in transit (default 0). */
  readonly lossRate?: number
  /** Count bytes with the real wire encodings (slower; for the benchmark). */
  readonly realSizes?: boolean
  /** Key pairs per node: default 32 random bytes as key with FAKE_SIGNATURES. */
  readonly keys?: (index: number) => { publicKey: Uint8Array; secret: unknown }
  readonly signatures?: Signatures
  /**
   * Topic validator run by every node for topics that have one (set with the core's 'set-validator'
   * command); its verdict goes back as the 'validated' command at the same virtual time.
   */
  readonly validate?: (node: PeerId, request: ValidationRequest) => ValidationResult
  /**
   * Signatures checked off the event loop, as the node does with its worker pool: every node holds
   * a message while its check is out ('verify' event, `verifyOffLoop`) and the
   * verdict comes back this many virtual ms later (uniform in the range: the pool's queue and one check).
   */
  readonly verifyDelayMs?: readonly [number, number]
}

/** Virtual ms one received message takes an overloaded node (`PubSubNetwork.overload`). */
export interface ProcessingCost {
  /** A payload the node has not delivered yet: decode, hash, signature check, delivery, forwarding. */
  readonly publishMs: number
  /** A payload copy it already has (dropped by id before any hash or signature work). */
  readonly duplicateMs: number
  /** Any other message (control, membership). */
  readonly otherMs: number
}

/** How often an overloaded node's driver samples its lag (the pubsub driver's default `lagSampleMs`). */
const LAG_SAMPLE_MS = 100

export interface RoundMetrics {
  readonly messages: number
  readonly receivers: number
  readonly deliveries: number
  readonly payloadMessages: number
  readonly rmr: number
  readonly ldh: number
  readonly missed: number
}

export class PubSubNetwork {
  readonly sim: PubSubSim
  readonly ids: PeerId[] = []
  readonly stacks = new Map<string, GossipStack | PlumtreeOnly>()
  /** Deliveries: message id hex -> node hex -> hop. */
  readonly deliveries = new Map<string, Map<string, number>>()
  /** Virtual delivery times: message id hex -> node hex -> ms. */
  readonly deliveredAt = new Map<string, Map<string, number>>()
  /** Deliveries of an id a node had already delivered (must stay 0). */
  duplicateDeliveries = 0
  /** Signature checks by `${verifier hex}:${origin hex}`. */
  readonly #verifications = new Map<string, number>()
  readonly events: Array<{ time: number; node: PeerId; event: PubSubEvent }> = []
  payloadMessages = 0
  readonly #keys = new Map<string, { publicKey: Uint8Array; secret: unknown }>()
  readonly #publishers = new Map<string, Publisher>()
  readonly #init: PubSubNetworkInit
  readonly #signatures: Signatures
  readonly #overloaded = new Set<string>()
  /** Each node's counted signature check. */
  #verifyRng: Rng | undefined
  readonly #verifiers = new Map<string, (pk: Uint8Array, header: Uint8Array, sig: Uint8Array) => boolean>()
  #lagSampling = false
  #requestId = 0

  constructor(init: PubSubNetworkInit) {
    this.#init = init
    this.#signatures = init.signatures ?? FAKE_SIGNATURES
    const realSizes = init.realSizes ?? false
    this.sim = new Simulator({
      seed: init.seed,
      latencyMs: init.latencyMs ?? [10, 50],
      connectionTimeoutMs: init.connectionTimeoutMs ?? 2_000,
      lossRate: init.lossRate ?? 0,
      kindOf: (m) => (m.layer === 'membership' ? kindLabel(kindLabel('m', m.msg.layer), m.msg.msg.type) : m.layer === 'crdt' ? kindLabel('crdt', m.msg.msg.type) : kindLabel('p', m.msg.type)),
      recordEvents: false,
      ...(realSizes ? { sizeOf: sizeOfStackMessage } : {}),
    })
    this.sim.on('send', (m) => {
      if (m.msg.layer === 'pubsub' && m.msg.msg.type === 'publish' && this.sim.isAlive(m.to)) this.payloadMessages++
    })
    this.sim.on('emit', (e) => {
      if (e.event.layer !== 'pubsub') return
      const event = e.event.event
      if (event.type === 'message') {
        const idHex = event.delivery.id.toHex()
        let seen = this.deliveries.get(idHex)
        if (seen === undefined) this.deliveries.set(idHex, (seen = new Map()))
        if (seen.has(e.node.toHex())) this.duplicateDeliveries++
        else {
          seen.set(e.node.toHex(), event.delivery.hop)
          let times = this.deliveredAt.get(idHex)
          if (times === undefined) this.deliveredAt.set(idHex, (times = new Map()))
          times.set(e.node.toHex(), e.time)
        }
      } else {
        this.events.push({ time: e.time, node: e.node, event })
        if (event.type === 'verify' && init.verifyDelayMs !== undefined) this.#verifyLater(e.node, event, init.verifyDelayMs)
        if (event.type === 'validate' && init.validate !== undefined) {
          const result = init.validate(e.node, event.request)
          this.sim.command(e.node, { layer: 'pubsub', command: { type: 'validated', validationId: event.validationId, result } })
        }
      }
    })
    const keyRng = this.sim.forkRng('keys')
    for (let i = 0; i < init.nodes; i++) {
      const pair = init.keys?.(i) ?? { publicKey: keyRng.fill(new Uint8Array(32)), secret: undefined }
      this.addNode(pair)
    }
    if ((init.overlay ?? 'shipped') === 'regular') this.#wireRegular(init.degree ?? 5)
    else this.#joinAll()
  }

  #verifyLater(node: PeerId, event: Extract<PubSubEvent, { type: 'verify' }>, [minMs, maxMs]: readonly [number, number]): void {
    this.#verifyRng ??= this.sim.forkRng('verify-delay')
    const delayMs = minMs + this.#verifyRng.nextFloat() * (maxMs - minMs)
    const stack = this.stacks.get(node.toHex())
    this.sim.at(this.sim.now + delayMs, () => {
      // A verdict for a node that died or restarted since would name another core's verification.
      if (!this.sim.isAlive(node) || this.stacks.get(node.toHex()) !== stack) return
      const valid = this.#verifiers.get(node.toHex())!(event.publicKey, event.headerBytes, event.signature)
      this.sim.command(node, { layer: 'pubsub', command: { type: 'verified', verificationId: event.verificationId, valid } })
    })
  }

  addNode(pair: { publicKey: Uint8Array; secret: unknown }): PeerId {
    const id = PeerId.fromPublicKey(pair.publicKey)
    this.#keys.set(id.toHex(), pair)
    this.ids.push(id)
    this.#publishers.set(id.toHex(), new Publisher(id, (h) => this.#signatures.sign(pair.publicKey, pair.secret, h)))
    this.sim.addNode(id, this.#makeStack(id))
    return id
  }

  /**
   * Makes `ids` overloaded nodes (the simulator's service-queue model): each received message waits
   * its turn and takes `cost` virtual ms. With `reportLag` (the default, as the pubsub driver's lag
   * sampler does) every `LAG_SAMPLE_MS` the node's core is told how long its queue makes input
   * wait, for the rest of the run; without it the core never learns that it runs late. `undefined`
   * cost ends the overload for new input (what is queued is still processed in order).
   */
  overload(ids: readonly PeerId[], cost: ProcessingCost | undefined, options: { reportLag?: boolean } = {}): void {
    for (const id of ids) {
      const hex = id.toHex()
      if (cost === undefined) {
        this.sim.overload(id, () => 0)
        continue
      }
      this.sim.overload(id, (input) => {
        if (input.type !== 'recv') return 0
        const m = input.msg
        if (m.layer !== 'pubsub') return cost.otherMs
        if (m.msg.type !== 'publish') return cost.otherMs
        const h = m.msg.header
        const seen = this.deliveries.get(MessageId.derive(h.origin, h.seq, h.payloadHash).toHex())?.has(hex) === true
        return seen ? cost.duplicateMs : cost.publishMs
      })
      if (options.reportLag ?? true) this.#overloaded.add(hex)
    }
    if (!this.#lagSampling && this.#overloaded.size > 0) {
      this.#lagSampling = true
      this.sim.at(this.sim.now + LAG_SAMPLE_MS, () => this.#sampleLag())
    }
  }

  #sampleLag(): void {
    for (const id of this.ids) {
      if (!this.#overloaded.has(id.toHex()) || !this.sim.isAlive(id)) continue
      const lagMs = this.sim.serviceQueue(id)?.waitMs ?? 0
      this.sim.command(id, { layer: 'pubsub', command: { type: 'local-lag', lagMs } })
    }
    this.sim.at(this.sim.now + LAG_SAMPLE_MS, () => this.#sampleLag())
  }

  /** Signature checks `verifier` ran on messages of `origin`. */
  verifications(verifier: PeerId, origin: PeerId): number {
    return this.#verifications.get(`${verifier.toHex()}:${origin.toHex()}`) ?? 0
  }

  stack(id: PeerId): GossipStack | PlumtreeOnly {
    return this.stacks.get(id.toHex())!
  }

  join(topic: TopicId, ids: readonly PeerId[] = this.ids): void {
    for (const id of ids) this.sim.command(id, { layer: 'pubsub', command: { type: 'join', topic } })
  }

  /** Publishes `payload` from `from` now; returns the message id hex. */
  publish(from: PeerId, topic: TopicId, payload: Uint8Array): string {
    const message = this.build(from, topic, payload)
    this.sim.command(from, { layer: 'pubsub', command: { type: 'publish', topic, message, requestId: ++this.#requestId } })
    const h = message.header
    return MessageId.derive(h.origin, h.seq, h.payloadHash).toHex()
  }

  build(from: PeerId, topic: TopicId, payload: Uint8Array, wallMs = this.sim.now): PublishMessage {
    return this.#publishers.get(from.toHex())!.build(topic, payload, wallMs)
  }

  /** Alive nodes other than the origin that have not delivered `idHex`. */
  missing(idHex: string, origin: PeerId, among: readonly PeerId[] = this.sim.aliveIds()): PeerId[] {
    const got = this.deliveries.get(idHex)
    return among.filter((id) => !id.equals(origin) && got?.has(id.toHex()) !== true)
  }

  /** Metrics over a set of messages, each expected at every alive node except its origin. */
  metrics(messages: ReadonlyArray<{ idHex: string; origin: PeerId }>, payloadMessages: number): RoundMetrics {
    let receivers = 0
    let deliveries = 0
    let missed = 0
    let ldh = 0
    const alive = this.sim.aliveIds()
    for (const m of messages) {
      receivers += alive.filter((id) => !id.equals(m.origin)).length
      const got = this.deliveries.get(m.idHex)
      deliveries += got?.size ?? 0
      missed += this.missing(m.idHex, m.origin, alive).length
      for (const hop of got?.values() ?? []) ldh = Math.max(ldh, hop)
    }
    return { messages: messages.length, receivers, deliveries, payloadMessages, rmr: payloadMessages / Math.max(1, deliveries) - 1, ldh, missed }
  }

  /** Publishes from each of `senders`, runs until all alive nodes delivered (or `timeoutMs`), returns metrics. */
  round(senders: readonly PeerId[], topic: TopicId, timeoutMs = 5_000): RoundMetrics {
    const { messages, before } = this.#startRound(senders, topic)
    this.sim.runUntil(() => this.#allDelivered(messages), { timeoutMs, checkEveryMs: 50 })
    // Let in-flight duplicates land so they are counted in this round, as iroh-gossip's sim does.
    this.sim.runFor(200)
    return this.metrics(messages, this.payloadMessages - before)
  }

  /** `round` that yields to the event loop while it runs (for test files and long scenarios). */
  async roundAsync(senders: readonly PeerId[], topic: TopicId, timeoutMs = 5_000): Promise<RoundMetrics> {
    const { messages, before } = this.#startRound(senders, topic)
    await this.sim.runUntilAsync(() => this.#allDelivered(messages), { timeoutMs, checkEveryMs: 50 })
    await this.sim.runForAsync(200)
    return this.metrics(messages, this.payloadMessages - before)
  }

  #startRound(senders: readonly PeerId[], topic: TopicId): { messages: Array<{ idHex: string; origin: PeerId }>; before: number } {
    const before = this.payloadMessages
    const messages = senders.map((s, i) => ({ idHex: this.publish(s, topic, new Uint8Array([i & 0xff, this.#requestId & 0xff])), origin: s }))
    return { messages, before }
  }

  #allDelivered(messages: ReadonlyArray<{ idHex: string; origin: PeerId }>): boolean {
    return messages.every((m) => this.missing(m.idHex, m.origin).length === 0)
  }

  #makeStack(id: PeerId): GossipStack | PlumtreeOnly {
    const pair = this.#keys.get(id.toHex())!
    const signatures = this.#signatures
    const counts = this.#verifications
    const originOf = new Map<Uint8Array, string>()
    const verify = (pk: Uint8Array, header: Uint8Array, sig: Uint8Array): boolean => {
      let hex = originOf.get(pk)
      if (hex === undefined) originOf.set(pk, (hex = `${id.toHex()}:${PeerId.fromPublicKey(pk).toHex()}`))
      counts.set(hex, (counts.get(hex) ?? 0) + 1)
      return signatures.verify(pk, header, sig)
    }
    this.#verifiers.set(id.toHex(), verify)
    const revealedKey = (peer: PeerId) => this.#keys.get(peer.toHex())?.publicKey
    const rng = this.sim.forkRng(`stack:${id.toHex()}:${this.sim.now}`)
    const preset = STACK_PRESETS[this.#init.preset ?? 'lan']
    const config: StackConfig = { membership: this.#init.membership ?? preset.membership, pubsub: { ...preset.pubsub, ...this.#init.pubsub } }
    const verifyOffLoop = this.#init.verifyDelayMs !== undefined
    const stack = (this.#init.overlay ?? 'shipped') === 'shipped'
      ? new GossipStack({ self: { id, publicKey: pair.publicKey }, verify, verifyOffLoop, rng, config, revealedKey })
      : new PlumtreeOnly(new PubSubCore({ self: id, publicKey: pair.publicKey, verify, verifyOffLoop, rng, config: config.pubsub }), revealedKey)
    this.stacks.set(id.toHex(), stack)
    return stack
  }

  /**
   * Node 0 starts the overlay; the others join over 2 s, each through a random node that joined
   * before it (as a bootstrap list or peer cache would give), in `joinVia: 'first'` mode all through node 0.
   */
  #joinAll(): void {
    const rng = this.sim.forkRng('join-schedule')
    const [first] = this.ids
    if (first === undefined) return
    this.sim.command(first, { layer: 'membership', command: { type: 'join', contacts: [] } })
    const viaFirst = this.#init.joinVia === 'first'
    this.ids.slice(1).forEach((id, i) => {
      const contact = viaFirst ? first : this.ids[rng.nextInt(i + 1)]!
      const at = Math.round(((i + 1) * 2_000) / this.ids.length)
      this.sim.at(at, () => this.sim.command(id, { layer: 'membership', command: { type: 'join', contacts: [{ id: contact, addrs: [] }] } }))
    })
  }

  /** A random graph where every node has `degree` neighbours where possible (configuration model, retried). */
  #wireRegular(degree: number): void {
    const rng = this.sim.forkRng('graph')
    const n = this.ids.length
    const adj = Array.from({ length: n }, () => new Set<number>())
    for (let i = 0; i < n; i++) {
      for (let tries = 0; adj[i]!.size < degree && tries < 50 * degree; tries++) {
        const j = rng.nextInt(n)
        if (j === i || adj[i]!.has(j) || adj[j]!.size >= degree) continue
        adj[i]!.add(j)
        adj[j]!.add(i)
      }
    }
    adj.forEach((peers, i) => {
      for (const j of peers) this.sim.input(this.ids[i]!, { type: 'peer-up', peer: this.ids[j]! })
    })
  }
}

/**
 * Encoded sizes by message object: the core sends one object to each eager peer of a broadcast, and
 * encoding it once instead of once per copy gives the same count.
 */
const pubsubSizes = new WeakMap<object, number>()

/** Wire bytes of a message of the shipped stack (estimates for membership, real encodings otherwise). */
export function sizeOfStackMessage(m: StackMessage): number {
  if (m.layer === 'pubsub') {
    let size = pubsubSizes.get(m.msg)
    if (size === undefined) pubsubSizes.set(m.msg, (size = encodePubSubMessage(m.msg).length))
    return size
  }
  if (m.layer === 'rendezvous') return encodeRendezvousMessage(m.msg).length
  if (m.layer === 'coordinator') return encodeFoafMessage(m.msg).length
  if (m.layer === 'crdt') return docMessageBytes(m.msg)
  return m.msg.layer === 'hyparview' ? estimateHyParViewSize(m.msg.msg) : estimateSwimSize(m.msg.msg)
}
