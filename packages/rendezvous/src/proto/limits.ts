/**
 * Request limits of a node answering `/saorsa/rendezvous/1` (SPEC.md section 11.5.1): a token bucket
 * per requester PeerId and one for all requesters together (PeerIds are cheap to make, so only the
 * global bucket bounds a Sybil), and the one pattern counted as abuse: requests that keep arriving
 * while the requester was told to wait. Pure: time comes in as `nowMs`.
 */
import type { PeerId } from '@saorsa-gossip/types'
import type { RendezvousConfig } from './config.ts'

export interface RateLimit {
  /** Requests allowed at once. */
  readonly burst: number
  /** Requests added back per second. */
  readonly perSecond: number
}

export interface RequestLimits {
  readonly perPeer: RateLimit
  readonly global: RateLimit
  /** Requesters with a bucket at once; past it the least recently seen bucket is dropped. */
  readonly maxPeers: number
  /** Requests a peer may send while told to wait before it counts as abuse (then the count restarts). */
  readonly abusiveRequests: number
}

/** `rate`: this requester is over its share; `busy`: every requester together is over the node's. */
export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'rate' | 'busy'; readonly retryAfterMs: number; readonly abusive: boolean }

interface Bucket { tokens: number; atMs: number }
interface PeerState extends Bucket { quietUntilMs: number; ignored: number }

export class RequestLimiter {
  readonly #limits: RequestLimits
  readonly #peers = new Map<string, PeerState>()
  readonly #global: Bucket

  constructor(limits: RequestLimits, nowMs = 0) {
    for (const [name, value] of [['perPeer', limits.perPeer], ['global', limits.global]] as const) {
      if (!(value.burst >= 1 && value.perSecond > 0)) throw new RangeError(`${name}: burst must be at least 1 and perSecond above 0`)
    }
    this.#limits = limits
    this.#global = { tokens: limits.global.burst, atMs: nowMs }
  }

  /** Requesters with a bucket now. */
  get trackedPeers(): number {
    return this.#peers.size
  }

  /** Takes one token from `peer`'s bucket and one from the global bucket, or says why not and for how long. */
  admit(peer: PeerId, nowMs: number): Admission {
    const key = peer.toHex()
    let state = this.#peers.get(key)
    if (state === undefined) {
      if (this.#peers.size >= this.#limits.maxPeers) this.#peers.delete(this.#peers.keys().next().value!)
      state = { tokens: this.#limits.perPeer.burst, atMs: nowMs, quietUntilMs: 0, ignored: 0 }
    }
    // Re-inserted so the map's order is least recently seen first.
    this.#peers.delete(key)
    this.#peers.set(key, state)
    refill(state, this.#limits.perPeer, nowMs)
    refill(this.#global, this.#limits.global, nowMs)
    if (state.tokens < 1) {
      let abusive = false
      if (nowMs < state.quietUntilMs && ++state.ignored >= this.#limits.abusiveRequests) {
        abusive = true
        state.ignored = 0
      }
      const retryAfterMs = waitFor(state, this.#limits.perPeer)
      state.quietUntilMs = nowMs + retryAfterMs
      return { ok: false, why: 'rate', retryAfterMs, abusive }
    }
    // The node's limit is no fault of this requester: its own tokens stay and nothing is counted.
    if (this.#global.tokens < 1) return { ok: false, why: 'busy', retryAfterMs: waitFor(this.#global, this.#limits.global), abusive: false }
    state.tokens -= 1
    this.#global.tokens -= 1
    state.ignored = 0
    return { ok: true }
  }

  /** Forgets requesters whose bucket is full again and who are not being told to wait; returns how many. */
  prune(nowMs: number): number {
    let removed = 0
    for (const [key, state] of this.#peers) {
      refill(state, this.#limits.perPeer, nowMs)
      if (state.tokens >= this.#limits.perPeer.burst && nowMs >= state.quietUntilMs) {
        this.#peers.delete(key)
        removed++
      }
    }
    return removed
  }
}

/** The limiter of one kind of request, with the numbers of `config` (their reasons are there). */
export function limiterFor(config: RendezvousConfig, kind: 'query' | 'register'): RequestLimiter {
  const c = config
  return new RequestLimiter({
    perPeer: kind === 'query' ? { burst: c.queryBurst, perSecond: c.queryPerSecond } : { burst: c.registerBurst, perSecond: c.registerPerSecond },
    global: kind === 'query'
      ? { burst: c.globalQueryBurst, perSecond: c.globalQueryPerSecond }
      : { burst: c.globalRegisterBurst, perSecond: c.globalRegisterPerSecond },
    maxPeers: c.maxRequesters,
    abusiveRequests: c.abusiveRequests,
  })
}

function refill(bucket: Bucket, limit: RateLimit, nowMs: number): void {
  const elapsed = Math.max(0, nowMs - bucket.atMs)
  bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsed / 1000) * limit.perSecond)
  bucket.atMs = Math.max(bucket.atMs, nowMs)
}

/** Milliseconds until the bucket holds one whole token. */
function waitFor(bucket: Bucket, limit: RateLimit): number {
  return Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / limit.perSecond))
}
