/**
 * How a HyParView node keeps its active view full (Leitao, Pereira, Rodrigues, DSN 2007, section
 * 4.3: promotion from the passive view, one request per free slot) and our extensions tuned in
 * simulation: a wider refill after unanswered requests, the active-view refresh, the merge check
 * after Dynamo's seeds (SOSP 2007 section 4.8.2) and the escape of a stuck node.
 */
import type { Outbox, PeerId, Rng } from '@saorsa-gossip/types'
import type { HyParViewConfig } from './hyparview-config.ts'
import type { ContactBook } from './hyparview-contacts.ts'
import type { PeerInfo } from './hyparview-messages.ts'
import type { PassiveView } from './hyparview-passive.ts'
import type { FailedPeers } from './hyparview-recovery.ts'
import type { NeighborRequests } from './hyparview-requests.ts'
import type { ShuffleExchange } from './hyparview-shuffle.ts'
import type { HyParViewOutput } from './hyparview-types.ts'
import type { PeerSet } from './views.ts'

/** The views and rules of the HyParView core that the repairs read and write. */
export interface RepairContext {
  readonly config: HyParViewConfig
  readonly rng: Rng
  readonly active: PeerSet<PeerInfo>
  readonly passive: PassiveView
  readonly requests: NeighborRequests
  readonly shuffle: ShuffleExchange
  readonly failed: FailedPeers
  readonly book: ContactBook
  /** True while our JOIN waits for an answer. */
  joining(): boolean
  /** Drops a neighbour on purpose (DISCONNECT(alive)); it stays in our passive view. */
  evict(victim: PeerId, out: Out): void
}

type Out = Outbox<HyParViewOutput>

/**
 * Section 4.3: fill free active slots from the passive view, one outstanding request per slot. Our
 * extensions (tuned in simulation, packages/simulator/test/hyparview-kill.sim.test.ts): each request
 * that went unanswered in a row adds one more request in flight, up to the active view's hard cap,
 * since after a mass failure most passive entries are dead and asking them one neighbour timeout
 * at a time took 20 s and more; and a node left with nobody to ask after an unanswered request
 * shuffles at once, at most once per neighbour timeout, instead of waiting for its next maintenance
 * round (gated on an unanswered request so a cluster smaller than activeViewSize stays quiet).
 */
export function refill(ctx: RepairContext, out: Out, nowMs: number, skip?: PeerId): void {
  const { active, passive, requests, config } = ctx
  const deficit = config.activeViewSize - active.size
  if (deficit <= 0) return
  let missing = Math.min(deficit + requests.unanswered, config.activeViewMax - active.size) - requests.size
  while (missing > 0) {
    const candidate = passive.random((id) => {
      const key = id.toHex()
      return requests.has(key) || skip?.equals(id) === true || requests.isRefused(key, nowMs)
    })
    if (candidate === undefined) {
      if (requests.unanswered > 0 && active.size > 0 && nowMs - ctx.shuffle.lastStartedAtMs >= config.neighborTimeoutMs) ctx.shuffle.start(nowMs, true, out)
      return
    }
    requests.ask(passive.info(candidate)!, active.size === 0 ? 'high' : 'low', false, out, false)
    missing--
  }
}

/**
 * Active-view refresh (our extension, tuned in simulation): joins that arrive in a burst through one
 * contact wire each newcomer to the other newcomers of the same few milliseconds, a lattice in join
 * order with long paths, and HyParView's shuffles refresh only passive views. A node whose active
 * view is full asks one random passive peer (a near-uniform sample, thanks to the shuffles) with a
 * low-priority request; only if that peer has a free slot does the swap happen (`dropForSwap`).
 * Views stay symmetric (DISCONNECT) and bounded (low priority never evicts).
 */
export function startRefresh(ctx: RepairContext, nowMs: number, out: Out): void {
  const { active, passive, requests } = ctx
  if (active.size < ctx.config.activeViewSize || requests.size > 0 || ctx.joining()) return
  const candidate = passive.random((id) => requests.isRefused(id.toHex(), nowMs))
  if (candidate !== undefined) requests.ask(passive.info(candidate)!, 'low', true, out, false)
}

/** A refresh request was accepted: one random other neighbour moves to the passive view, keeping the degree. */
export function dropForSwap(ctx: RepairContext, newcomer: PeerId, out: Out): void {
  if (ctx.active.size < ctx.config.activeViewSize) return
  const victim = ctx.active.random(ctx.rng, (id) => id.equals(newcomer))
  if (victim === undefined) return
  ctx.evict(victim, out)
}

/**
 * The merge check (after Dynamo's seeds, SOSP 2007 section 4.8.2): a joined node asks one kept
 * contact that has never been its neighbour and is in neither of its views to swap in (accepted,
 * it replaces one of our neighbours, so our degree stays). The second ask of a contact has high
 * priority, which it accepts even when full; the others low. A contact in another overlay is
 * unknown to ours, so the first accepted ask joins the two; an accepted one is met and left alone,
 * and the asks of a refusing one back off to one per 16 merge intervals.
 */
export function mergeCheck(ctx: RepairContext, nowMs: number, out: Out): void {
  const { active, passive, requests } = ctx
  if (active.size === 0 || ctx.joining() || requests.size > 0) return
  const known = (id: PeerId): boolean => active.has(id) || passive.has(id)
  // Reconnection first: a failed neighbour that answers again ends a partition, which is more
  // urgent than a contact that most likely sits in our own overlay already.
  const retry = ctx.failed.next(nowMs, known)
  if (retry !== undefined) {
    requests.ask(retry.peer, retry.priority, true, out, true)
    return
  }
  const probe = ctx.book.nextMergeProbe(nowMs, known)
  if (probe?.type === 'ask') requests.ask(probe.peer, probe.priority, true, out, true)
  else if (probe?.type === 'dial') out.push({ type: 'emit', event: { type: 'dial', addr: probe.addr } })
}

/**
 * A stuck node (see STUCK_MAINTENANCE_ROUNDS) sends one high-priority NEIGHBOR request, which is
 * accepted even by a full peer (section 4.3; that peer drops one of its own neighbours), to a
 * passive peer, else a kept contact: its cut-off group gets one edge out, and its shuffles then
 * leave the group. At most one such request per two stuck periods. Failed neighbours are left to
 * the reconnection's backoff: a small cluster is short for good, and would otherwise keep
 * dialling its dead.
 */
export function escape(ctx: RepairContext, out: Out): void {
  const { active, passive, requests } = ctx
  const taken = (id: PeerId): boolean => active.has(id) || requests.has(id.toHex()) || ctx.failed.has(id)
  const candidate = passive.random(taken)
  const contacts = ctx.book.known().filter((c) => !taken(c.id))
  const target = candidate !== undefined ? passive.info(candidate) : contacts.length > 0 ? contacts[ctx.rng.nextInt(contacts.length)] : undefined
  if (target !== undefined) requests.ask(target, 'high', false, out, false)
}
