/**
 * A network of coordinator stacks (the shipped stack, `@saorsa-gossip/node/stack`, plus the coordinator layer) in the simulator, for
 * the figures of SPEC.md section 9: advert dissemination from coordinators, and FOAF discovery by new
 * nodes that know one live contact. Signatures are simulated (BLAKE3 of key, domain and body, padded to
 * the ML-DSA-65 size so message sizes stay real); keys are 1,952 bytes so PeerIds bind as in production.
 */
import { ADDRESS_BOOK_TOPIC, COORDINATOR_LOCAL, COORDINATOR_TOPIC, signAdvert, type CoordinatorConfig, type Signer, type VerifyFn } from '@saorsa-gossip/coordinator'
import { CoordinatorCore, type CoordinatorEvent } from '@saorsa-gossip/coordinator/proto'
import { GossipStack, STACK_PRESETS } from '@saorsa-gossip/node/stack'
import { Publisher } from '@saorsa-gossip/pubsub/wire'
import { LIMITS, PeerId, concatBytes, payloadHash, utf8 } from '@saorsa-gossip/types'
import { Simulator } from '../simulator.ts'
import { isPaddedSignature, paddedSignature } from '../sim-signatures.ts'
import { FAKE_SIGNATURES } from '../stacks/pubsub-network.ts'
import { CoordinatorStack, type CoordCommand, type CoordEvent, type CoordMessage, type CoordTimer } from '../stacks/coordinator-stack.ts'
import { kindLabel } from '../kinds.ts'

export type CoordinatorSim = Simulator<CoordMessage, CoordTimer, CoordCommand, CoordEvent>

/** A stand-in for ML-DSA-65: fails on any change of key, domain or body, at hash cost, 3,309 bytes long. */
export function simSign(publicKey: Uint8Array, domain: string, body: Uint8Array): Uint8Array {
  return paddedSignature(payloadHash(concatBytes(publicKey, utf8(domain), body)))
}

export const simVerify: VerifyFn = (publicKey, domain, body, sig) => isPaddedSignature(sig, payloadHash(concatBytes(publicKey, utf8(domain), body)))

export function simSigner(publicKey: Uint8Array): Signer {
  return { publicKey, sign: (domain, body) => simSign(publicKey, domain, body) }
}

export interface CoordinatorNetworkInit {
  readonly seed: number | string
  readonly nodes: number
  readonly config?: CoordinatorConfig
  readonly latencyMs?: readonly [number, number]
}

/** The coordinator core answers a validation in the same step; the timeout only bounds a lost answer. */
const VALIDATION_TIMEOUT_MS = 1_000

/** Unix time at virtual time 0 (2026-01-01T00:00:00Z), so adverts carry realistic timestamps. */
export const SIM_EPOCH_MS = 1_767_225_600_000

export class CoordinatorNetwork {
  readonly sim: CoordinatorSim
  readonly ids: PeerId[] = []
  readonly stacks = new Map<string, CoordinatorStack>()
  readonly config: CoordinatorConfig
  /** Coordinator-layer events in order, with virtual time and node. */
  readonly events: Array<{ time: number; node: PeerId; event: CoordinatorEvent }> = []
  /** FOAF `query-handled` events: query id -> node hex -> times handled (must stay 1). */
  readonly handled = new Map<string, Map<string, number>>()
  readonly #keys = new Map<string, Uint8Array>()
  readonly #publishers = new Map<string, Publisher>()
  readonly #keyRng
  #requestId = 0

  constructor(init: CoordinatorNetworkInit) {
    this.config = init.config ?? COORDINATOR_LOCAL
    this.sim = new Simulator({
      seed: init.seed, latencyMs: init.latencyMs ?? [10, 50], connectionTimeoutMs: 2_000, recordEvents: false,
      kindOf: (m) => (m.layer === 'membership' ? kindLabel(kindLabel('m', m.msg.layer), m.msg.msg.type) : m.layer === 'crdt' ? kindLabel('crdt', m.msg.msg.type) : kindLabel(m.layer, m.msg.type)),
    })
    this.sim.on('emit', (e) => {
      if (e.event.layer !== 'c') return
      const event = e.event.event
      if (event.type !== 'foaf') this.events.push({ time: e.time, node: e.node, event })
      else if (event.event.type === 'query-handled') {
        const q = event.event.queryId
        let nodes = this.handled.get(q)
        if (nodes === undefined) this.handled.set(q, (nodes = new Map()))
        nodes.set(e.node.toHex(), (nodes.get(e.node.toHex()) ?? 0) + 1)
      }
    })
    this.#keyRng = this.sim.forkRng('keys')
    for (let i = 0; i < init.nodes; i++) this.ids.push(this.addNode())
    this.#joinAll()
  }

