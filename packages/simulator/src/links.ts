/**
 * The simulated network between nodes, apart from latency: which pairs hold a connection and in
 * which generation (so a close notice that crossed a reconnection is recognised as stale), the
 * failed dials awaiting their timeout, and partitions that cut the network into groups.
 * Nodes are the simulator's dense indices; a pair is one number, so the maps stay small and fast.
 */

/** Up to 4,194,304 nodes: a pair key stays below 2^53. */
const PAIR_SPACE = 4_194_304

export class LinkTable {
  readonly #generation = new Map<number, number>()
  readonly #pendingDialFailures = new Set<number>()
  #groups: Int32Array | undefined

  /** A new connection between `a` and `b`: any close notice still on its way for the previous one is now stale. */
  reconnect(a: number, b: number): void {
    const key = pairKey(a, b)
    this.#generation.set(key, (this.#generation.get(key) ?? 0) + 1)
  }

  /** The current connection generation of a pair (0 before its first connection). */
  generation(a: number, b: number): number {
    return this.#generation.get(pairKey(a, b)) ?? 0
  }

  /** Marks a failed dial from `from` to `to` as pending; false if one is already pending. */
  beginDialFailure(from: number, to: number): boolean {
    const key = from * PAIR_SPACE + to
    if (this.#pendingDialFailures.has(key)) return false
    this.#pendingDialFailures.add(key)
    return true
  }

  endDialFailure(from: number, to: number): void {
    this.#pendingDialFailures.delete(from * PAIR_SPACE + to)
  }

  /** Group per node index (-1: the group of every node not listed); `nodeCount` sizes the map. */
  partition(groupsOfNodes: ReadonlyArray<readonly number[]>, nodeCount: number): void {
    const map = new Int32Array(nodeCount).fill(-1)
    groupsOfNodes.forEach((group, g) => {
      for (const index of group) map[index] = g
    })
    this.#groups = map
  }

  heal(): void {
    this.#groups = undefined
  }

  /** Keeps the partition map covering nodes added after it was made (they join the unlisted group). */
  grow(nodeCount: number): void {
    const groups = this.#groups
    if (groups === undefined) return
    const grown = new Int32Array(nodeCount).fill(-1)
    grown.set(groups.subarray(0, Math.min(groups.length, nodeCount)))
    this.#groups = grown
  }

  /** Whether a partition separates the two nodes. */
  separated(a: number, b: number): boolean {
    const groups = this.#groups
    return groups !== undefined && groups[a] !== groups[b]
  }
}

function pairKey(a: number, b: number): number {
  return a < b ? a * PAIR_SPACE + b : b * PAIR_SPACE + a
}
