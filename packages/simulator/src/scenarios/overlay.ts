/**
 * What the overlay networks of the scenarios share, whichever core keeps the views (HyParView alone,
 * or the composite membership core): the storm of joins through one contact, the live nodes' active
 * views for the overlay invariants, and the refill check after failures (reliability plan 3.3).
 */
import type { PeerId } from '@saorsa-gossip/types'
import type { Views } from '../invariants.ts'

/** The parts of a scenario network the helpers below use. */
export interface OverlayNetwork {
  readonly sim: {
    readonly now: number
    aliveIds(): PeerId[]
    forkRng(label: string): { nextInt(n: number): number }
    at(timeMs: number, action: () => void): void
  }
  addNode(): PeerId
  join(id: PeerId, contacts: readonly PeerId[]): void
}

/** N nodes that all join through node 0, each at a seeded random moment within `spreadMs`. */
export function joinAllThroughFirst<N extends OverlayNetwork>(net: N, nodes: number, spreadMs = 1_000): N {
  const rng = net.sim.forkRng('join-schedule')
  const contact = net.addNode()
  net.join(contact, [])
  for (let i = 1; i < nodes; i++) {
    const id = net.addNode()
    net.sim.at(rng.nextInt(spreadMs) + 1, () => net.join(id, [contact]))
  }
  return net
}

/** Active views of the live nodes that started joining at least `minAgeMs` ago. */
export function liveActiveViews(
  net: OverlayNetwork, joinedAt: ReadonlyMap<string, number>, activeViewOf: (id: PeerId) => readonly PeerId[], minAgeMs: number,
): Views {
  const views = new Map<string, string[]>()
  for (const id of net.sim.aliveIds()) {
    const joined = joinedAt.get(id.toHex())
    if (joined === undefined || net.sim.now - joined < minAgeMs) continue
    views.set(id.toHex(), activeViewOf(id).map((p) => p.toHex()))
  }
  return views
}

/** True when every live node's active view holds at least `activeViewSize` peers (or all others), all alive. */
export function everyViewRefilled(net: OverlayNetwork, activeViewOf: (id: PeerId) => readonly PeerId[], activeViewSize: number): boolean {
  const alive = new Set(net.sim.aliveIds().map((id) => id.toHex()))
  for (const id of net.sim.aliveIds()) {
    const view = activeViewOf(id)
    if (view.length < Math.min(activeViewSize, alive.size - 1)) return false
    if (view.some((p) => !alive.has(p.toHex()))) return false
  }
  return true
}
