/**
 * The shipped stack as one sans-IO core (docs/architecture.md, the composition): the composite
 * membership core (HyParView, DSN 2007, watched by SWIM with Lifeguard) under the PubSub core
 * (Plumtree, SRDS 2007), joined by the cross-layer rules below. The simulator runs this core and
 * `layers.ts` wires the node's services with the same rule functions, so the two cannot drift.
 *
 * Adding a layer (coordinator, rendezvous, presence, crdt-sync): add its tag to the unions
 * (`StackMessage`, `StackTimer`, `StackCommand`, `StackEvent`, `Routed`), a child built in the
 * constructor, a `#run<Layer>` that lifts its outputs and one `case` in `#route`; write each
 * cross-layer rule as an exported function beside the ones below, call it from the event hook of
 * the layer it listens to, and call the same function from `layers.ts`.
 */
import {
  HYPARVIEW_LAN, HYPARVIEW_LOCAL, HYPARVIEW_WAN, MembershipCore, SWIM_LAN, SWIM_LOCAL, SWIM_WAN,
  type HyParViewConfig, type MembershipCommand, type MembershipEvent, type MembershipMessage, type MembershipOutput,
  type MembershipTimer, type SwimConfig,
} from '@saorsa-gossip/membership/proto'
import {
  PUBSUB_LAN, PUBSUB_LOCAL, PUBSUB_WAN, PubSubCore, type PubSubCommand, type PubSubConfig, type PubSubEvent, type PubSubMessage, type PubSubOutput,
  type PubSubTimer, type VerifyHeader,
} from '@saorsa-gossip/pubsub/proto'
import { Publisher } from '@saorsa-gossip/pubsub/wire'
import {
  DEFAULT_RENDEZVOUS_CONFIG, RendezvousCore, shardTopicName, type RendezvousCommand, type RendezvousConfig, type RendezvousEvent,
  type RendezvousOutput, type RendezvousTimer, type VerifySummary,
} from '@saorsa-gossip/rendezvous/proto'
import type { RendezvousMessage } from '@saorsa-gossip/rendezvous/wire'
import {
  COORDINATOR_LAN, CoordinatorCore, type CoordinatorCommand, type CoordinatorConfig, type CoordinatorEvent, type CoordinatorOutput,
  type CoordinatorTimer, type FoafMessage, type NatClass, type Role, type Signer, type VerifyFn,
} from '@saorsa-gossip/coordinator/proto'
import { TopicId, type CoreInput, type CoreOutput, type Outbox, type PeerId, type ProtocolCore, type Rng } from '@saorsa-gossip/types'
import { onRendezvousEvent, onShardValidationRequest, type ShardTopicSide, type ShardValidatorSide } from './rendezvous-rules.ts'
import {
  joinCoordinatorTopics, onCoordinatorEvent, onCoordinatorNeighbor, onCoordinatorValidationRequest, type CoordinatorSide, type CoordinatorTopicSide,
} from './coordinator-rules.ts'
import { DocsCore, type DocMessage, type DocsCommand, type DocsEvent, type DocTimer, type SyncConfig } from '@saorsa-gossip/crdt-sync/proto'
import { decodeSyncFrame } from '@saorsa-gossip/crdt-sync/wire'
export { docMessageBytes } from './crdt-rules.ts'
import { docTopicVerdict, onCrdtCommand, onCrdtEvent, onDocTopicMessage, onDocTopicPeer, type DocCoreSide, type DocTopicSide } from './crdt-rules.ts'

export type StackMessage =
  | { readonly layer: 'membership'; readonly msg: MembershipMessage }
  | { readonly layer: 'pubsub'; readonly msg: PubSubMessage }
  | { readonly layer: 'rendezvous'; readonly msg: RendezvousMessage }
  | { readonly layer: 'coordinator'; readonly msg: FoafMessage }
  | { readonly layer: 'crdt'; readonly msg: DocMessage }
export type StackTimer =
  | { readonly layer: 'membership'; readonly timer: MembershipTimer }
  | { readonly layer: 'pubsub'; readonly timer: PubSubTimer }
  | { readonly layer: 'rendezvous'; readonly timer: RendezvousTimer }
  | { readonly layer: 'coordinator'; readonly timer: CoordinatorTimer }
  | { readonly layer: 'crdt'; readonly timer: DocTimer }
