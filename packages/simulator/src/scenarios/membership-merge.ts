/**
 * Overlays that form apart, with the composite membership core: two overlays joined separately
 * (each through its own contact) that one node of each then learns of, and nodes that all join at
 * once with several contacts each, so that the first contacts alone would split them. HyParView
 * (DSN 2007) never merges such overlays; the merge check (after Dynamo's seeds, SOSP 2007 section
 * 4.8.2) does. And a partition that outlasts SWIM's failure detection, after which each half
 * has declared the other dead: reconnection to failed neighbours (after Serf's reconnect) joins
 * them again. Results are plain JSON without wall-clock figures.
 */
import type { PeerId } from '@saorsa-gossip/types'
import { shuffled } from '@saorsa-gossip/types'
import type { HyParViewConfig } from '@saorsa-gossip/membership/proto'
import { isHealthy } from '../invariants.ts'
import type { OverlayCheck } from '../invariants.ts'
import type { SimReport } from '../stats.ts'
import { MembershipNetwork, membershipJoinThroughOneContact } from './membership-network.ts'

export interface OverlayMergeResult {
  readonly scenario: 'overlay-merge'
  readonly nodesPerOverlay: number
  /** Components just before the two nodes learn of each other (2 when the overlays formed apart). */
  readonly componentsBefore: number
  /** Virtual ms from learning until one component, or null if the overlays stayed apart. */
  readonly mergedAfterMs: number | null
  /** Active edges between the two former overlays at the end of the run. */
  readonly bridgeEdges: number
  readonly check: OverlayCheck
  readonly network: SimReport
}

/**
 * Two overlays of N nodes, each joined through its own contact within one second, run apart for
 * `formMs`; then one random node of each learns of a random node of the other, and the run goes on
 * for `observeMs`, or only `settleMs` past the merge when given.
 */
export async function overlayMergeScenario(options: {
  seed: number | string; nodesPerOverlay: number; formMs?: number; observeMs?: number; settleMs?: number; hyparview?: HyParViewConfig
}): Promise<OverlayMergeResult> {
  const net = new MembershipNetwork({ seed: options.seed, ...(options.hyparview === undefined ? {} : { hyparview: options.hyparview }) })
  const schedule = net.sim.forkRng('join-schedule')
  const overlays: PeerId[][] = [[], []]
  for (const overlay of overlays) {
    const contact = net.addNode()
    overlay.push(contact)
    net.join(contact, [])
    for (let i = 1; i < options.nodesPerOverlay; i++) {
      const id = net.addNode()
      overlay.push(id)
      net.sim.at(schedule.nextInt(1_000) + 1, () => net.join(id, [contact]))
    }
  }
  await net.sim.runForAsync(options.formMs ?? 60_000)
  const componentsBefore = net.check().components
  const pick = net.sim.forkRng('learners')
  const a = overlays[0]![pick.nextInt(options.nodesPerOverlay)]!
  const b = overlays[1]![pick.nextInt(options.nodesPerOverlay)]!
  net.learn(a, [b])
  net.learn(b, [a])
  const learnedAt = net.sim.now
  const observeMs = options.observeMs ?? 120_000
  const merged = await net.sim.runUntilAsync(() => net.check().components === 1, { timeoutMs: observeMs, checkEveryMs: 100 })
  const mergedAfterMs = merged ? net.sim.now - learnedAt : null
  const endMs = merged && options.settleMs !== undefined ? Math.min(net.sim.now + options.settleMs, learnedAt + observeMs) : learnedAt + observeMs
  await net.sim.runForAsync(endMs - net.sim.now)
  const first = new Set(overlays[0]!.map((id) => id.toHex()))
  let bridgeEdges = 0
  for (const id of overlays[0]!) for (const p of net.core(id).activeView()) if (!first.has(p.toHex())) bridgeEdges++
  return {
    scenario: 'overlay-merge', nodesPerOverlay: options.nodesPerOverlay, componentsBefore, mergedAfterMs, bridgeEdges,
    check: net.check(), network: net.sim.report(),
  }
}

export interface ConcurrentJoinResult {
  readonly scenario: 'concurrent-join'
  readonly nodes: number
  readonly contactsPerNode: number
  /** Components of the graph "node -> its first contact": how far first contacts alone would split it. */
  readonly firstContactGroups: number
  /** Components of the overlay `atMs` after the joins. */
  readonly componentsAt: ReadonlyArray<{ readonly atMs: number; readonly components: number }>
  /** Virtual ms after the joins until the overlay was one component, or null. */
  readonly oneComponentAtMs: number | null
  readonly check: OverlayCheck
  readonly network: SimReport
}

/**
 * N nodes that all join within `spreadMs`, each with `contactsPerNode` random other nodes as
 * contacts, the first of them drawn from its own group of `groups` so that first contacts alone
 * would leave `groups` overlays (the 94 + 6 split seen on loopback is groups of unequal size).
 */
