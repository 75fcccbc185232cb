/**
 * A rendezvous network in the simulator: N nodes running HyParView + Plumtree + the rendezvous
 * core (`rendezvous-stack.ts`), a share of them holding the `rendezvous` role, cheap deterministic
 * signatures (BLAKE3 of key, domain and body: fails on any tampering exactly like a signature) and
 * ML-DSA-65-sized public keys, so every summary has its real size. Records seek results with their
 * virtual times, validations and deliveries of shard-topic messages, and shard-topic bytes.
 */
import { HyParView, HYPARVIEW_LOCAL } from '@saorsa-gossip/membership/proto'
import { PubSubCore } from '@saorsa-gossip/pubsub/proto'
import { encodePubSubMessage, Publisher } from '@saorsa-gossip/pubsub/wire'
import { encodeRendezvousMessage, SUMMARY_DOMAIN } from '@saorsa-gossip/rendezvous'
import { DEFAULT_RENDEZVOUS_CONFIG, RendezvousCore, type RendezvousConfig } from '@saorsa-gossip/rendezvous/proto'
import { bytesEqual, concatBytes, payloadHash, PeerId, utf8 } from '@saorsa-gossip/types'
import { estimateHyParViewSize } from '../scenarios/hyparview-network.ts'
import { Simulator } from '../simulator.ts'
import { GossipStack } from './gossip-stack.ts'
import { FAKE_SIGNATURES } from './pubsub-network.ts'
import { RendezvousStack, type RvCommand, type RvEvent, type RvMessage, type RvTimer } from './rendezvous-stack.ts'

export type RendezvousSim = Simulator<RvMessage, RvTimer, RvCommand, RvEvent>

/** Summary signatures at hash cost: BLAKE3(publicKey || domain || body). */
export const fakeSummarySign = (publicKey: Uint8Array, body: Uint8Array): Uint8Array =>
  payloadHash(concatBytes(publicKey, utf8(SUMMARY_DOMAIN), body))
const fakeSummaryVerify = (publicKey: Uint8Array, domain: string, body: Uint8Array, sig: Uint8Array): boolean =>
  domain === SUMMARY_DOMAIN && bytesEqual(fakeSummarySign(publicKey, body), sig)

export interface RendezvousNetworkInit {
  readonly seed: number | string
  readonly nodes: number
  /** Nodes holding the `rendezvous` role (the first ones after a seeded shuffle). */
  readonly servers: number
  readonly latencyMs?: readonly [number, number]
  readonly rendezvous?: Partial<RendezvousConfig>
}

export class RendezvousNetwork {
  readonly sim: RendezvousSim
  readonly ids: PeerId[] = []
  readonly servers: PeerId[] = []
  readonly stacks = new Map<string, RendezvousStack>()
  readonly keys = new Map<string, Uint8Array>()
  /** seekId -> virtual times of its first provider and of its end. */
  readonly seeks = new Map<number, { startedAt: number; firstFoundAt?: number; doneAt?: number; providers: Set<string> }>()
  /** Shard-topic pubsub bytes sent while `measuring`, by node hex. */
  readonly shardBytes = new Map<string, number>()
  measuring = false

