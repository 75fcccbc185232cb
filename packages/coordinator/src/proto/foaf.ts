/**
 * The FOAF query core (SPEC.md section 9.4): bounded flooding of signed queries to `fanout` random
 * neighbours (never back to the sender) for `ttl` hops, each node handling a query id once, answering
 * from local state and routing replies back along the reverse path the query took; a node that answered
 * a user query lets it travel no further (a user has one current answer). Checks run cheapest
 * first (link rate, duplicate, TTL, age, key binding) and the ML-DSA-65 verify last; a query id is
 * marked seen only after its signature verified, so a forged copy cannot shadow the genuine query.
 */
import { PeerId, sample, toHex } from '@saorsa-gossip/types'
import type { CoreInput, CoreOutput, Outbox, ProtocolCore, Rng } from '@saorsa-gossip/types'
import { encodeQueryBody, encodeQueryEnvelope } from '../foaf-codec.ts'
import { TimedMap, RateLimiter } from './bounded.ts'
import type { FoafConfig } from './config.ts'
import {
  MAX_REPLY_RECORDS, QUERY_ID_BYTES, type FoafCommand, type FoafDropReason, type FoafEvent, type FoafMessage,
  type FoafQueryBody, type FoafQueryMessage, type FoafReplyMessage, type FoafTarget, type FoafTimer,
} from './foaf-messages.ts'

export type FoafInput = CoreInput<FoafMessage, FoafTimer, FoafCommand>
export type FoafOutput = CoreOutput<FoafMessage, FoafTimer, FoafEvent>
export type FoafOutbox = Outbox<FoafOutput>

export interface FoafCoreInit {
  readonly self: PeerId
  readonly publicKey: Uint8Array
  readonly config: FoafConfig
  /** Tolerated requester clock skew for query timestamps. */
  readonly clockSkewMs: number
  readonly rng: Rng
  /** Signs a query body under the FOAF query domain. */
  readonly sign: (body: Uint8Array) => Uint8Array
  /** True iff `sig` is `publicKey`'s signature of `body` under the FOAF query domain. Must not throw. */
  readonly verify: (publicKey: Uint8Array, body: Uint8Array, sig: Uint8Array) => boolean
  /**
   * Records this node holds for `target` (best first; at most MAX_REPLY_RECORDS are sent), given the
   * verified query too, so a user or content answerer can read its requester and payload.
   */
  readonly answer: (target: FoafTarget, wallMs: number, query: FoafQueryBody) => readonly Uint8Array[]
}

interface Route {
  /** Where the query came from; undefined for our own queries. */
  readonly from: PeerId | undefined
  readonly ref: number
  readonly forwardedTo: Set<string>
  replies: number
  done: boolean
}

export class FoafCore implements ProtocolCore<FoafMessage, FoafTimer, FoafCommand, FoafEvent> {
  readonly self: PeerId
  readonly config: FoafConfig
  readonly drops: Record<FoafDropReason, number> = {
    'rate-limited-peer': 0, 'rate-limited-requester': 0, 'duplicate': 0, 'own-query': 0, 'bad-ttl': 0, 'expired': 0,
    'future': 0, 'key-mismatch': 0, 'bad-signature': 0, 'unknown-query': 0, 'unsolicited-reply': 0, 'too-many-replies': 0,
    'late-reply': 0,
  }
  /** Queries of others handled (each id once), and signature checks made. */
  handled = 0
  verifications = 0
  readonly neighbors = new Map<string, PeerId>()
  readonly #init: FoafCoreInit
  readonly #routes: TimedMap<Route>
  readonly #perPeer: RateLimiter
  readonly #perRequester: RateLimiter
  #wallOffsetMs = 0