export async function concurrentJoinScenario(options: {
  seed: number | string; nodes: number; contactsPerNode: number; groups?: readonly number[]; spreadMs?: number
  runMs?: number; sampleAtMs?: readonly number[]; hyparview?: HyParViewConfig
}): Promise<ConcurrentJoinResult> {
  const net = new MembershipNetwork({ seed: options.seed, ...(options.hyparview === undefined ? {} : { hyparview: options.hyparview }) })
  const ids = Array.from({ length: options.nodes }, () => net.addNode())
  const rng = net.sim.forkRng('contacts')
  const sizes = options.groups ?? [options.nodes]
  const groupOf: number[] = sizes.flatMap((size, g) => Array.from({ length: size }, () => g))
  const firstOf = new Map<string, string>()
  for (const [i, id] of ids.entries()) {
    const mates = ids.filter((_, j) => j !== i && groupOf[j] === groupOf[i])
    const first = mates[rng.nextInt(mates.length)]!
    const others = shuffled(rng, ids.filter((other) => !other.equals(id) && !other.equals(first))).slice(0, options.contactsPerNode - 1)
    firstOf.set(id.toHex(), first.toHex())
    net.sim.at(rng.nextInt(options.spreadMs ?? 10) + 1, () => net.join(id, [first, ...others]))
  }
  const samples = [...(options.sampleAtMs ?? [])].sort((x, y) => x - y)
  const componentsAt: Array<{ atMs: number; components: number }> = []
  let oneComponentAtMs: number | null = null
  const runMs = options.runMs ?? 120_000
  while (net.sim.now < runMs) {
    await net.sim.runForAsync(Math.min(100, runMs - net.sim.now))
    const components = net.check().components
    if (oneComponentAtMs === null && components === 1 && net.sim.now > (options.spreadMs ?? 10)) oneComponentAtMs = net.sim.now
    while (samples.length > 0 && samples[0]! <= net.sim.now) componentsAt.push({ atMs: samples.shift()!, components })
  }
  return {
    scenario: 'concurrent-join', nodes: options.nodes, contactsPerNode: options.contactsPerNode,
    firstContactGroups: countGroups(firstOf), componentsAt, oneComponentAtMs, check: net.check(), network: net.sim.report(),
  }
}

/** Connected components of the undirected graph with an edge from each node to its first contact. */
function countGroups(firstOf: ReadonlyMap<string, string>): number {
  const parent = new Map<string, string>()
  const find = (x: string): string => {
    let root = x
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!
    parent.set(x, root)
    return root
  }
  for (const key of firstOf.keys()) parent.set(key, key)
  for (const [key, first] of firstOf) parent.set(find(key), find(first))
  return new Set([...firstOf.keys()].map(find)).size
}

export interface PartitionHealResult {
  readonly scenario: 'partition-heal'
  readonly nodes: number
  /** Components when the partition heals (2 once each half has dropped every link across the cut). */
  readonly componentsAtHeal: number
  /** Active edges across the cut when the partition heals. */
  readonly crossEdgesAtHeal: number
  /** Virtual ms from the heal until one component, or null. */
  readonly oneComponentAfterMs: number | null
  /** Virtual ms from the heal until the overlay was healthy (one symmetric component, views in bounds), or null. */
  readonly healthyAfterMs: number | null
  readonly check: OverlayCheck
  readonly network: SimReport
}

/**
 * N nodes join through one contact and run `warmupMs` (three shuffle periods by default); the
 * network is then cut into two random halves for `partitionMs` and healed, and the run watches
 * the overlay for `observeMs`.
 */
export async function partitionHealScenario(options: {
  seed: number | string; nodes: number; warmupMs?: number; partitionMs?: number; observeMs?: number
}): Promise<PartitionHealResult> {
  const net = membershipJoinThroughOneContact({ seed: options.seed, nodes: options.nodes })
  await net.sim.runForAsync(options.warmupMs ?? 90_000)
  const ids = shuffled(net.sim.forkRng('halves'), net.sim.aliveIds())
  const half = new Set(ids.slice(0, ids.length >> 1).map((id) => id.toHex()))
  net.sim.partition([ids.slice(0, ids.length >> 1), ids.slice(ids.length >> 1)])
  await net.sim.runForAsync(options.partitionMs ?? 60_000)
  const componentsAtHeal = net.check().components
  let crossEdgesAtHeal = 0
  for (const id of ids) for (const p of net.core(id).activeView()) if (half.has(id.toHex()) !== half.has(p.toHex())) crossEdgesAtHeal++
  net.sim.heal()
  const healedAt = net.sim.now
  let oneComponentAfterMs: number | null = null
  let healthyAfterMs: number | null = null
  const observeMs = options.observeMs ?? 120_000
  while (net.sim.now - healedAt < observeMs && healthyAfterMs === null) {
    await net.sim.runForAsync(100)
    const check = net.check()
    if (oneComponentAfterMs === null && check.components === 1) oneComponentAfterMs = net.sim.now - healedAt
    if (isHealthy(check)) healthyAfterMs = net.sim.now - healedAt
  }
  return {
    scenario: 'partition-heal', nodes: options.nodes, componentsAtHeal, crossEdgesAtHeal: crossEdgesAtHeal / 2,
    oneComponentAfterMs, healthyAfterMs, check: net.check(), network: net.sim.report(),
  }
}
