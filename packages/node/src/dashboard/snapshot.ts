/**
 * What the topology page draws: nodes with their SWIM state and message counters, and the links
 * between them (HyParView active and passive views). Built from the views nodes report about
 * themselves, so it shows exactly what the overlay knows, including members it believes dead.
 */
import type { NodeStatus, PeerInfo } from '../status.ts'

export type MemberState = 'alive' | 'suspect' | 'dead'

export interface SnapshotNode {
  id: string
  state: MemberState
  /** Counters of nodes that report themselves; absent for nodes only seen in others' views. */
  delivered?: number
  published?: number
}

export interface SnapshotLink {
  from: string
  to: string
  kind: 'active' | 'passive'
}

export interface TopologySnapshot {
  takenAtMs: number
  nodes: SnapshotNode[]
  links: SnapshotLink[]
}

export interface NodeReport {
  status: NodeStatus
  peers: PeerInfo[]
}

const WORST: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2 }

/** Merges the reports of one or more nodes; a member's state is the worst any reporter holds. */
export function topologyOf(reports: readonly NodeReport[], nowMs: number): TopologySnapshot {
  const nodes = new Map<string, SnapshotNode>()
  const links = new Map<string, SnapshotLink>()
  const mark = (id: string, state: MemberState) => {
    const known = nodes.get(id)
    if (known === undefined) nodes.set(id, { id, state })
    else if (WORST[state] > WORST[known.state]) known.state = state
  }
  for (const { status } of reports) {
    mark(status.peerId, 'alive')
    Object.assign(nodes.get(status.peerId)!, { delivered: status.delivered, published: status.published })
  }
  for (const { status, peers } of reports) {
    for (const p of peers) {
      mark(p.peerId, p.health ?? 'alive')
      if (p.view === 'connected') continue
      const [a, b] = [status.peerId, p.peerId].sort()
      const key = `${a}-${b}`
      // An active link wins over a passive entry of the same pair.
      if (links.get(key)?.kind !== 'active') links.set(key, { from: status.peerId, to: p.peerId, kind: p.view })
    }
  }
  return { takenAtMs: nowMs, nodes: [...nodes.values()], links: [...links.values()] }
}