  constructor(init: RendezvousNetworkInit) {
    this.sim = new Simulator({
      seed: init.seed,
      latencyMs: init.latencyMs ?? [10, 50],
      connectionTimeoutMs: 2_000,
      recordEvents: false,
      kindOf: (m) => `${m.layer}:${m.msg.type}`,
      sizeOf: (m) => (m.layer === 'm' ? estimateHyParViewSize(m.msg) : m.layer === 'p' ? encodePubSubMessage(m.msg).length : encodeRendezvousMessage(m.msg).length),
    })
    this.sim.on('emit', (e) => {
      if (e.event.layer !== 'r') return
      const event = e.event.event
      if (event.type === 'found') {
        const seek = this.seeks.get(event.seekId)
        if (seek === undefined) return
        seek.firstFoundAt ??= e.time
        for (const p of event.providers) seek.providers.add(p.summary.provider.toHex())
      } else if (event.type === 'seek-done') {
        const seek = this.seeks.get(event.seekId)
        if (seek !== undefined) seek.doneAt ??= e.time
      }
    })
    this.sim.on('send', (m) => {
      if (!this.measuring || m.msg.layer !== 'p' || !('topic' in m.msg.msg)) return
      const hex = m.from.toHex()
      this.shardBytes.set(hex, (this.shardBytes.get(hex) ?? 0) + encodePubSubMessage(m.msg.msg).length)
    })
    const rng = this.sim.forkRng('keys')
    const config = { ...DEFAULT_RENDEZVOUS_CONFIG, ...init.rendezvous }
    for (let i = 0; i < init.nodes; i++) {
      const publicKey = rng.fill(new Uint8Array(1952))
      const id = PeerId.fromPublicKey(publicKey)
      this.ids.push(id)
      this.keys.set(id.toHex(), publicKey)
    }
    const shuffled = this.sim.forkRng('servers')
    const order = this.ids.map((id) => ({ id, k: shuffled.nextU32() })).sort((a, b) => a.k - b.k)
    const serving = new Set(order.slice(0, init.servers).map((o) => o.id.toHex()))
    for (const o of order.slice(0, init.servers)) this.servers.push(o.id)
    for (const id of this.ids) {
      const publicKey = this.keys.get(id.toHex())!
      const pubsub = new PubSubCore({
        self: id, publicKey, verify: FAKE_SIGNATURES.verify, rng: this.sim.forkRng(`ps:${id.toHex()}`), config: {},
      })
      const membership = new HyParView({ self: { id, addrs: [] }, config: HYPARVIEW_LOCAL, rng: this.sim.forkRng(`hv:${id.toHex()}`) })
      const gossip = new GossipStack(pubsub, membership, (peer) => this.keys.get(peer.toHex()))
      const rendezvous = new RendezvousCore({
        self: id, publicKey, config: { ...config, serve: serving.has(id.toHex()) },
        sign: (body) => fakeSummarySign(publicKey, body), verify: fakeSummaryVerify,
      })
      const publisher = new Publisher(id, (h) => FAKE_SIGNATURES.sign(publicKey, undefined, h))
      const stack = new RendezvousStack(gossip, rendezvous, publisher)
      this.stacks.set(id.toHex(), stack)
      this.sim.addNode(id, stack)
    }
    this.#joinAll()
  }

  stack(id: PeerId): RendezvousStack {
    return this.stacks.get(id.toHex())!
  }

  /** Tells every node the `rendezvous`-role peers, as coordinator adverts would. */
  announceServers(): void {
    for (const id of this.ids) {
      this.sim.command(id, { layer: 'r', command: { type: 'servers', peers: this.servers } })
      this.sim.command(id, { layer: 'r', command: { type: 'start' } })
    }
  }

  seek(node: PeerId, seekId: number, target: Uint8Array): void {
    this.seeks.set(seekId, { startedAt: this.sim.now, providers: new Set() })
    this.sim.command(node, { layer: 'r', command: { type: 'seek', seekId, target } })
  }

  /** Node 0 starts the overlay; the others join over 2 s through a random earlier node. */
  #joinAll(): void {
    const rng = this.sim.forkRng('join-schedule')
    const [first] = this.ids
    if (first === undefined) return
    this.sim.command(first, { layer: 'm', command: { type: 'join', contacts: [] } })
    this.ids.slice(1).forEach((id, i) => {
      const contact = this.ids[rng.nextInt(i + 1)]!
      this.sim.at(Math.round(((i + 1) * 2_000) / this.ids.length), () =>
        this.sim.command(id, { layer: 'm', command: { type: 'join', contacts: [{ id: contact, addrs: [] }] } }))
    })
  }
}