export type StackCommand =
  | { readonly layer: 'membership'; readonly command: MembershipCommand }
  | { readonly layer: 'pubsub'; readonly command: PubSubCommand }
  | { readonly layer: 'rendezvous'; readonly command: RendezvousCommand }
  | { readonly layer: 'coordinator'; readonly command: CoordinatorCommand }
  | { readonly layer: 'crdt'; readonly command: DocsCommand }
export type StackEvent =
  | { readonly layer: 'membership'; readonly event: MembershipEvent }
  | { readonly layer: 'pubsub'; readonly event: PubSubEvent }
  | { readonly layer: 'rendezvous'; readonly event: RendezvousEvent }
  | { readonly layer: 'coordinator'; readonly event: CoordinatorEvent }
  | { readonly layer: 'crdt'; readonly event: DocsEvent }
export type StackInput = CoreInput<StackMessage, StackTimer, StackCommand>
export type StackOutput = CoreOutput<StackMessage, StackTimer, StackEvent>

export interface StackConfig {
  readonly membership: { readonly hyparview: HyParViewConfig; readonly swim: SwimConfig }
  readonly pubsub: Partial<PubSubConfig>
}

/**
 * The node's `preset` names. The numbers and their reasons live in each layer's proto presets
 * (membership's HyParView and SWIM presets, pubsub's PUBSUB_LAN / WAN / LOCAL).
 */
export const STACK_PRESETS: Readonly<Record<'local' | 'lan' | 'wan', StackConfig>> = Object.freeze({
  local: Object.freeze({ membership: Object.freeze({ hyparview: HYPARVIEW_LOCAL, swim: SWIM_LOCAL }), pubsub: PUBSUB_LOCAL }),
  lan: Object.freeze({ membership: Object.freeze({ hyparview: HYPARVIEW_LAN, swim: SWIM_LAN }), pubsub: PUBSUB_LAN }),
  wan: Object.freeze({ membership: Object.freeze({ hyparview: HYPARVIEW_WAN, swim: SWIM_WAN }), pubsub: PUBSUB_WAN }),
})

/** What the pubsub side of a composition accepts: the core's inputs here, the driver's methods in the node. */
export interface PubSubSide {
  learnKey(peer: PeerId, publicKey: Uint8Array): void
  peerUp(peer: PeerId): void
  peerDown(peer: PeerId): void
}

/** What the membership side accepts: losing a peer as if its connection had closed. */
export interface MembershipSide {
  dropPeer(peer: PeerId): void
}

/**
 * A neighbour came up. Its key first: a neighbour's own messages never carry its key (pubsub
 * attaches keys of third-party origins only), so the handshake is the one place pubsub learns it.
 */
export function onNeighborUp(pubsub: PubSubSide, peer: PeerId, revealedKey: Uint8Array | undefined): void {
  if (revealedKey !== undefined) pubsub.learnKey(peer, revealedKey)
  pubsub.peerUp(peer)
}

/** A neighbour left the active view: pubsub stops pushing to it and repairs its trees. */
export function onNeighborDown(pubsub: PubSubSide, peer: PeerId): void {
  pubsub.peerDown(peer)
}

/**
 * Scoring asked to drop a peer: membership handles it as a lost connection and promotes a
 * replacement. In the node the pubsub driver closes the connection, and the membership service
 * turns that close into this same `peer-down`.
 */
export function onPubSubDisconnect(membership: MembershipSide, peer: PeerId): void {
  membership.dropPeer(peer)
}

export interface GossipStackInit {
  readonly self: { readonly id: PeerId; readonly publicKey: Uint8Array; readonly addrs?: readonly string[] }
  readonly verify: VerifyHeader
  /** Pubsub signature checks go out as 'verify' events (`PubSubCoreInit.verifyOffLoop`); default inline. */
  readonly verifyOffLoop?: boolean
  /** Seeds both children (each draws from it in its own order). */
  readonly rng: Rng
  readonly config?: StackConfig
  /** The public key the transport handshake authenticated for a connected peer. */
  readonly revealedKey: (peer: PeerId) => Uint8Array | undefined
  /** The rendezvous layer (SPEC.md section 11); absent, the stack has none. */
  readonly rendezvous?: StackRendezvousInit
  /** crdt-sync (SPEC.md section 12): documents opened by `crdt` commands; absent, the stack has none. */
  readonly crdt?: StackCrdtInit
  /** The coordinator layer (SPEC.md section 9); absent, the stack has none. */
  readonly coordinator?: StackCoordinatorInit
}

