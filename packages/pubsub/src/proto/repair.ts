/**
 * Tree repair and anti-entropy for the PubSub core: lazy push (`lazy-push.ts`), graft timers that
 * GRAFT the first announcer of a missing message and then the next (Plumtree, SRDS 2007, section
 * 3.3, with iroh-gossip's two timeouts), the tree optimisation rule (section 3.6: a lazy path
 * `optimizationThreshold` hops shorter replaces the eager one), PRUNE handling, and the periodic
 * IBLT sketch exchange with its HAVE/IWANT follow-up (`anti-entropy.ts`). The first graft wait
 * follows how late eager copies arrive behind their IHAVEs (RFC 6298's estimator) and widens while
 * the node itself runs late (`local-health.ts`); a message already asked for is never asked for
 * twice at once, and grafts draw from a per-second budget.
 */
import type { MessageId, PeerId, TopicId } from '@saorsa-gossip/types'
import { bytesEqual, LIMITS } from '@saorsa-gossip/types'
import { buildSketch, chunks, diffSketch, digestWindow, largerSketch, windowDigest } from './anti-entropy.ts'
import { IBLT_CELL_BYTES } from './iblt.ts'
import { TimedMap } from './caches.ts'
import type { PubSubConfig } from './config.ts'
import type { LocalHealth } from './local-health.ts'
import type {
  DigestMessage, DropReason, GraftMessage, HaveMessage, IHaveMessage, IWantMessage, PruneMessage, PubSubOutbox, PublishMessage, SketchMessage,
} from './messages.ts'
import type { PeerState } from './peers.ts'
import { LazyPush } from './lazy-push.ts'
import { GraftPromises } from './promises.ts'
import { RttEstimator } from './rtt-estimator.ts'
import { TokenBucket } from './token-bucket.ts'
import type { TopicState } from './topic.ts'

/**
 * What repair may read of the core and ask of it. Everything else about the core (key book,
 * admission, delivery) is out of its reach.
 */
export interface RepairHost {
  /** State of a joined topic, by topic hex. */
  topic(topicHex: string): TopicState | undefined
  joinedTopics(): Iterable<TopicState>
  isNeighbor(peerHex: string): boolean
  peer(id: PeerId, nowMs: number): PeerState
  canBeEager(peer: PeerState, nowMs: number): boolean
  isGraylisted(peer: PeerState, nowMs: number): boolean
  /** Already delivered (or held for validation): never fetched again. */
  hasSeen(idHex: string, nowMs: number): boolean
  /** Asked for by anti-entropy IWANT and not yet arrived. */
  isFetching(idHex: string, nowMs: number): boolean
  markFetching(idHex: string, fromHex: string, nowMs: number): void
  drop(reason: DropReason): void
  penalize(peer: PeerState, counter: 'brokenPromise', nowMs: number, out: PubSubOutbox): void
  /** `msg`, with the origin's key attached if this is the first of its origin's messages to `peerHex`. */
  withKeyFor(peerHex: string, msg: PublishMessage): PublishMessage
  /** `peerHex` announced a message of `origin` (so it verified it and holds the origin's key). */
  keyHeldBy(peerHex: string, origin: PeerId): void
  /** A random neighbour in the topic's tree (eager or lazy). */
  randomTopicPeer(state: TopicState): PeerId | undefined
  /** Our wall clock (Unix ms). */
  wallNow(nowMs: number): number
}

interface Missing {
  readonly id: MessageId
  readonly topicHex: string
  readonly announcers: Array<{ readonly peer: PeerId; readonly hop: number }>
  attempt: number
  requested: PeerId | undefined
  /** When the current wait began (the first IHAVE, or the last GRAFT). */
  sinceMs: number
  /** When the first IHAVE arrived. */
  readonly announcedMs: number
}

/** The peers we GRAFTed for a message, and whether its eager copy has been timed since. */
interface Grafted {
  readonly peers: string[]
  readonly announcedMs: number
  timed: boolean
}

