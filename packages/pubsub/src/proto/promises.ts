/**
 * Graft promises and the graft round-trip estimate. A peer we GRAFT for a missing message has
 * promised it: the promise is broken only if no copy of that message comes from that peer within
 * `promiseTimeoutMs` (GossipSub v1.1's IWANT follow-up, 3 s, arXiv:2007.02754 section 5.1), not
 * when the next graft timer fires: a slow link or our own queue delays an answer without breaking
 * it. Each kept promise is a round-trip sample; the retry wait follows them as TCP's retransmission
 * timer does (RFC 6298: SRTT + 4 RTTVAR), so the next announcer is asked only once the first one
 * has had a round trip to answer, and a lagging receiver's samples widen it by themselves.
 */
import { BoundedMap } from './caches.ts'
import { RttEstimator } from './rtt-estimator.ts'

interface OpenPromise {
  readonly sentMs: number
}

export class GraftPromises {
  readonly #open: BoundedMap<OpenPromise>
  readonly #rtt = new RttEstimator()

  constructor(capacity: number) {
    this.#open = new BoundedMap(capacity)
  }

  /** We asked `peerHex` for `idHex`. */
  made(idHex: string, peerHex: string, nowMs: number): void {
    this.#open.set(`${idHex}:${peerHex}`, { sentMs: nowMs })
  }

  /** A copy of `idHex` came from `peerHex`: a kept promise if we had one (and an RTT sample). */
  kept(idHex: string, peerHex: string, nowMs: number): void {
    const key = `${idHex}:${peerHex}`
    const promise = this.#open.get(key)
    if (promise === undefined) return
    this.#open.delete(key)
    this.#rtt.sample(Math.max(0, nowMs - promise.sentMs))
  }

  /** The promise's deadline passed: true if it was still open (a broken promise); it is closed either way. */
  expire(idHex: string, peerHex: string): boolean {
    return this.#open.delete(`${idHex}:${peerHex}`)
  }

  /** How long to wait for a grafted peer before asking the next one: at least `floorMs`. */
  retryMs(floorMs: number): number {
    return this.#rtt.timeoutMs(floorMs)
  }
}