export interface StackCoordinatorInit {
  /** Default COORDINATOR_LAN. */
  readonly config?: CoordinatorConfig
  /** Signs adverts and FOAF queries under their domains (an Identity fits). */
  readonly signer: Signer
  readonly verify: VerifyFn
  /** Signs a pubsub header under the message domain (adverts and records are pubsub messages of ours). */
  readonly signHeader: (header: Uint8Array) => Uint8Array
  /** Publish our advert with these roles (a coordinator); absent for ordinary nodes. */
  readonly advertise?: { readonly roles: readonly Role[]; readonly addresses: readonly string[]; readonly nat?: NatClass }
  /** Unix time at `nowMs` 0: adverts carry absolute validity times (default 0: `nowMs` is Unix time). */
  readonly wallOffsetMs?: number
}

export interface StackCrdtInit {
  /** Sync tunables (the node uses `CRDT_LAN` / `CRDT_WAN` / `CRDT_LOCAL` by preset). */
  readonly config: SyncConfig
  /** Signs a pubsub header under the message domain, for published deltas. */
  readonly signHeader: (header: Uint8Array) => Uint8Array
}

export interface StackRendezvousInit {
  readonly config?: Partial<RendezvousConfig>
  /** Signs a summary body under the summary domain, and a pubsub header under the message domain. */
  readonly signSummary: (body: Uint8Array) => Uint8Array
  readonly signHeader: (header: Uint8Array) => Uint8Array
  readonly verifySummary: VerifySummary
  /** Unix time at `nowMs` 0: summaries carry absolute expiry times (default 0: `nowMs` is Unix time). */
  readonly wallOffsetMs?: number
}

type Out = Outbox<StackOutput>
/** Shard-topic validations answer at once (the core is synchronous); pubsub's default bound still applies. */
const SHARD_VALIDATION_TIMEOUT_MS = 2_000
/** An input unwrapped for the child it is addressed to. */
type Routed =
  | { readonly layer: 'membership'; readonly input: CoreInput<MembershipMessage, MembershipTimer, MembershipCommand> }
  | { readonly layer: 'pubsub'; readonly input: CoreInput<PubSubMessage, PubSubTimer, PubSubCommand> }
  | { readonly layer: 'rendezvous'; readonly input: CoreInput<RendezvousMessage, RendezvousTimer, RendezvousCommand> }
  | { readonly layer: 'coordinator'; readonly input: CoreInput<FoafMessage, CoordinatorTimer, CoordinatorCommand> }
  | { readonly layer: 'crdt'; readonly input: CoreInput<DocMessage, DocTimer, DocsCommand> }

export class GossipStack implements ProtocolCore<StackMessage, StackTimer, StackCommand, StackEvent> {
  readonly membership: MembershipCore
  readonly pubsub: PubSubCore
  readonly rendezvous: RendezvousCore | undefined
  readonly coordinator: CoordinatorCore | undefined
  readonly #coordinatorInit: StackCoordinatorInit | undefined
  /** The coordinator joins its topics and starts advertising on the stack's first input (the constructor has no outbox). */
  #coordinatorStarted = false
  readonly crdt: DocsCore | undefined
  readonly #crdtPublisher: Publisher | undefined
  /** Topics of the open documents, by topic hex (the document id). */
  readonly #docTopics = new Set<string>()
  readonly #revealedKey: (peer: PeerId) => Uint8Array | undefined
  readonly #publisher: Publisher | undefined
  readonly #wallOffsetMs: number
  /** Shard of each joined shard topic, by topic hex. */
  readonly #shardTopics = new Map<string, number>()

  constructor(init: GossipStackInit) {
    const config = init.config ?? STACK_PRESETS.lan
    this.membership = new MembershipCore({ self: { id: init.self.id, addrs: init.self.addrs ?? [] }, rng: init.rng, config: config.membership })
    this.pubsub = new PubSubCore({ self: init.self.id, publicKey: init.self.publicKey, verify: init.verify, rng: init.rng, config: config.pubsub, verifyOffLoop: init.verifyOffLoop === true })
    this.#revealedKey = init.revealedKey
    const rv = init.rendezvous
    this.rendezvous = rv === undefined ? undefined : new RendezvousCore({
      self: init.self.id, publicKey: init.self.publicKey, config: { ...DEFAULT_RENDEZVOUS_CONFIG, ...rv.config },
      sign: rv.signSummary, verify: rv.verifySummary,
    })
    const co = init.coordinator
    this.#coordinatorInit = co
    this.coordinator = co === undefined ? undefined : new CoordinatorCore({
      self: init.self.id, signer: co.signer, verify: co.verify, config: co.config ?? COORDINATOR_LAN, rng: init.rng,
    })
    const signHeader = rv?.signHeader ?? co?.signHeader
    this.#publisher = signHeader === undefined ? undefined : new Publisher(init.self.id, signHeader)
    this.#wallOffsetMs = rv?.wallOffsetMs ?? 0
    this.crdt = init.crdt === undefined ? undefined : new DocsCore({ self: init.self.id.toHex(), config: init.crdt.config, rng: init.rng })
    this.#crdtPublisher = init.crdt === undefined ? undefined : new Publisher(init.self.id, init.crdt.signHeader)
  }

