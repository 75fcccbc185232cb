/**
 * crdt-sync in the simulator: N copies of the shipped stack (`@saorsa-gossip/node/stack`: membership,
 * pubsub and the crdt-sync core, the edge rules of `crdt-rules.ts`) with one counter document open on
 * every node, cheap deterministic signatures (see FAKE_SIGNATURES) and ML-DSA-65-sized keys. Records
 * per node how many updates entered its version vector fresh and how many arrived again in a bundle.
 */
import { CounterDoc, CRDT_LAN, type SyncConfig } from '@saorsa-gossip/crdt-sync'
import { docMessageBytes, GossipStack, STACK_PRESETS, type StackCommand, type StackEvent, type StackMessage, type StackTimer } from '@saorsa-gossip/node/stack'
import { PeerId, TopicId } from '@saorsa-gossip/types'
import { Simulator } from '../simulator.ts'
import { FAKE_SIGNATURES } from './pubsub-network.ts'
import { kindLabel } from '../kinds.ts'

export type CrdtSim = Simulator<StackMessage, StackTimer, StackCommand, StackEvent>

export interface CrdtNetworkInit {
  readonly seed: number | string
  readonly nodes: number
  readonly latencyMs?: readonly [number, number]
  /** Sync tunables (default CRDT_LAN, the node's 'lan' preset). */
  readonly config?: SyncConfig
}

export class CrdtNetwork {
  readonly sim: CrdtSim
  readonly ids: PeerId[] = []
  readonly doc = TopicId.fromName('crdt/sim-counter')
  readonly counters = new Map<string, CounterDoc>()
  readonly #stacks = new Map<string, GossipStack>()
  /** Per node: updates that entered its version vector for the first time, and ones that came again. */
  readonly fresh = new Map<string, number>()
  readonly recarried = new Map<string, number>()
  readonly #seen = new Map<string, Map<string, number>>()
  /** Bytes of crdt-sync sync messages (summary, want, bundles, snapshot) sent while `measuring`. */
  syncBytes = 0
  measuring = false

  constructor(init: CrdtNetworkInit) {
    this.sim = new Simulator({
      seed: init.seed,
      latencyMs: init.latencyMs ?? [10, 50],
      connectionTimeoutMs: 2_000,
      recordEvents: false,
      kindOf: (m) => kindLabel(m.layer, m.layer === 'membership' ? m.msg.layer : m.layer === 'crdt' ? m.msg.msg.type : m.msg.type),
    })
    this.sim.on('send', (m) => {
      if (this.measuring && m.msg.layer === 'crdt') this.syncBytes += docMessageBytes(m.msg.msg)
    })
    this.sim.on('emit', (e) => {
      if (e.event.layer !== 'crdt' || e.event.event.type !== 'sync') return
      const event = e.event.event.event
      if (event.type !== 'applied') return
      const hex = e.node.toHex()
      const seen = this.#seen.get(hex)!
      for (const [origin, from, to] of event.bundle.cover) {
        const before = seen.get(origin) ?? 0
        this.fresh.set(hex, this.fresh.get(hex)! + Math.max(0, to - Math.max(from, before)))
        this.recarried.set(hex, this.recarried.get(hex)! + Math.max(0, Math.min(before, to) - from))
        seen.set(origin, Math.max(before, to))
      }
    })
    const rng = this.sim.forkRng('keys')
    for (let i = 0; i < init.nodes; i++) {
      const publicKey = rng.fill(new Uint8Array(1952))
      const id = PeerId.fromPublicKey(publicKey)
      this.ids.push(id)
      const stack = new GossipStack({
        self: { id, publicKey }, verify: FAKE_SIGNATURES.verify, rng: this.sim.forkRng(`stack:${id.toHex()}`),
        config: STACK_PRESETS.lan, revealedKey: (peer) => this.#keyOf(peer),
        crdt: { config: init.config ?? CRDT_LAN, signHeader: (header) => FAKE_SIGNATURES.sign(publicKey, undefined, header) },
      })
      this.#keys.set(id.toHex(), publicKey)
      this.#stacks.set(id.toHex(), stack)
      this.fresh.set(id.toHex(), 0)
      this.recarried.set(id.toHex(), 0)
      this.#seen.set(id.toHex(), new Map())
      this.sim.addNode(id, stack)
    }
    this.#joinAll()
  }

  readonly #keys = new Map<string, Uint8Array>()
  #keyOf(peer: PeerId): Uint8Array | undefined {
    return this.#keys.get(peer.toHex())
  }

  stack(id: PeerId): GossipStack {
    return this.#stacks.get(id.toHex())!
  }

  /** Opens the counter document on every node; its local increments enter the node's stack as commands. */
  openEverywhere(): void {
    for (const id of this.ids) {
      const counter = new CounterDoc(id.toHex())
      counter.onLocal = (payload) => this.sim.command(id, { layer: 'crdt', command: { type: 'local', doc: this.doc.toHex(), payload } })
      this.counters.set(id.toHex(), counter)
      this.sim.command(id, { layer: 'crdt', command: { type: 'open', doc: this.doc.toHex(), state: counter } })
    }
  }

  /** The node's version-vector digest of the document, hex. */
  digest(id: PeerId): string {
    return Buffer.from(this.stack(id).crdt!.doc(this.doc.toHex())!.digest()).toString('hex')
  }

  /** Updates in the node's version vector. */
  vvTotal(id: PeerId): number {
    return this.stack(id).crdt!.doc(this.doc.toHex())!.versionVector().reduce((n, [, s]) => n + s, 0)
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
