/**
 * FIND_USER over friends of friends in the simulator (SPEC.md sections 9.4 and 13.6): presence's
 * requester and answerer code over the coordinator's FOAF core on every node of a PresenceNetwork,
 * evaluated on the HyParView overlay at one virtual instant.
 */
import { COORDINATOR_LAN } from '@saorsa-gossip/coordinator'
import { FoafCore, type FoafMessage, type FoafOutput } from '@saorsa-gossip/coordinator/proto'
import { answerFindUserQuery, FIND_USER_DEFAULT, findUser, type FoafRouter } from '@saorsa-gossip/presence'
import type { PresenceEvent } from '@saorsa-gossip/presence/proto'
import { bytesEqual, concatBytes, LIMITS, payloadHash, PeerId, type Rng } from '@saorsa-gossip/types'
import { PRESENCE_WALL0, type PresenceNetwork } from '../stacks/presence-network.ts'

export interface FindTrial {
  readonly found: boolean
  /** Distinct nodes the query reached (the requester not counted). */
  readonly touched: number
  readonly replies: number
}

/** The node's HyParView active view (empty on a fixed-graph network). */
export function activeView(p: PresenceNetwork, id: PeerId): PeerId[] {
  const stack = p.net.stack(id)
  return 'membership' in stack ? stack.membership.activeView() : []
}

/** Overlay distances from `from` (BFS over active views). */
export function overlayDistances(p: PresenceNetwork, from: PeerId): Map<string, number> {
  const dist = new Map([[from.toHex(), 0]])
  const queue = [from]
  for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
    for (const n of activeView(p, at)) {
      if (dist.has(n.toHex())) continue
      dist.set(n.toHex(), dist.get(at.toHex())! + 1)
      queue.push(n)
    }
  }
  return dist
}

/**
 * FIND_USER as shipped: presence's `findUser` (one-time ML-KEM key, sealed answers, first answer
 * ends the wait) over the coordinator's real FOAF core on every node (fanout 3, TTL 3, dedupe,
 * reverse-path replies, rate limits, an answered user query stops there), its neighbours the
 * node's active view at this virtual instant and its messages delivered in order at once. Each
 * node answers with presence's `answerFindUserQuery` from its real presence core. Queries are
 * signed with a hash in place of ML-DSA (the same accept/reject behaviour, none of the CPU).
 */
export class FoafFinder {
  readonly #p: PresenceNetwork
  /** By simulated PeerId: the node's FOAF core and the FOAF identity it signs queries as. */
  readonly #nodes = new Map<string, { readonly core: FoafCore; readonly foafId: PeerId; readonly sim: PeerId }>()
  readonly #bySimOf = new Map<string, PeerId>()

  constructor(p: PresenceNetwork, rng: Rng) {
    this.#p = p
    for (const sim of p.ids) {
      const publicKey = rng.fill(new Uint8Array(LIMITS.mldsa65PublicKeyBytes))
      const foafId = PeerId.fromPublicKey(publicKey)
      const answerRng = rng
      const core = new FoafCore({
        self: foafId, publicKey, config: COORDINATOR_LAN.foaf, clockSkewMs: 30_000, rng: p.net.sim.forkRng(`foaf:${sim.toHex()}`),
        sign: (body) => payloadHash(concatBytes(publicKey, body)),
        verify: (pk, body, sig) => bytesEqual(payloadHash(concatBytes(pk, body)), sig),
        answer: (target, _wallMs, query) => {
          if (target.kind !== 'user') return []
          const requester = this.#bySimOf.get(query.requester.toHex())!
          const reply = answerFindUserQuery({ requester, target: PeerId.fromBytes(target.id), payload: query.payload ?? new Uint8Array(0) }, (who, user) => {
            const out = p.input(sim, { type: 'command', command: { type: 'find-query', requestId: 1, requester: who, target: user } })
            const answer = out.flatMap((o) => (o.type === 'emit' && o.event.type === 'find-answer' ? [o.event] : []))[0] as Extract<PresenceEvent, { type: 'find-answer' }> | undefined
            return answer?.answer
          }, answerRng)
          return reply === undefined ? [] : [reply]
        },
      })
      core.handle({ type: 'command', command: { type: 'wall-clock', wallMs: PRESENCE_WALL0 } }, 0, [])
      this.#nodes.set(sim.toHex(), { core, foafId, sim })
      this.#bySimOf.set(foafId.toHex(), sim)
    }
  }

  /** One FIND_USER from `requester` for `target`: found (by presence's own check) and distinct nodes handling it. */
  async find(requester: PeerId, target: PeerId, rng: Rng): Promise<FindTrial> {
    const now = this.#p.net.sim.now
    for (const node of this.#nodes.values()) this.#syncNeighbours(node, now)
    const handledBefore = new Map([...this.#nodes].map(([hex, n]) => [hex, n.core.handled]))
    let replies = 0
    const router: FoafRouter = {
      answerUserQueries: () => undefined,
      queryUser: async (user, payload, options) => {
        const me = this.#nodes.get(requester.toHex())!
        const records: Uint8Array[] = []
        const queue: Array<{ from: PeerId; to: PeerId; msg: FoafMessage }> = []
        const drain = (from: PeerId, out: FoafOutput[]): void => {
          for (const o of out) {
            if (o.type === 'send') queue.push({ from, to: o.to, msg: o.msg })
            if (o.type === 'emit' && o.event.type === 'answer') records.push(...o.event.records)
          }
        }
        const out: FoafOutput[] = []
        me.core.handle({ type: 'command', command: { type: 'find', target: { kind: 'user', id: user.bytes }, ref: 1, payload, ttl: options.ttl } }, now, out)
        drain(me.foafId, out)
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          const to = this.#nodes.get(this.#bySimOf.get(next.to.toHex())!.toHex())!
          const o: FoafOutput[] = []
          to.core.handle({ type: 'recv', from: next.from, msg: next.msg }, now, o)
          drain(to.foafId, o)
        }
        // Every message is delivered (the query travels on after the requester has its answer), so
        // `touched` is the query's true reach; `settle` only changes when the requester stops waiting.
        options.settle?.(records)
        replies = records.length
        return records
      },
    }
    let found = false
    try {
      found = (await findUser(target, router, undefined, FIND_USER_DEFAULT, rng, {})).via === 'foaf'
    } catch (err) {
      if (!(err instanceof Error && err.name === 'UserNotFoundError')) throw err
    }
    const touched = [...this.#nodes].filter(([hex, n]) => n.core.handled > handledBefore.get(hex)!).length
    return { found, touched, replies }
  }

  #syncNeighbours(node: { core: FoafCore; sim: PeerId }, now: number): void {
    const want = new Map(activeView(this.#p, node.sim).map((sim) => {
      const foafId = this.#nodes.get(sim.toHex())!.foafId
      return [foafId.toHex(), foafId] as const
    }))
    for (const [hex, peer] of node.core.neighbors) if (!want.has(hex)) node.core.handle({ type: 'peer-down', peer }, now, [])
    for (const [hex, peer] of want) if (!node.core.neighbors.has(hex)) node.core.handle({ type: 'peer-up', peer }, now, [])
  }
}