  /** Adds a node (not joined); returns its PeerId. */
  addNode(): PeerId {
    const publicKey = this.#keyRng.fill(new Uint8Array(LIMITS.mldsa65PublicKeyBytes))
    const id = PeerId.fromPublicKey(publicKey)
    this.#keys.set(id.toHex(), publicKey)
    this.#publishers.set(id.toHex(), new Publisher(id, (h) => FAKE_SIGNATURES.sign(publicKey, undefined, h)))
    const c = this.config
    const gossip = new GossipStack({
      self: { id, publicKey }, verify: FAKE_SIGNATURES.verify, rng: this.sim.forkRng(`stack:${id.toHex()}`), config: STACK_PRESETS.local,
      revealedKey: (peer) => this.#keys.get(peer.toHex()),
    })
    const coordinator = new CoordinatorCore({ self: id, signer: simSigner(publicKey), verify: simVerify, config: c, rng: this.sim.forkRng(`c:${id.toHex()}`) })
    coordinator.handle({ type: 'command', command: { type: 'wall-clock', wallMs: SIM_EPOCH_MS + this.sim.now } }, this.sim.now, [])
    const publisher = this.#publishers.get(id.toHex())!
    const stack = new CoordinatorStack({ gossip, coordinator, publish: (topic, payload) => publisher.build(topic, payload, this.sim.now) })
    this.stacks.set(id.toHex(), stack)
    this.sim.addNode(id, stack)
    return id
  }

  /** The (simulated) signer of `id`, for scenarios that craft adverts the builder refuses. */
  signer(id: PeerId): Signer {
    return simSigner(this.#keys.get(id.toHex())!)
  }

  stack(id: PeerId): CoordinatorStack {
    return this.stacks.get(id.toHex())!
  }

  /** Joins the advert topic with the coordinator layer as its validator, as the service does at start. */
  joinAdvertTopic(ids: readonly PeerId[] = this.ids): void {
    for (const id of ids) {
      this.sim.command(id, { layer: 'pubsub', command: { type: 'join', topic: COORDINATOR_TOPIC } })
      this.sim.command(id, { layer: 'pubsub', command: { type: 'set-validator', topic: COORDINATOR_TOPIC, timeoutMs: VALIDATION_TIMEOUT_MS } })
    }
  }

  /** Unix time now. */
  get wallNow(): number {
    return SIM_EPOCH_MS + this.sim.now
  }

  /** A fresh advert by `id`, signed now. */
  advert(id: PeerId, sequence = this.wallNow): Uint8Array {
    const now = this.wallNow
    return signAdvert(simSigner(this.#keys.get(id.toHex())!), {
      roles: ['coordinator'], addresses: [`tcp://10.0.${id.bytes[0]}.${id.bytes[1]}:7000`], nat: 'eim',
      notBeforeMs: now, notAfterMs: now + this.config.advertValidityMs, sequence,
    }).bytes
  }

  /** Publishes `bytes` on the advert topic from `from`, as the coordinator service does every interval. */
  publishAdvert(from: PeerId, bytes: Uint8Array): void {
    const message = this.#publishers.get(from.toHex())!.build(COORDINATOR_TOPIC, bytes, this.sim.now)
    this.sim.command(from, { layer: 'pubsub', command: { type: 'publish', topic: COORDINATOR_TOPIC, message, requestId: ++this.#requestId } })
  }

  /** Starts the address book on `ids`: each joins the discovery topic and publishes its record. */
  startAddressBook(ids: readonly PeerId[] = this.ids): void {
    for (const id of ids) {
      this.sim.command(id, { layer: 'pubsub', command: { type: 'join', topic: ADDRESS_BOOK_TOPIC } })
      this.sim.command(id, { layer: 'pubsub', command: { type: 'set-validator', topic: ADDRESS_BOOK_TOPIC, timeoutMs: VALIDATION_TIMEOUT_MS } })
      this.sim.command(id, { layer: 'c', command: { type: 'address-book', addresses: [`tcp://10.1.${id.bytes[0]}.${id.bytes[1]}:7000`] } })
    }
  }

  /** Joins `id` through one contact. */
  join(id: PeerId, contact: PeerId): void {
    this.sim.command(id, { layer: 'membership', command: { type: 'join', contacts: [{ id: contact, addrs: [] }] } })
  }

  /** Starts FIND_COORDINATOR at `id`; events carry `ref`. */
  findCoordinator(id: PeerId, ref: number): void {
    this.sim.command(id, { layer: 'c', command: { type: 'find', target: { kind: 'coordinator' }, ref } })
  }

  /** Makes `id` a coordinator: it signs and publishes its advert now and every publish interval. */
  advertise(id: PeerId): void {
    this.sim.command(id, { layer: 'c', command: { type: 'advertise', roles: ['coordinator'], addresses: [`tcp://10.0.${id.bytes[0]}.${id.bytes[1]}:7000`], nat: 'eim' } })
  }

  /** Node 0 starts the overlay; the others join over 2 s through a random earlier node. */
  #joinAll(): void {
    const rng = this.sim.forkRng('join-schedule')
    const [first] = this.ids
    if (first === undefined) return
    this.sim.command(first, { layer: 'membership', command: { type: 'join', contacts: [] } })
    this.ids.slice(1).forEach((id, i) => {
      const contact = this.ids[rng.nextInt(i + 1)]!
      this.sim.at(Math.round(((i + 1) * 2_000) / this.ids.length), () => this.join(id, contact))
    })
  }
}