/** Repair work done, for harnesses and the repair-storm bounds in the simulator. */
export interface RepairCounters {
  /** GRAFTs that asked for a missing message. */
  grafts: number
  /** Ids requested by anti-entropy IWANT. */
  iwantIds: number
  /** Graft timers that found the wait widened by local lag, or a fetch already under way, and waited on. */
  deferred: number
  /** Graft timers that waited for a repair budget token. */
  throttled: number
  /** Eager copies that arrived after a GRAFT had already asked for them (the wait was too short). */
  lateEager: number
  /** Queued IHAVE ids not sent because the peer announced or sent the message before the flush. */
  ihaveWithdrawn: number
  /** Reconciliations opened with a digest (periodic rounds and new topic links). */
  digestsSent: number
  /** Digests received that matched our own window: nothing more was sent. */
  digestsMatched: number
  /** Digests received that did not match: we started a full reconciliation with the sender. */
  digestsDiffered: number
}

type ControlMessage = IHaveMessage | IWantMessage | GraftMessage | PruneMessage | SketchMessage | HaveMessage | DigestMessage

/** Wire bytes of one id in a `have` list: a 32-byte CBOR byte string and its 2-byte head. */
const LISTED_ID_BYTES = 34

/** Without a late copy for this long, the lateness estimate starts to decay: a stream of late copies comes faster. */
const LATENESS_GRACE_MS = 1_000
/** Half-life of the lateness estimate once it decays: LocalHealth's lag half-life. */
const LATENESS_HALF_LIFE_MS = 1_000

/** How long the peers we GRAFTed for an id are remembered; far above any round trip. */
const GRAFT_ANSWER_MS = 10_000

export class Repair {
  readonly #core: RepairHost
  readonly #config: PubSubConfig
  readonly #missing = new Map<string, Missing>()
  readonly #lazyPush: LazyPush
  /** Message id -> peers we GRAFTed for it: their copies are answers, not redundant pushes. */
  readonly #grafted: TimedMap<Grafted>
  readonly #health: LocalHealth
  readonly #budget: TokenBucket
  readonly #promises: GraftPromises
  /** How long after the first IHAVE an eager copy arrives, when it does. */
  readonly #eagerLateness = new RttEstimator()
  /** When the lateness estimate was last decayed, and when it last had a sample. */
  #latenessAtMs = 0
  #lateSampleAtMs = 0
  readonly counters: RepairCounters = {
    grafts: 0, iwantIds: 0, deferred: 0, throttled: 0, lateEager: 0, ihaveWithdrawn: 0, digestsSent: 0, digestsMatched: 0, digestsDiffered: 0,
  }

  constructor(core: RepairHost, config: PubSubConfig, health: LocalHealth, nowMs = 0) {
    this.#core = core
    this.#config = config
    this.#health = health
    this.#budget = new TokenBucket(config.repairRatePerSecond, config.repairBurst, nowMs)
    this.#grafted = new TimedMap(GRAFT_ANSWER_MS, config.maxMissing)
    this.#promises = new GraftPromises(config.maxMissing)
    this.#lazyPush = new LazyPush(config.ihaveFlushMs)
  }

