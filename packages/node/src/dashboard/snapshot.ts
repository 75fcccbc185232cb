/**
 * What the topology page draws: nodes with their SWIM state, message counters and advertised roles,
 * the links between them (HyParView active and passive views), each topic's Plumtree eager tree, and
 * the coordinators and groups the reporting nodes know. Built from what nodes report about
 * themselves, so it shows exactly what the overlay knows, including members it believes dead.
 */
import type { NodeStatus, PeerInfo, TopicTree } from '../status.ts'

export type MemberState = 'alive' | 'suspect' | 'dead'

export interface SnapshotNode {
  id: string
  state: MemberState
  /** Counters of nodes that report themselves; absent for nodes only seen in others' views. */
  delivered?: number
  published?: number
  /** Roles from a verified coordinator advert (coordinator, reflector, relay, rendezvous). */
  roles?: string[]
}

export interface SnapshotLink {
  from: string
  to: string
  kind: 'active' | 'passive'
}

/** A topic's eager-push links (Plumtree's spanning tree), merged over the reporting nodes. */
export interface SnapshotTree {
  topic: string
  links: Array<{ from: string; to: string }>
}

export interface SnapshotCoordinator {
  peerId: string
  roles: string[]
  nat: string
}

export interface SnapshotGroup {
  groupId: string
  epoch: number
  /** Members as the reporting nodes list them (hex PeerIds). */
  members: string[]
}

export interface TopologySnapshot {
  takenAtMs: number
  nodes: SnapshotNode[]
  links: SnapshotLink[]
  trees: SnapshotTree[]
  coordinators: SnapshotCoordinator[]
  groups: SnapshotGroup[]
}

export interface NodeReport {
  status: NodeStatus
  peers: PeerInfo[]
  /** `node.topicTrees()` (or the `pubsub.trees` control method). */
  trees?: TopicTree[]
  /** Verified coordinator adverts the node caches (`coordinator.list`). */
  coordinators?: SnapshotCoordinator[]
  /** The node's MLS groups with their members. */
  groups?: SnapshotGroup[]
}

const WORST: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2 }
const pair = (a: string, b: string): string => (a < b ? `${a}-${b}` : `${b}-${a}`)

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
      const key = pair(status.peerId, p.peerId)
      // An active link wins over a passive entry of the same pair.
      if (links.get(key)?.kind !== 'active') links.set(key, { from: status.peerId, to: p.peerId, kind: p.view })
    }
  }
  return {
    takenAtMs: nowMs, nodes: [...nodes.values()], links: [...links.values()],
    trees: treesOf(reports), coordinators: coordinatorsOf(reports, nodes), groups: groupsOf(reports),
  }
}

/** A link is in a topic's tree if either end pushes eagerly over it (Plumtree keeps both ends in step). */
function treesOf(reports: readonly NodeReport[]): SnapshotTree[] {
  const trees = new Map<string, Map<string, { from: string; to: string }>>()
  for (const { status, trees: own = [] } of reports) {
    for (const t of own) {
      let links = trees.get(t.topic)
      if (links === undefined) trees.set(t.topic, (links = new Map()))
      for (const peer of t.eager) links.set(pair(status.peerId, peer), { from: status.peerId, to: peer })
    }
  }
  return [...trees].sort(([a], [b]) => (a < b ? -1 : 1)).map(([topic, links]) => ({ topic, links: [...links.values()] }))
}

function coordinatorsOf(reports: readonly NodeReport[], nodes: Map<string, SnapshotNode>): SnapshotCoordinator[] {
  const found = new Map<string, SnapshotCoordinator>()
  for (const r of reports) for (const c of r.coordinators ?? []) if (!found.has(c.peerId)) found.set(c.peerId, { peerId: c.peerId, roles: [...c.roles], nat: c.nat })
  for (const c of found.values()) {
    const node = nodes.get(c.peerId)
    if (node !== undefined) node.roles = [...c.roles]
  }
  return [...found.values()].sort((a, b) => (a.peerId < b.peerId ? -1 : 1))
}

function groupsOf(reports: readonly NodeReport[]): SnapshotGroup[] {
  const found = new Map<string, SnapshotGroup>()
  for (const r of reports) {
    for (const g of r.groups ?? []) {
      const known = found.get(g.groupId)
      // Members learn commits at slightly different times: show the newest epoch anyone reports.
      if (known === undefined || g.epoch > known.epoch) found.set(g.groupId, { groupId: g.groupId, epoch: g.epoch, members: [...g.members].sort() })
    }
  }
  return [...found.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
}
