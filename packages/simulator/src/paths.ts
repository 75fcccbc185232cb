/**
 * Shortest-path statistics of an overlay's active graph (breadth-first search from a sample of
 * nodes), the measure behind broadcast latency in hops: Plumtree's eager tree follows the
 * overlay's edges (Leitao, Pereira, Rodrigues, SRDS 2007), so its depth is bounded below by them.
 */
import type { Views } from './invariants.ts'

export interface PathStats {
  /** BFS sources (every `ceil(nodes / samples)`-th node in key order). */
  readonly sources: number
  /** Mean hop count from the sources to every node they reach. */
  readonly meanPathLength: number
  /** Largest hop count seen from any source (the diameter when every node is a source). */
  readonly maxPathLength: number
  /** Source-to-node pairs with no path (0 for a connected overlay). */
  readonly unreachable: number
}

/** Follows edges in either direction, like `checkOverlay`'s components; keys outside `views` are skipped. */
export function pathStats(views: Views, samples = 50): PathStats {
  const undirected = new Map<string, Set<string>>()
  for (const key of views.keys()) undirected.set(key, new Set())
  for (const [key, view] of views) {
    for (const peer of view) {
      if (!undirected.has(peer)) continue
      undirected.get(key)!.add(peer)
      undirected.get(peer)!.add(key)
    }
  }
  const keys = [...undirected.keys()].sort()
  const step = Math.max(1, Math.ceil(keys.length / samples))
  let sources = 0
  let total = 0
  let pairs = 0
  let max = 0
  let unreachable = 0
  for (let s = 0; s < keys.length; s += step) {
    sources++
    const distance = new Map<string, number>([[keys[s]!, 0]])
    const queue = [keys[s]!]
    for (let i = 0; i < queue.length; i++) {
      const here = queue[i]!
      const d = distance.get(here)! + 1
      for (const next of undirected.get(here)!) {
        if (distance.has(next)) continue
        distance.set(next, d)
        queue.push(next)
        total += d
        pairs++
        if (d > max) max = d
      }
    }
    unreachable += keys.length - distance.size
  }
  return { sources, meanPathLength: pairs === 0 ? 0 : total / pairs, maxPathLength: max, unreachable }
}