  handle(input: StackInput, nowMs: number, out: Out): void {
    if (this.coordinator !== undefined && !this.#coordinatorStarted) this.#startCoordinator(nowMs, out)
    switch (input.type) {
      case 'recv': return this.#route({ layer: input.msg.layer, input: { type: 'recv', from: input.from, msg: input.msg.msg } } as Routed, nowMs, out)
      case 'timer': return this.#route({ layer: input.timer.layer, input: { type: 'timer', timer: input.timer.timer } } as Routed, nowMs, out)
      case 'command': return this.#route({ layer: input.command.layer, input: { type: 'command', command: input.command.command } } as Routed, nowMs, out)
      // Connections belong to membership; pubsub hears of neighbours through the rules.
      case 'peer-up':
      case 'peer-down': return this.#runMembership(input, nowMs, out)
    }
  }

  #route(routed: Routed, nowMs: number, out: Out): void {
    switch (routed.layer) {
      case 'membership': return this.#runMembership(routed.input, nowMs, out)
      case 'pubsub': return this.#runPubSub(routed.input, nowMs, out)
      case 'rendezvous': return this.#runRendezvous(routed.input, nowMs, out)
      case 'coordinator': return this.#runCoordinator(routed.input, nowMs, out)
      case 'crdt': return this.#runCrdt(routed.input, nowMs, out)
    }
  }

  #startCoordinator(nowMs: number, out: Out): void {
    this.#coordinatorStarted = true
    const co = this.#coordinatorInit!
    joinCoordinatorTopics(this.#coordinatorTopicSide(nowMs, out), this.coordinator!.config.addressBook.enabled)
    const command = (c: CoordinatorCommand): void => this.#runCoordinator({ type: 'command', command: c }, nowMs, out)
    command({ type: 'wall-clock', wallMs: nowMs + (co.wallOffsetMs ?? 0) })
    const a = co.advertise
    if (a !== undefined) command({ type: 'advertise', roles: a.roles, addresses: a.addresses, nat: a.nat ?? 'unknown' })
    // A peer record carries at most 8 address hints (MAX_PEER_RECORD_HINTS).
    if (this.coordinator!.config.addressBook.enabled) command({ type: 'address-book', addresses: this.membership.self.addrs.slice(0, 8) })
  }

