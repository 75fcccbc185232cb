/**
 * A rendezvous network in the simulator: N copies of the shipped stack (`@saorsa-gossip/node/stack`:
 * membership, pubsub and the rendezvous core), a share of them holding the `rendezvous` role, cheap deterministic
 * signatures (BLAKE3 of key, domain and body: fails on any tampering exactly like a signature) and
 * ML-DSA-65-sized public keys, so every summary has its real size. Records seek results with their
 * virtual times, validations and deliveries of shard-topic messages, and shard-topic bytes.
 */
import { GossipStack, STACK_PRESETS, type StackCommand, type StackEvent, type StackMessage, type StackTimer } from '@saorsa-gossip/node/stack'
import type { RendezvousConfig } from '@saorsa-gossip/rendezvous/proto'
import { SUMMARY_DOMAIN } from '@saorsa-gossip/rendezvous/wire'
import { bytesEqual, concatBytes, payloadHash, PeerId, utf8 } from '@saorsa-gossip/types'
import { Simulator } from '../simulator.ts'
import { kindLabel } from '../kinds.ts'
import { FAKE_SIGNATURES, sizeOfStackMessage } from './pubsub-network.ts'

export type RendezvousSim = Simulator<StackMessage, StackTimer, StackCommand, StackEvent>

/** Unix time of virtual time 0 for the rendezvous core; pubsub's wall clock is virtual time itself. */
export const SIM_WALL_EPOCH_MS = 1_767_225_600_000

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
  /** Timing preset of membership and pubsub (default 'lan', the node's default). */
  readonly preset?: keyof typeof STACK_PRESETS
}

export class RendezvousNetwork {
  readonly sim: RendezvousSim
  readonly ids: PeerId[] = []
  readonly servers: PeerId[] = []
  readonly stacks = new Map<string, GossipStack>()
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
      kindOf: (m) => kindLabel(m.layer, m.layer === 'membership' ? m.msg.layer : m.layer === 'crdt' ? m.msg.msg.type : m.msg.type),
      sizeOf: sizeOfStackMessage,
    })
    this.sim.on('emit', (e) => {
      if (e.event.layer !== 'rendezvous') return
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
      if (!this.measuring || m.msg.layer !== 'pubsub' || !('topic' in m.msg.msg)) return
      const hex = m.from.toHex()
      this.shardBytes.set(hex, (this.shardBytes.get(hex) ?? 0) + sizeOfStackMessage(m.msg))
    })
    const rng = this.sim.forkRng('keys')
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
      const stack = new GossipStack({
        self: { id, publicKey }, verify: FAKE_SIGNATURES.verify, rng: this.sim.forkRng(`stack:${id.toHex()}`),
        config: STACK_PRESETS[init.preset ?? 'lan'], revealedKey: (peer) => this.keys.get(peer.toHex()),
        rendezvous: {
          config: { ...init.rendezvous, serve: serving.has(id.toHex()) },
          signSummary: (body) => fakeSummarySign(publicKey, body), verifySummary: fakeSummaryVerify,
          signHeader: (header) => FAKE_SIGNATURES.sign(publicKey, undefined, header), wallOffsetMs: SIM_WALL_EPOCH_MS,
        },
      })
      this.stacks.set(id.toHex(), stack)
      this.sim.addNode(id, stack)
    }
    this.#joinAll()
  }

  stack(id: PeerId): GossipStack {
    return this.stacks.get(id.toHex())!
  }

  /** Tells every node the `rendezvous`-role peers, as coordinator adverts would. */
  announceServers(): void {
    for (const id of this.ids) {
      this.sim.command(id, { layer: 'rendezvous', command: { type: 'servers', peers: this.servers } })
      this.sim.command(id, { layer: 'rendezvous', command: { type: 'start' } })
    }
  }

  seek(node: PeerId, seekId: number, target: Uint8Array): void {
    this.seeks.set(seekId, { startedAt: this.sim.now, providers: new Set() })
    this.sim.command(node, { layer: 'rendezvous', command: { type: 'seek', seekId, target } })
  }

  /** Node 0 starts the overlay; the others join over 2 s through a random earlier node. */
  #joinAll(): void {
    const rng = this.sim.forkRng('join-schedule')
    const [first] = this.ids
    if (first === undefined) return
    this.sim.command(first, { layer: 'membership', command: { type: 'join', contacts: [] } })
    this.ids.slice(1).forEach((id, i) => {
      const contact = this.ids[rng.nextInt(i + 1)]!
      this.sim.at(Math.round(((i + 1) * 2_000) / this.ids.length), () =>
        this.sim.command(id, { layer: 'membership', command: { type: 'join', contacts: [{ id: contact, addrs: [] }] } }))
    })
  }
}
