/**
 * Overlay invariants for membership simulations (HyParView, DSN 2007 section 4; iroh-gossip's
 * `check_synchronicity`): active views are symmetric, no live node is isolated, view sizes stay
 * within bounds, and the active graph over live nodes is one connected component.
 * Views are given as plain maps from node key to neighbour keys, so any core can be checked.
 */

/** Node key (for example a PeerId's hex) to the keys in its active view. Only live nodes are keys. */
export type Views = ReadonlyMap<string, readonly string[]>

export interface OverlayCheck {
  readonly nodes: number
  /** Directed edges a->b whose reverse b->a is missing (both ends alive). */
  readonly asymmetricEdges: number
  /** Edges pointing at keys that are not live nodes. */
  readonly danglingEdges: number
  /** Live nodes with an empty view. */
  readonly isolated: number
  /** Live nodes whose view size is outside [minSize, maxSize]. */
  readonly outOfBounds: number
  /** Connected components of the undirected active graph over live nodes. */
  readonly components: number
  readonly largestComponent: number
  /** View size to number of nodes with that size. */
  readonly histogram: Readonly<Record<string, number>>
}

export function checkOverlay(views: Views, bounds: { readonly minSize: number; readonly maxSize: number }): OverlayCheck {
  let asymmetric = 0
  let dangling = 0
  let isolated = 0
  let outOfBounds = 0
  const sets = new Map<string, Set<string>>()
  for (const [key, view] of views) sets.set(key, new Set(view))
  const histogram = new Map<number, number>()
  for (const [key, view] of views) {
    histogram.set(view.length, (histogram.get(view.length) ?? 0) + 1)
    if (view.length === 0) isolated++
    if (view.length < bounds.minSize || view.length > bounds.maxSize) outOfBounds++
    for (const peer of view) {
      const back = sets.get(peer)
      if (back === undefined) dangling++
      else if (!back.has(key)) asymmetric++
    }
  }
  const { components, largest } = connectedComponents(sets)
  const sortedHistogram: Record<string, number> = {}
  for (const size of [...histogram.keys()].sort((a, b) => a - b)) sortedHistogram[String(size)] = histogram.get(size)!
  return {
    nodes: views.size, asymmetricEdges: asymmetric, danglingEdges: dangling, isolated, outOfBounds,
    components, largestComponent: largest, histogram: sortedHistogram,
  }
}

/** True when the overlay is healthy: symmetric, no dangling edge, nobody isolated, in bounds, connected. */
export function isHealthy(check: OverlayCheck): boolean {
  return check.asymmetricEdges === 0 && check.danglingEdges === 0 && check.isolated === 0
    && check.outOfBounds === 0 && check.components <= 1
}

/** Components of the undirected graph (an edge in either direction joins two nodes). */
function connectedComponents(sets: ReadonlyMap<string, ReadonlySet<string>>): { components: number; largest: number } {
  const undirected = new Map<string, string[]>()
  for (const key of sets.keys()) undirected.set(key, [])
  for (const [key, view] of sets) {
    for (const peer of view) {
      const back = undirected.get(peer)
      if (back === undefined) continue
      undirected.get(key)!.push(peer)
      back.push(key)
    }
  }
  const seen = new Set<string>()
  let components = 0
  let largest = 0
  for (const start of undirected.keys()) {
    if (seen.has(start)) continue
    components++
    let size = 0
    const stack = [start]
    seen.add(start)
    while (stack.length > 0) {
      const key = stack.pop()!
      size++
      for (const peer of undirected.get(key)!) {
        if (!seen.has(peer)) {
          seen.add(peer)
          stack.push(peer)
        }
      }
    }
    if (size > largest) largest = size
  }
  return { components, largest }
}