  constructor(init: FoafCoreInit) {
    if (!PeerId.fromPublicKey(init.publicKey).equals(init.self)) throw new RangeError('publicKey: does not hash to self')
    this.#init = init
    this.self = init.self
    this.config = init.config
    const c = init.config
    // Routes outlive the query's accepted age, so a late duplicate is still recognised as one.
    this.#routes = new TimedMap(c.queryLifetimeMs + init.clockSkewMs, c.seenCapacity)
    this.#perPeer = new RateLimiter({ ratePerSecond: c.forwardsPerMinutePerPeer / 60, burst: c.forwardsPerMinutePerPeer, capacity: c.rateLimitCapacity })
    this.#perRequester = new RateLimiter({
      ratePerSecond: c.queriesPerHourPerRequester / 3600, burst: c.queriesPerHourPerRequester, capacity: c.rateLimitCapacity,
    })
  }

  handle(input: FoafInput, nowMs: number, out: FoafOutbox): void {
    switch (input.type) {
      case 'peer-up':
        if (!input.peer.equals(this.self)) this.neighbors.set(input.peer.toHex(), input.peer)
        return
      case 'peer-down':
        this.neighbors.delete(input.peer.toHex())
        return
      case 'command': return this.#onCommand(input.command, nowMs, out)
      case 'timer': return this.#onDeadline(input.timer.queryId, nowMs, out)
      case 'recv':
        if (input.msg.type === 'query') this.#onQuery(input.from, input.msg, nowMs, out)
        else this.#onReply(input.from, input.msg, nowMs, out)
    }
  }

  wallNow(nowMs: number): number {
    return nowMs + this.#wallOffsetMs
  }

  #onCommand(command: FoafCommand, nowMs: number, out: FoafOutbox): void {
    if (command.type === 'wall-clock') {
      this.#wallOffsetMs = command.wallMs - nowMs
      return
    }
    const c = this.config
    if (this.neighbors.size === 0) {
      out.push({ type: 'emit', event: { type: 'query-failed', ref: command.ref, reason: 'no-neighbours' } })
      return
    }
    // Our own budget is the one everybody else applies to us: spending it locally never gets us dropped.
    if (!this.#perRequester.take(this.self.toHex(), nowMs)) {
      out.push({ type: 'emit', event: { type: 'query-failed', ref: command.ref, reason: 'rate-limited' } })
      return
    }
    const queryId = this.#init.rng.fill(new Uint8Array(QUERY_ID_BYTES))
    const ttl = Math.min(c.ttl, command.ttl ?? c.ttl)
    const body: FoafQueryBody = {
      version: 1, queryId, target: command.target, requester: this.self, publicKey: this.#init.publicKey, maxTtl: ttl,
      // Whole milliseconds: the wire carries an integer, and a driver's monotonic clock is fractional.
      createdAtMs: Math.floor(this.wallNow(nowMs)), ...(command.payload === undefined ? {} : { payload: command.payload }),
    }
    const bodyBytes = encodeQueryBody(body)
    const sig = this.#init.sign(bodyBytes)
    const key = toHex(queryId)
    const route: Route = { from: undefined, ref: command.ref, forwardedTo: new Set(), replies: 0, done: false }
    this.#routes.set(key, route, nowMs)
    const msg: FoafQueryMessage = { type: 'query', envelope: encodeQueryEnvelope(bodyBytes, sig), bodyBytes, sig, ttl, body }
    const sentTo = this.#fanOut(msg, undefined, route, out)
    out.push({ type: 'emit', event: { type: 'query-started', ref: command.ref, queryId: key, sentTo } })
    out.push({ type: 'schedule', delayMs: command.timeoutMs ?? c.queryTimeoutMs, timer: { type: 'query-deadline', queryId: key } })
  }

  #onQuery(from: PeerId, msg: FoafQueryMessage, nowMs: number, out: FoafOutbox): void {
    const c = this.config
    const body = msg.body
    if (!this.#perPeer.take(from.toHex(), nowMs)) return this.#drop('rate-limited-peer')
    const key = toHex(body.queryId)
    if (this.#routes.has(key, nowMs)) return this.#drop('duplicate')
    if (body.requester.equals(this.self)) return this.#drop('own-query')
    if (msg.ttl < 1 || msg.ttl > body.maxTtl || body.maxTtl > c.ttl) return this.#drop('bad-ttl')
    const wall = this.wallNow(nowMs)
    if (wall - body.createdAtMs > c.queryLifetimeMs) return this.#drop('expired')
    if (body.createdAtMs - wall > this.#init.clockSkewMs) return this.#drop('future')
    if (!PeerId.fromPublicKey(body.publicKey).equals(body.requester)) return this.#drop('key-mismatch')
    this.verifications++
    let valid = false
    try {
      valid = this.#init.verify(body.publicKey, msg.bodyBytes, msg.sig)
    } catch {
      valid = false
    }
    if (!valid) return this.#drop('bad-signature')
    const route: Route = { from, ref: -1, forwardedTo: new Set(), replies: 0, done: false }
    // Seen from here on, even if the requester is over budget, so replays cost no second verify.
    this.#routes.set(key, route, nowMs)
    if (!this.#perRequester.take(body.requester.toHex(), nowMs)) return this.#drop('rate-limited-requester')
    this.handled++
    const records = this.#init.answer(body.target, wall, body).slice(0, Math.min(MAX_REPLY_RECORDS, c.maxRecordsPerReply))
    if (records.length > 0) out.push({ type: 'send', to: from, msg: { type: 'reply', queryId: body.queryId, records } })
    const found = records.length > 0 && body.target.kind === 'user'
    const forwardedTo = msg.ttl > 1 && !found ? this.#fanOut({ ...msg, ttl: msg.ttl - 1 }, from, route, out, body.requester) : 0
    out.push({
      type: 'emit',
      event: { type: 'query-handled', queryId: key, requester: body.requester, ttl: msg.ttl, answered: records.length, forwardedTo },
    })
  }

  #onReply(from: PeerId, msg: FoafReplyMessage, nowMs: number, out: FoafOutbox): void {
    const key = toHex(msg.queryId)
    const route = this.#routes.get(key, nowMs)
    if (route === undefined) return this.#drop('unknown-query')
    if (!route.forwardedTo.has(from.toHex())) return this.#drop('unsolicited-reply')
    if (route.replies >= this.config.maxRepliesPerQuery) return this.#drop('too-many-replies')
    route.replies++
    if (route.from !== undefined) {
      out.push({ type: 'send', to: route.from, msg })
      return
    }
    if (route.done) return this.#drop('late-reply')
    out.push({ type: 'emit', event: { type: 'answer', ref: route.ref, queryId: key, from, records: msg.records } })
  }

  #onDeadline(queryId: string, nowMs: number, out: FoafOutbox): void {
    const route = this.#routes.get(queryId, nowMs)
    if (route === undefined || route.from !== undefined || route.done) return
    route.done = true
    out.push({ type: 'emit', event: { type: 'query-done', ref: route.ref, queryId, replies: route.replies } })
  }

  /** Sends `msg` to up to `fanout` random neighbours other than `except` and the requester; returns how many. */
  #fanOut(msg: FoafQueryMessage, except: PeerId | undefined, route: Route, out: FoafOutbox, requester?: PeerId): number {
    const candidates = [...this.neighbors.values()].filter((p) => !(except?.equals(p) ?? false) && !(requester?.equals(p) ?? false))
    candidates.sort((a, b) => a.compare(b))
    const chosen = sample(this.#init.rng, candidates, this.config.fanout)
    for (const peer of chosen) {
      route.forwardedTo.add(peer.toHex())
      out.push({ type: 'send', to: peer, msg })
    }
    return chosen.length
  }

  #drop(reason: FoafDropReason): void {
    this.drops[reason]++
  }
}
