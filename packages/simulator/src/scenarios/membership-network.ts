/**
 * The composite membership core (HyParView views, DSN 2007, watched by SWIM with Lifeguard, DSN 2002
 * and arXiv:1707.00788) inside the simulator: N cores with seeded RNGs joined through contacts, their
 * active views exposed to the overlay invariants. Failure detection is either the connection timeout
 * (peer-down some time after a kill) or, with `connectionTimeoutMs: null`, SWIM alone.
 */
import { MembershipCore, HYPARVIEW_LAN, SWIM_LAN } from '@saorsa-gossip/membership/proto'
import type {
  HyParViewConfig, MembershipCommand, MembershipEvent, MembershipMessage, MembershipTimer, SwimConfig, SwimMessage,
} from '@saorsa-gossip/membership/proto'
import type { PeerId } from '@saorsa-gossip/types'
import { Simulator } from '../simulator.ts'
import { simPeerId } from '../ids.ts'
import { checkOverlay } from '../invariants.ts'
import type { OverlayCheck, Views } from '../invariants.ts'
import { estimateHyParViewSize } from './hyparview-network.ts'
import { everyViewRefilled, joinAllThroughFirst, liveActiveViews } from './overlay.ts'
import { kindLabel } from '../kinds.ts'

export type MembershipSim = Simulator<MembershipMessage, MembershipTimer, MembershipCommand, MembershipEvent>

export interface MembershipNetworkInit {
  readonly seed: number | string
  readonly hyparview?: HyParViewConfig
  readonly swim?: SwimConfig
  readonly latencyMs?: readonly [number, number]
  readonly lossRate?: number
  /**
   * Peers of a killed node see `peer-down` this long after the kill, and a dial to a dead node fails
   * after the same delay. `null`: connections of killed nodes never time out (a silent failure), so
   * only SWIM notices them. Default 2,000 ms.
   */
  readonly connectionTimeoutMs?: number | null
}

/** Wire size estimate of a SWIM message: tag and seq, plus 1 + 32 + 8 + 32 bytes per update. */
export function estimateSwimSize(msg: SwimMessage): number {
  const updates = msg.type === 'nack' ? 0 : msg.updates.length * 73
  return (msg.type === 'ping-req' ? 48 : 14) + updates
}

export class MembershipNetwork {
  readonly sim: MembershipSim
  readonly hyparview: HyParViewConfig
  readonly swim: SwimConfig
  readonly #cores = new Map<string, MembershipCore>()
  readonly #joinedAt = new Map<string, number>()
  #next = 0

  constructor(init: MembershipNetworkInit) {
    this.hyparview = init.hyparview ?? HYPARVIEW_LAN
    this.swim = init.swim ?? SWIM_LAN
    const timeout = init.connectionTimeoutMs === undefined ? 2_000 : init.connectionTimeoutMs
    this.sim = new Simulator({
      seed: init.seed,
      latencyMs: init.latencyMs ?? [10, 50],
      lossRate: init.lossRate ?? 0,
      ...(timeout === null ? {} : { connectionTimeoutMs: timeout }),
      kindOf: (m) => kindLabel(m.layer, m.msg.type),
      sizeOf: (m) => (m.layer === 'hyparview' ? estimateHyParViewSize(m.msg) : estimateSwimSize(m.msg)),
      recordEvents: false,
    })
  }

  /** Creates a node with the next sequential id; it stays silent until it joins. */
  addNode(): PeerId {
    const id = simPeerId(this.#next++)
    this.sim.addNode(id, this.#makeCore(id))
    return id
  }

  join(id: PeerId, contacts: readonly PeerId[]): void {
    this.#joinedAt.set(id.toHex(), this.sim.now)
    this.sim.command(id, { type: 'join', contacts: contacts.map((c) => ({ id: c, addrs: [] })) })
  }

  /** `id` learns of `contacts` out of band (no join): they are kept for its merge check. */
  learn(id: PeerId, contacts: readonly PeerId[]): void {
    this.sim.command(id, { type: 'add-contacts', contacts: contacts.map((c) => ({ id: c, addrs: [] })) })
  }

  core(id: PeerId): MembershipCore {
    return this.#cores.get(id.toHex())!
  }

  /** Active views of the live nodes that joined at least `minAgeMs` ago. */
  views(minAgeMs = 0): Views {
    return liveActiveViews(this, this.#joinedAt, (id) => this.core(id).activeView(), minAgeMs)
  }

  check(minAgeMs = 0): OverlayCheck {
    return checkOverlay(this.views(minAgeMs), { minSize: 1, maxSize: this.hyparview.activeViewMax })
  }

  /** True when every live node's active view holds at least `activeViewSize` peers, all of them alive. */
  refilled(): boolean {
    return everyViewRefilled(this, (id) => this.core(id).activeView(), this.hyparview.activeViewSize)
  }

  /** Live nodes that still hold a dead peer in their active view. */
  deadNeighbours(): number {
    const alive = new Set(this.sim.aliveIds().map((id) => id.toHex()))
    let count = 0
    for (const id of this.sim.aliveIds()) if (this.core(id).activeView().some((p) => !alive.has(p.toHex()))) count++
    return count
  }

  #makeCore(id: PeerId): MembershipCore {
    const core = new MembershipCore({
      self: { id, addrs: [] }, config: { hyparview: this.hyparview, swim: this.swim },
      rng: this.sim.forkRng(`mship:${id.toHex()}:${this.sim.now}`),
    })
    this.#cores.set(id.toHex(), core)
    return core
  }
}

/** N nodes that all join through node 0, each at a seeded random moment within `spreadMs`. */
export function membershipJoinThroughOneContact(init: MembershipNetworkInit & { readonly nodes: number; readonly spreadMs?: number }): MembershipNetwork {
  return joinAllThroughFirst(new MembershipNetwork(init), init.nodes, init.spreadMs)
}
