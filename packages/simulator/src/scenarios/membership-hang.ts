/**
 * One node hangs (SWIM, DSN 2002 section 3; Lifeguard, arXiv:1707.00788 section IV): its connections
 * stay open and nothing answers, so each neighbour that watches it must find out by probing. SWIM
 * here watches the active view only, so the few members that suspect the same node are scattered
 * and rarely hear each other's suspicions; the figure is how long the last neighbour takes.
 */
import { HYPARVIEW_LOCAL, SWIM_LOCAL } from '@saorsa-gossip/membership/proto'
import type { HyParViewConfig, SwimConfig } from '@saorsa-gossip/membership/proto'
import { membershipJoinThroughOneContact } from './membership-network.ts'

export interface HangDetectionResult {
  readonly scenario: 'hang-detection'
  readonly nodes: number
  /** Neighbours that had the hung node in their active view when it hung. */
  readonly watchers: number
  /** Virtual ms from the hang until each watcher evicted it, sorted; null for one that never did. */
  readonly evictedAfterMs: ReadonlyArray<number | null>
  /** SWIM `member-dead` events about live nodes during the run. */
  readonly falseDeaths: number
}

/**
 * N nodes join through one contact, run `warmupMs`, then the best-connected node other than the
 * contact goes silent (no peer-down, no failed dials). Watches for `observeMs`. The defaults are
 * the demo's: the LOCAL presets and 20 nodes.
 */
export async function hangDetectionScenario(options: {
  seed: number | string; nodes?: number; warmupMs?: number; observeMs?: number; swim?: SwimConfig; hyparview?: HyParViewConfig
}): Promise<HangDetectionResult> {
  const nodes = options.nodes ?? 20
  const net = membershipJoinThroughOneContact({
    seed: options.seed, nodes, connectionTimeoutMs: null, latencyMs: [1, 5],
    swim: options.swim ?? SWIM_LOCAL, hyparview: options.hyparview ?? HYPARVIEW_LOCAL,
  })
  let falseDeaths = 0
  net.sim.on('emit', (e) => {
    if (e.event.type === 'member-dead' && net.sim.isAlive(e.event.peer)) falseDeaths++
  })
  await net.sim.runForAsync(options.warmupMs ?? 20_000)
  const ids = net.sim.aliveIds()
  const degree = (i: number): number => net.core(ids[i]!).activeView().length
  let hung = 1
  for (let i = 2; i < ids.length; i++) if (degree(i) > degree(hung)) hung = i
  const victim = ids[hung]!
  const watchers = ids.filter((id) => net.core(id).activeView().some((p) => p.equals(victim)))
  const hungAt = net.sim.now
  net.sim.kill(victim)
  const evicted = new Map<string, number>()
  const observeMs = options.observeMs ?? 60_000
  while (net.sim.now - hungAt < observeMs && evicted.size < watchers.length) {
    await net.sim.runForAsync(50)
    for (const w of watchers) {
      if (!evicted.has(w.toHex()) && !net.core(w).activeView().some((p) => p.equals(victim))) evicted.set(w.toHex(), net.sim.now - hungAt)
    }
  }
  const times = watchers.map((w) => evicted.get(w.toHex()) ?? null)
  times.sort((a, b) => (a ?? Infinity) - (b ?? Infinity))
  return { scenario: 'hang-detection', nodes, watchers: watchers.length, evictedAfterMs: times, falseDeaths }
}
