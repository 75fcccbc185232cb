/**
 * A HyParView overlay (DSN 2007) inside the simulator: builds N cores with seeded RNGs, joins
 * them through contacts, exposes the active views to the overlay invariants, and scripts the
 * failure patterns of the reliability plan (mass kill, churn). Used by the CLI and the sim tests.
 */
import { HyParView, HYPARVIEW_LAN } from '@saorsa-gossip/membership/proto'
import type {
  HyParViewCommand, HyParViewConfig, HyParViewEvent, HyParViewMessage, HyParViewTimer, PeerInfo,
} from '@saorsa-gossip/membership/proto'
import type { PeerId } from '@saorsa-gossip/types'
import { Simulator } from '../simulator.ts'
import { simPeerId } from '../ids.ts'
import { checkOverlay } from '../invariants.ts'
import type { OverlayCheck, Views } from '../invariants.ts'
import { everyViewRefilled, joinAllThroughFirst, liveActiveViews } from './overlay.ts'

export type HyParViewSim = Simulator<HyParViewMessage, HyParViewTimer, HyParViewCommand, HyParViewEvent>

export interface HyParViewNetworkInit {
  readonly seed: number | string
  readonly config?: HyParViewConfig
  readonly latencyMs?: readonly [number, number]
  readonly lossRate?: number
  /**
   * Stand-in for failure detection: peers of a killed node see `peer-down` this long after the
   * kill, and a dial to a dead node fails after the same delay. Default 2,000 ms.
   */
  readonly connectionTimeoutMs?: number
}

/** Wire size estimate: 1 byte tag + 32 bytes per id + address bytes + 2 bytes per field. */
export function estimateHyParViewSize(msg: HyParViewMessage): number {
  const peer = (p: PeerInfo): number => 34 + p.addrs.reduce((n, a) => n + a.length + 2, 0)
  switch (msg.type) {
    case 'join': case 'neighbor': return 4 + msg.addrs.reduce((n, a) => n + a.length + 2, 0)
    case 'forward-join': return 4 + peer(msg.peer)
    case 'neighbor-reply': case 'disconnect': return 4
    case 'shuffle': return 4 + peer(msg.origin) + msg.peers.reduce((n, p) => n + peer(p), 0)
    case 'shuffle-reply': return 2 + msg.peers.reduce((n, p) => n + peer(p), 0)
  }
}

export class HyParViewNetwork {
  readonly sim: HyParViewSim
  readonly config: HyParViewConfig
  readonly #cores = new Map<string, HyParView>()
  readonly #joinedAt = new Map<string, number>()
  #next = 0

  constructor(init: HyParViewNetworkInit) {
    this.config = init.config ?? HYPARVIEW_LAN
    this.sim = new Simulator({
      seed: init.seed,
      latencyMs: init.latencyMs ?? [10, 50],
      lossRate: init.lossRate ?? 0,
      connectionTimeoutMs: init.connectionTimeoutMs ?? 2_000,
      kindOf: (m) => m.type,
      sizeOf: estimateHyParViewSize,
      recordEvents: false,
    })
  }

  /** Creates a node with the next sequential id; it stays silent until it joins. */
  addNode(): PeerId {
    const id = simPeerId(this.#next++)
    this.sim.addNode(id, this.#makeCore(id))
    return id
  }

  /** Replaces a killed node's core with a fresh one (same id, empty views). */
  restart(id: PeerId): void {
    this.sim.restart(id, this.#makeCore(id))
  }

  join(id: PeerId, contacts: readonly PeerId[]): void {
    this.#joinedAt.set(id.toHex(), this.sim.now)
    this.sim.command(id, { type: 'join', contacts: contacts.map((c) => ({ id: c, addrs: [] })) })
  }

  core(id: PeerId): HyParView {
    return this.#cores.get(id.toHex())!
  }

  /** Virtual time at which a node last started joining. */
  joinedAt(id: PeerId): number | undefined {
    return this.#joinedAt.get(id.toHex())
  }

  /** Active views of the live nodes, optionally only those that joined at least `minAgeMs` ago. */
  views(minAgeMs = 0): Views {
    return liveActiveViews(this, this.#joinedAt, (id) => this.core(id).activeView(), minAgeMs)
  }

  check(minAgeMs = 0): OverlayCheck {
    return checkOverlay(this.views(minAgeMs), { minSize: 1, maxSize: this.config.activeViewMax })
  }

  /** True when every live node's active view holds at least `activeViewSize` peers, all of them alive. */
  refilled(): boolean {
    return everyViewRefilled(this, (id) => this.core(id).activeView(), this.config.activeViewSize)
  }

  #makeCore(id: PeerId): HyParView {
    const core = new HyParView({ self: { id, addrs: [] }, config: this.config, rng: this.sim.forkRng(`hv:${id.toHex()}:${this.sim.now}`) })
    this.#cores.set(id.toHex(), core)
    return core
  }
}

/** N nodes that all join through node 0, each at a seeded random moment within `spreadMs`. */
export function joinThroughOneContact(init: HyParViewNetworkInit & { readonly nodes: number; readonly spreadMs?: number }): HyParViewNetwork {
  return joinAllThroughFirst(new HyParViewNetwork(init), init.nodes, init.spreadMs)
}