  #runCoordinator(input: CoreInput<FoafMessage, CoordinatorTimer, CoordinatorCommand>, nowMs: number, out: Out): void {
    if (this.coordinator === undefined) return
    const outputs: CoordinatorOutput[] = []
    this.coordinator.handle(input, nowMs, outputs)
    liftOutputs('coordinator', outputs, out, (event) => onCoordinatorEvent(this.#coordinatorTopicSide(nowMs, out), event))
  }

  #coordinatorTopicSide(nowMs: number, out: Out): CoordinatorTopicSide {
    const pubsub = (command: PubSubCommand): void => this.#runPubSub({ type: 'command', command }, nowMs, out)
    return {
      joinTopic: (topic) => {
        pubsub({ type: 'set-validator', topic, timeoutMs: SHARD_VALIDATION_TIMEOUT_MS })
        pubsub({ type: 'join', topic })
      },
      publishOnTopic: (topic, bytes) => pubsub({ type: 'publish', topic, message: this.#publisher!.build(topic, bytes, nowMs), requestId: 0 }),
      answerValidation: (validationId, result) => pubsub({ type: 'validated', validationId, result }),
    }
  }

  #coordinatorSide(nowMs: number, out: Out): CoordinatorSide {
    return {
      validate: (validationId, topic, origin, payload) =>
        this.#runCoordinator({ type: 'command', command: { type: 'validate', validationId, topic, origin, payload } }, nowMs, out),
      neighbor: (peer, up) => this.#runCoordinator({ type: up ? 'peer-up' : 'peer-down', peer }, nowMs, out),
    }
  }

  #runMembership(input: CoreInput<MembershipMessage, MembershipTimer, MembershipCommand>, nowMs: number, out: Out): void {
    const outputs: MembershipOutput[] = []
    this.membership.handle(input, nowMs, outputs)
    liftOutputs('membership', outputs, out, (event) => this.#onMembershipEvent(event, nowMs, out))
  }

  #runPubSub(input: CoreInput<PubSubMessage, PubSubTimer, PubSubCommand>, nowMs: number, out: Out): void {
    const outputs: PubSubOutput[] = []
    this.pubsub.handle(input, nowMs, outputs)
    liftOutputs('pubsub', outputs, out, (event) => this.#onPubSubEvent(event, nowMs, out),
      (peer) => onPubSubDisconnect(this.#membershipSide(nowMs, out), peer))
  }

  #runRendezvous(input: CoreInput<RendezvousMessage, RendezvousTimer, RendezvousCommand>, nowMs: number, out: Out): void {
    if (this.rendezvous === undefined) return
    const outputs: RendezvousOutput[] = []
    this.rendezvous.handle(input, nowMs + this.#wallOffsetMs, outputs)
    liftOutputs('rendezvous', outputs, out, (event) => onRendezvousEvent(this.#shardTopicSide(nowMs, out), event))
  }

  #runCrdt(input: CoreInput<DocMessage, DocTimer, DocsCommand>, nowMs: number, out: Out): void {
    if (this.crdt === undefined) return
    if (input.type === 'command') onCrdtCommand(this.#docTopicSide(nowMs, out), input.command)
    const outputs: Array<CoreOutput<DocMessage, DocTimer, DocsEvent>> = []
    this.crdt.handle(input, nowMs, outputs)
    liftOutputs('crdt', outputs, out, (event) => onCrdtEvent(this.#docTopicSide(nowMs, out), event))
  }

  /** Routes a pubsub event of an open document's topic to crdt-sync; false for every other topic. */
  #onDocTopicEvent(event: PubSubEvent, nowMs: number, out: Out): boolean {
    const topic = event.type === 'validate' ? event.request.topic : event.type === 'message' ? event.delivery.topic
      : event.type === 'topic-peer-up' || event.type === 'topic-peer-down' ? event.topic : undefined
    if (topic === undefined || !this.#docTopics.has(topic.toHex())) return false
    const doc = topic.toHex()
    if (event.type === 'validate') {
      const verdict = docTopicVerdict(topic, event.request.origin, event.request.payload)
      this.#docTopicSide(nowMs, out).answerValidation(event.validationId, verdict)
    } else if (event.type === 'message') onDocTopicMessage(this.#crdtSide(nowMs, out), doc, event.delivery.from, event.delivery.payload)
    else onDocTopicPeer(this.#crdtSide(nowMs, out), doc, (event as { peer: PeerId }).peer, event.type === 'topic-peer-up')
    return true
  }

  #docTopicSide(nowMs: number, out: Out): DocTopicSide {
    const pubsub = (command: PubSubCommand): void => this.#runPubSub({ type: 'command', command }, nowMs, out)
    return {
      joinDocTopic: (topic) => {
        this.#docTopics.add(topic.toHex())
        pubsub({ type: 'set-validator', topic, timeoutMs: SHARD_VALIDATION_TIMEOUT_MS })
        pubsub({ type: 'join', topic })
      },
      leaveDocTopic: (topic) => {
        pubsub({ type: 'leave', topic })
        pubsub({ type: 'remove-validator', topic })
        this.#docTopics.delete(topic.toHex())
      },
      publishOnDocTopic: (topic, bytes) => pubsub({ type: 'publish', topic, message: this.#crdtPublisher!.build(topic, bytes, nowMs), requestId: 0 }),
      answerValidation: (validationId, result) => pubsub({ type: 'validated', validationId, result }),
    }
  }

  #crdtSide(nowMs: number, out: Out): DocCoreSide {
    return {
      command: (command) => this.#runCrdt({ type: 'command', command }, nowMs, out),
      deliver: (doc, from, payload) => {
        // The validator accepted it, so it decodes; the check stays for a topic joined before a validator.
        let frame
        try { frame = decodeSyncFrame(payload, 'topic') } catch { return }
        this.#runCrdt({ type: 'recv', from, msg: { doc, msg: frame.msg } }, nowMs, out)
      },
    }
  }

  #onPubSubEvent(event: PubSubEvent, nowMs: number, out: Out): void {
    if (this.crdt !== undefined && this.#onDocTopicEvent(event, nowMs, out)) return
    if (event.type !== 'validate') return
    const { validationId, request } = event
    if (this.coordinator !== undefined &&
      onCoordinatorValidationRequest(this.#coordinatorSide(nowMs, out), request.topic, validationId, request.origin, request.payload)) return
    if (this.rendezvous === undefined) return
    onShardValidationRequest(this.#shardValidatorSide(nowMs, out), this.#shardTopics.get(request.topic.toHex()), validationId, request.origin, request.payload)
  }

  #shardTopicSide(nowMs: number, out: Out): ShardTopicSide {
    const pubsub = (command: PubSubCommand): void => this.#runPubSub({ type: 'command', command }, nowMs, out)
    const topicOf = (shard: number): TopicId => TopicId.fromName(shardTopicName(shard))
    return {
      joinShard: (shard) => {
        const topic = topicOf(shard)
        this.#shardTopics.set(topic.toHex(), shard)
        pubsub({ type: 'set-validator', topic, timeoutMs: SHARD_VALIDATION_TIMEOUT_MS })
        pubsub({ type: 'join', topic })
      },
      leaveShard: (shard) => {
        const topic = topicOf(shard)
        pubsub({ type: 'leave', topic })
        pubsub({ type: 'remove-validator', topic })
        this.#shardTopics.delete(topic.toHex())
      },
      // Pubsub's wall clock is the stack's own time; only the rendezvous core reads Unix time.
      publishOnShard: (shard, bytes) => {
        const topic = topicOf(shard)
        pubsub({ type: 'publish', topic, message: this.#publisher!.build(topic, bytes, nowMs), requestId: 0 })
      },
      answerValidation: (validationId, result) => pubsub({ type: 'validated', validationId, result }),
    }
  }

  #shardValidatorSide(nowMs: number, out: Out): ShardValidatorSide {
    return {
      validate: (validationId, shard, origin, payload) =>
        this.#runRendezvous({ type: 'command', command: { type: 'validate', validationId, shard, origin, payload } }, nowMs, out),
    }
  }

  #onMembershipEvent(event: MembershipEvent, nowMs: number, out: Out): void {
    if (event.type === 'neighbor-up') onNeighborUp(this.#pubsubSide(nowMs, out), event.peer, this.#revealedKey(event.peer))
    else if (event.type === 'neighbor-down') onNeighborDown(this.#pubsubSide(nowMs, out), event.peer)
    else return
    if (this.coordinator !== undefined) onCoordinatorNeighbor(this.#coordinatorSide(nowMs, out), event.peer, event.type === 'neighbor-up')
  }

  #pubsubSide(nowMs: number, out: Out): PubSubSide {
    return {
      learnKey: (peer, publicKey) => this.#runPubSub({ type: 'command', command: { type: 'learn-key', peer, publicKey } }, nowMs, out),
      peerUp: (peer) => this.#runPubSub({ type: 'peer-up', peer }, nowMs, out),
      peerDown: (peer) => this.#runPubSub({ type: 'peer-down', peer }, nowMs, out),
    }
  }

  #membershipSide(nowMs: number, out: Out): MembershipSide {
    return { dropPeer: (peer) => this.#runMembership({ type: 'peer-down', peer }, nowMs, out) }
  }
}

/**
 * Tags a child's messages, timers and events with its layer and passes them up, after the
 * child's own event hook ran (a rule's outputs follow the event that caused them). Disconnects
 * pass through untagged, then `onDisconnect` applies the rule for them.
 * Stand-in for `liftOutputs` of `@saorsa-gossip/types/runtime`; swap it in once that lands.
 */
function liftOutputs<L extends StackMessage['layer'], M, T, E>(
  layer: L, outputs: ReadonlyArray<CoreOutput<M, T, E>>, out: Out,
  onEvent?: (event: E) => void, onDisconnect?: (peer: PeerId) => void,
): void {
  for (const o of outputs) {
    switch (o.type) {
      case 'send': out.push({ type: 'send', to: o.to, msg: { layer, msg: o.msg } as StackMessage }); break
      case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: { layer, timer: o.timer } as StackTimer }); break
      case 'emit':
        out.push({ type: 'emit', event: { layer, event: o.event } as StackEvent })
        onEvent?.(o.event)
        break
      case 'disconnect':
        out.push(o)
        onDisconnect?.(o.peer)
        break
    }
  }
}
