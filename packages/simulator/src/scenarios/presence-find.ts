/**
 * FIND_USER over friends of friends in the simulator (SPEC.md section 13.6): a FOAF query walks the
 * HyParView overlay of a PresenceNetwork with fanout 3 and TTL 3, each node dropping a query it has
 * seen; a node whose presence core has heard the target (or is the target) answers with the
 * target's addresses sealed to the requester's one-time ML-KEM-768 key, which ends the walk there.
 * The walk follows the coordinator's FOAF user query (SPEC.md 9.4, where an answered user query
 * also stops) on the overlay at one virtual instant, without its signatures and rate limits;
 * answers and sealing are the real presence code. `packages/node/test/presence*.test.ts` run
 * FIND_USER over the real FOAF protocol.
 */
import { encodeFindUserAnswer, decodeFindUserAnswer } from '@saorsa-gossip/presence/wire'
import { findUserKeys, openAnswer, sealAnswer, type PresenceEvent } from '@saorsa-gossip/presence/proto'
import { sample, type PeerId, type Rng } from '@saorsa-gossip/types'
import type { PresenceNetwork } from '../stacks/presence-network.ts'

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

/** One FIND_USER from `requester` for `target`. */
export function findUserWalk(p: PresenceNetwork, requester: PeerId, target: PeerId, rng: Rng, fanout = 3, ttl = 3): FindTrial {
  const keys = findUserKeys(rng)
  const qid = rng.fill(new Uint8Array(16))
  const seen = new Set([requester.toHex()])
  const replies: Array<{ kemCt: Uint8Array; nonce: Uint8Array; ct: Uint8Array }> = []
  let frontier: Array<{ node: PeerId; from: PeerId }> = sample(rng, activeView(p, requester), fanout)
    .map((node) => ({ node, from: requester }))
  for (let hop = 1; hop <= ttl && frontier.length > 0; hop++) {
    const next: Array<{ node: PeerId; from: PeerId }> = []
    for (const { node, from } of frontier) {
      if (seen.has(node.toHex())) continue
      seen.add(node.toHex())
      const out = p.input(node, { type: 'command', command: { type: 'find-query', requestId: hop, requester, target } })
      const answer = out.flatMap((o) => (o.type === 'emit' && o.event.type === 'find-answer' ? [o.event] : []))[0] as Extract<PresenceEvent, { type: 'find-answer' }> | undefined
      if (answer?.answer !== undefined) {
        const found = answer.answer
        replies.push(sealAnswer(keys.publicKey, qid, target, encodeFindUserAnswer({ ...found }), rng))
        continue
      }
      if (hop === ttl) continue
      const onward = activeView(p, node).filter((n) => !n.equals(from))
      for (const n of sample(rng, onward, fanout)) next.push({ node: n, from: node })
    }
    frontier = next
  }
  const found = replies.some((r) => {
    const plain = openAnswer(keys.secretKey, qid, target, r)
    return plain !== undefined && decodeFindUserAnswer(plain).target.equals(target)
  })
  return { found, touched: seen.size - 1, replies: replies.length }
}