  /** A copy of `idHex` arrived from `peerHex` (first or duplicate): keeps the promise it made, if any. */
  received(idHex: string, peerHex: string, nowMs: number): void {
    this.#promises.kept(idHex, peerHex, nowMs)
    this.#lazyPush.holds(peerHex, idHex)
    const grafted = this.#grafted.get(idHex, nowMs)
    if (grafted === undefined || grafted.timed || grafted.peers.includes(peerHex) || this.#core.isFetching(idHex, nowMs)) return
    // The eager copy of a message we grafted for: it was late, not lost, and the wait learns by how much.
    grafted.timed = true
    this.counters.lateEager++
    this.#sampleLateness(nowMs - grafted.announcedMs, nowMs)
  }

  /**
   * How long to wait for an eager copy after the first IHAVE: the measured lateness or the local
   * lag, whichever is longer. Lateness is SRTT + 1 RTTVAR, not TCP's 4: it is heavy-tailed (a
   * 20-node overlay saturating one core measured p50 28 ms, p90 279 ms, p99 714 ms), and waiting for
   * the tail makes every real loss wait about a second (p99 delivery 1.3 s against 0.6 s), while one
   * deviation already waits out most queueing (grafts -35 %, duplicate copies -50 %). Public for
   * harnesses and tests.
   */
  firstGraftWaitMs(nowMs: number): number {
    const { graftTimeout1Ms, maxEagerWaitMs } = this.#config
    this.#decayLateness(nowMs)
    return Math.max(this.#eagerLateness.timeoutMs(graftTimeout1Ms, maxEagerWaitMs, 1), this.#health.widen(graftTimeout1Ms, nowMs))
  }

  #sampleLateness(lateMs: number, nowMs: number): void {
    this.#decayLateness(nowMs)
    this.#eagerLateness.sample(lateMs)
    this.#lateSampleAtMs = nowMs
  }

  /**
   * Queues drain once a burst ends, and eager copies then arrive before their IHAVEs, which gives
   * no samples: after LATENESS_GRACE_MS without one, the estimate halves every
   * LATENESS_HALF_LIFE_MS, so a loss in the quiet after a burst is not waited for as if the burst
   * were still on. While late copies keep coming, it stands.
   */
  #decayLateness(nowMs: number): void {
    const from = Math.max(this.#latenessAtMs, this.#lateSampleAtMs + LATENESS_GRACE_MS)
    if (nowMs <= from) return
    this.#eagerLateness.decay(0.5 ** ((nowMs - from) / LATENESS_HALF_LIFE_MS))
    this.#latenessAtMs = nowMs
  }

  /** A grafted peer's deadline: no copy from it by now is a broken promise, unless we are the late one. */
  onPromiseTimer(id: MessageId, peer: PeerId, nowMs: number, out: PubSubOutbox): void {
    if (!this.#promises.expire(id.toHex(), peer.toHex()) || this.#health.overloaded(nowMs)) return
    this.#core.penalize(this.#core.peer(peer, nowMs), 'brokenPromise', nowMs, out)
  }

  #retryMs(nowMs: number): number {
    return this.#health.widen(this.#promises.retryMs(this.#config.graftTimeout2Ms), nowMs)
  }

  /** Whether a graft request for this id is outstanding to `peerHex` (its answer bypasses the rate limit). */
  isRequestedFrom(idHex: string, peerHex: string): boolean {
    return this.#missing.get(idHex)?.requested?.toHex() === peerHex
  }

  /** Whether we sent `peerHex` a GRAFT for this id: a late copy from it must not prune the link we just grafted. */
  isGraftAnswer(idHex: string, peerHex: string, nowMs: number): boolean {
    return this.#grafted.get(idHex, nowMs)?.peers.includes(peerHex) === true
  }

  queueIHave(peer: PeerId, topic: TopicId, id: MessageId, hop: number, out: PubSubOutbox): void {
    this.#lazyPush.queue(peer, topic, id, hop, out)
  }

  flushIHave(out: PubSubOutbox): void {
    this.counters.ihaveWithdrawn += this.#lazyPush.flush((peerHex) => this.#core.isNeighbor(peerHex), out)
  }

  forgetPeer(peerHex: string): void {
    this.#lazyPush.forget(peerHex)
  }

  /** Called on every first delivery: settles the missing entry, applies the optimisation rules, and returns the peers that announced the message (they hold it). */
  delivered(state: TopicState, idHex: string, hop: number, from: PeerId, fetched: boolean, nowMs: number, out: PubSubOutbox): string[] {
    const entry = this.#missing.get(idHex)
    if (entry === undefined) return []
    this.#missing.delete(idHex)
    // An eager copy that beat the graft timer: how far behind its IHAVE it ran.
    if (entry.requested === undefined && !fetched) this.#sampleLateness(nowMs - entry.announcedMs, nowMs)
    const announcers = entry.announcers.map((a) => a.peer.toHex())
    if (entry.requested !== undefined) {
      // The eager copy lost to the graft timeout: the announcer we grafted had the message at least
      // graftTimeout1Ms earlier, so its link replaces the slow eager one (the latency analogue of
      // section 3.6). Pruning the grafted link instead would graft it again on every message.
      const fromHex = from.toHex()
      if (state.eager.has(fromHex) && state.eager.has(entry.requested.toHex()) && !this.isGraftAnswer(idHex, fromHex, nowMs)) {
        state.addLazy(from)
        out.push({ type: 'send', to: from, msg: { type: 'prune', topic: state.topic } })
      }
      return announcers
    }
    const best = entry.announcers.reduce<{ peer: PeerId; hop: number } | undefined>((b, a) => (b === undefined || a.hop < b.hop ? a : b), undefined)
    if (best === undefined || hop - (best.hop + 1) < this.#config.optimizationThreshold) return announcers
    const bestKey = best.peer.toHex()
    if (!this.#core.isNeighbor(bestKey) || !state.has(bestKey)) return announcers
    state.addEager(best.peer)
    out.push({ type: 'send', to: best.peer, msg: { type: 'graft', topic: state.topic, ids: [] } })
    state.addLazy(from)
    out.push({ type: 'send', to: from, msg: { type: 'prune', topic: state.topic } })
    return announcers
  }

  onControl(peer: PeerState, msg: ControlMessage, nowMs: number, out: PubSubOutbox): void {
    const state = this.#core.topic(msg.topic.toHex())
    if (state === undefined) {
      // PRUNE and unanswered chatter for a topic we just left are normal; count but do not punish.
      this.#core.drop('not-subscribed')
      return
    }
    switch (msg.type) {
      case 'ihave': return this.#onIHave(peer, state, msg, nowMs, out)
      case 'iwant': return this.#serve(peer.id, state, msg.ids, nowMs, out)
      case 'graft':
        if (this.#core.isNeighbor(peer.key) && this.#core.canBeEager(peer, nowMs)) state.addEager(peer.id)
        return this.#serve(peer.id, state, msg.ids, nowMs, out)
      case 'prune':
        if (state.eager.has(peer.key)) state.addLazy(peer.id)
        return
      case 'sketch': return this.#onSketch(peer.id, state, msg, nowMs, out)
      case 'have': return this.#onHave(peer.id, state, msg, nowMs, out)
      case 'digest': return this.#onDigest(peer.id, state, msg, nowMs, out)
    }
  }

  #onIHave(peer: PeerState, state: TopicState, msg: IHaveMessage, nowMs: number, out: PubSubOutbox): void {
    const core = this.#core
    for (let i = 0; i < msg.ids.length; i++) {
      const id = msg.ids[i]!
      const hop = msg.hops[i] ?? 0
      const idHex = id.toHex()
      this.#lazyPush.holds(peer.key, idHex)
      if (core.hasSeen(idHex, nowMs) || core.isFetching(idHex, nowMs)) {
        const cached = state.cache.get(idHex, nowMs)
        if (cached !== undefined) core.keyHeldBy(peer.key, cached.message.header.origin)
        continue
      }
      const entry = this.#missing.get(idHex)
      if (entry !== undefined) {
        if (entry.announcers.length < this.#config.maxAnnouncersPerId && !entry.announcers.some((a) => a.peer.equals(peer.id))) {
          entry.announcers.push({ peer: peer.id, hop })
        }
        continue
      }
      if (this.#missing.size >= this.#config.maxMissing) continue
      this.#missing.set(idHex, {
        id, topicHex: state.topic.toHex(), announcers: [{ peer: peer.id, hop }], attempt: 0, requested: undefined, sinceMs: nowMs, announcedMs: nowMs,
      })
      out.push({ type: 'schedule', delayMs: this.firstGraftWaitMs(nowMs), timer: { type: 'graft', id, attempt: 0 } })
    }
  }

  onGraftTimer(id: MessageId, attempt: number, nowMs: number, out: PubSubOutbox): void {
    const core = this.#core
    const idHex = id.toHex()
    const entry = this.#missing.get(idHex)
    if (entry === undefined || entry.attempt !== attempt) return
    if (core.hasSeen(idHex, nowMs)) {
      this.#missing.delete(idHex)
      return
    }
    // Lag that built up since the wait began widens it further; a copy anti-entropy already asked
    // for, or an empty repair budget, is waited for rather than asked for again.
    const wait = entry.attempt === 0 ? this.firstGraftWaitMs(nowMs) : this.#retryMs(nowMs)
    const remaining = entry.sinceMs + wait - nowMs
    if (remaining > 0 || core.isFetching(idHex, nowMs)) {
      this.counters.deferred++
      out.push({ type: 'schedule', delayMs: Math.max(remaining, this.#config.graftTimeout2Ms), timer: { type: 'graft', id, attempt } })
      return
    }
    if (!this.#budget.take(nowMs)) {
      this.counters.throttled++
      out.push({ type: 'schedule', delayMs: this.#config.graftTimeout2Ms, timer: { type: 'graft', id, attempt } })
      return
    }
    const state = core.topic(entry.topicHex)
    let next: PeerId | undefined
    while (state !== undefined && entry.announcers.length > 0) {
      const candidate = entry.announcers.shift()!.peer
      const candidateState = core.peer(candidate, nowMs)
      if (core.isNeighbor(candidateState.key) && !core.isGraylisted(candidateState, nowMs)) {
        next = candidate
        break
      }
    }
    if (state === undefined || next === undefined) {
      // Nobody left to ask: anti-entropy will find it if any neighbour still holds it.
      this.#missing.delete(idHex)
      return
    }
    if (core.canBeEager(core.peer(next, nowMs), nowMs)) state.addEager(next)
    out.push({ type: 'send', to: next, msg: { type: 'graft', topic: state.topic, ids: [id] } })
    const grafted = this.#grafted.get(idHex, nowMs)
    if (grafted === undefined) this.#grafted.set(idHex, { peers: [next.toHex()], announcedMs: entry.announcedMs, timed: false }, nowMs)
    else grafted.peers.push(next.toHex())
    this.counters.grafts++
    this.#promises.made(idHex, next.toHex(), nowMs)
    out.push({ type: 'schedule', delayMs: this.#health.widen(this.#config.promiseTimeoutMs, nowMs), timer: { type: 'promise', id, peer: next } })
    entry.requested = next
    entry.attempt++
    entry.sinceMs = nowMs
    out.push({ type: 'schedule', delayMs: this.#retryMs(nowMs), timer: { type: 'graft', id, attempt: entry.attempt } })
  }

  #serve(to: PeerId, state: TopicState, ids: readonly MessageId[], nowMs: number, out: PubSubOutbox): void {
    for (const id of ids) {
      const cached = state.cache.get(id.toHex(), nowMs)
      if (cached !== undefined) out.push({ type: 'send', to, msg: this.#core.withKeyFor(to.toHex(), { ...cached.message, hop: cached.hop + 1 }) })
    }
  }

  antiEntropyRound(nowMs: number, out: PubSubOutbox): void {
    for (const state of this.#core.joinedTopics()) {
      const peer = this.#core.randomTopicPeer(state)
      if (peer !== undefined) this.offerDigest(state, peer, 'settled', nowMs, out)
    }
  }

  /**
   * Opens a reconciliation with a digest (SPEC.md section 7.4): of the settled window in a periodic
   * round, of the whole cache on a new topic link. The peer answers only if its own ids there
   * differ, by starting a full reconciliation. A cache too short for a window, or holding at most
   * one id (a list no larger than a digest), reconciles at once.
   */
  offerDigest(state: TopicState, to: PeerId, scope: 'settled' | 'whole', nowMs: number, out: PubSubOutbox): void {
    const window = digestWindow(this.#core.wallNow(nowMs), this.#config.messageCacheMs, scope)
    if (window === undefined || state.cache.size <= 1) return this.#reconcile(state, to, nowMs, out)
    const { count, hash } = windowDigest(state.cache.values(nowMs), window.fromMs, window.toMs)
    this.counters.digestsSent++
    out.push({ type: 'send', to, msg: { type: 'digest', topic: state.topic, fromMs: window.fromMs, toMs: window.toMs, count, hash } })
  }

  #onDigest(from: PeerId, state: TopicState, msg: DigestMessage, nowMs: number, out: PubSubOutbox): void {
    const ours = windowDigest(state.cache.values(nowMs), msg.fromMs, msg.toMs)
    if (ours.count === msg.count && bytesEqual(ours.hash, msg.hash)) {
      this.counters.digestsMatched++
      return
    }
    // Either side may lack something, in or out of the window: the whole cache is reconciled.
    this.counters.digestsDiffered++
    this.#reconcile(state, from, nowMs, out)
  }

  /**
   * Reconciles the topic with `to` (SPEC.md section 7.4): an IBLT sketch of our cached ids or, when
   * the plain list is no larger (at most 112 ids against the default 96 cells), the list itself as a
   * complete `have`. The peer then fetches what it lacks and offers what the list lacks, as after a
   * sketch, and a new topic link on a quiet topic costs a few bytes instead of 3.8 KB each way.
   */
  #reconcile(state: TopicState, to: PeerId, nowMs: number, out: PubSubOutbox, cells = this.#config.sketchCells): void {
    const ids = state.ids(nowMs)
    if (ids.length * LISTED_ID_BYTES <= cells * IBLT_CELL_BYTES && ids.length <= this.#config.maxHaveIds) {
      out.push({ type: 'send', to, msg: { type: 'have', topic: state.topic, ids, complete: true } })
      return
    }
    out.push({ type: 'send', to, msg: { type: 'sketch', topic: state.topic, count: ids.length, cells: buildSketch(ids, cells) } })
  }

  #onSketch(from: PeerId, state: TopicState, msg: SketchMessage, nowMs: number, out: PubSubOutbox): void {
    const ours = state.ids(nowMs)
    const diff = diffSketch(msg.cells, ours, (idHex) => state.cache.has(idHex, nowMs))
    if (diff.ok) {
      this.#request(from, state, diff.theyHave, nowMs, out)
      if (diff.weHave.length > 0) {
        out.push({ type: 'send', to: from, msg: { type: 'have', topic: state.topic, ids: diff.weHave.slice(0, this.#config.maxHaveIds), complete: false } })
      }
      return
    }
    // Too many differences for the table: answer with a larger one, and past the largest with every
    // id we hold, newest first (a single list is complete: the peer may offer what we lack).
    const larger = largerSketch(msg.cells.length / IBLT_CELL_BYTES)
    if (larger !== undefined) return this.#reconcile(state, from, nowMs, out, larger)
    const lists = chunks(ours.reverse(), this.#config.maxHaveIds)
    for (const ids of lists) out.push({ type: 'send', to: from, msg: { type: 'have', topic: state.topic, ids, complete: lists.length === 1 } })
  }

  #onHave(from: PeerId, state: TopicState, msg: HaveMessage, nowMs: number, out: PubSubOutbox): void {
    this.#request(from, state, msg.ids, nowMs, out)
    if (!msg.complete) return
    const theirs = new Set(msg.ids.map((id) => id.toHex()))
    const lacking = state.ids(nowMs).filter((id) => !theirs.has(id.toHex()))
    if (lacking.length > 0) {
      out.push({ type: 'send', to: from, msg: { type: 'have', topic: state.topic, ids: lacking.slice(-this.#config.maxHaveIds), complete: false } })
    }
  }

  #request(from: PeerId, state: TopicState, ids: readonly MessageId[], nowMs: number, out: PubSubOutbox): void {
    const core = this.#core
    // Ids already fetched, or grafted and awaiting the answer, are not asked for again.
    const wanted = ids.filter((id) => {
      const idHex = id.toHex()
      return !core.hasSeen(idHex, nowMs) && !core.isFetching(idHex, nowMs) && this.#missing.get(idHex)?.requested === undefined
    })
    for (const id of wanted) core.markFetching(id.toHex(), from.toHex(), nowMs)
    this.counters.iwantIds += wanted.length
    for (const batch of chunks(wanted, LIMITS.maxIwantIds)) {
      out.push({ type: 'send', to: from, msg: { type: 'iwant', topic: state.topic, ids: batch } })
    }
  }
}
