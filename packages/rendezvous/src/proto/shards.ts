/**
 * Which shard topics the rendezvous core is on and why (SPEC.md section 11.5): each provided target
 * and each running seek uses its shard; the topic is joined with the first user and left a grace
 * period after the last, and a generation number makes a leave timer that a new user overtook stale.
 */
interface ShardUse { users: number; generation: number }

export class ShardMemberships {
  readonly #shards = new Map<number, ShardUse>()

  /** One more user of `shard`; true when its topic must be joined now. */
  acquire(shard: number): boolean {
    let use = this.#shards.get(shard)
    const joinNow = use === undefined
    if (use === undefined) this.#shards.set(shard, (use = { users: 0, generation: 0 }))
    use.users++
    use.generation++
    return joinNow
  }

  /** One user fewer; when it was the last, the generation to put in the leave timer. */
  release(shard: number): number | undefined {
    const use = this.#shards.get(shard)
    if (use === undefined || use.users === 0) return undefined
    use.users--
    if (use.users > 0) return undefined
    return ++use.generation
  }

  /** At a leave timer: true when the topic is left now (nobody used the shard since the timer was set). */
  leave(shard: number, generation: number): boolean {
    const use = this.#shards.get(shard)
    if (use === undefined || use.users > 0 || use.generation !== generation) return false
    this.#shards.delete(shard)
    return true
  }
}
