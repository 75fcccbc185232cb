/**
 * The inbound edge of a transport (SPEC.md section 5.7): which accepted pipes may start a handshake,
 * the first-message deadline, eviction of pipes that have cost no crypto when the table is full,
 * handshake tokens before any KEM or signature work, and the misbehaviour graylist. The transport
 * calls it; the rate and score arithmetic live in tokens.ts and penalties.ts.
 */
import { TimeoutError } from '@saorsa-gossip/types'
import type { BytePipe } from '../carrier.ts'
import { ConnectionClosedError, HandshakeError } from '../errors.ts'
import type { EdgeLimits } from './preset.ts'
import { Penalties } from './penalties.ts'
import { sourceOf } from './source.ts'
import { HandshakeTokens, type TokenWaiter } from './tokens.ts'

export interface PendingPipe {
  readonly pipe: BytePipe
  readonly source: string
  readonly sinceMs: number
  /** Aborted on eviction or the first-message deadline; the handshake fails and closes the pipe. */
  readonly abort: AbortController
  stage: 'm1' | 'token' | 'crypto'
  waiter?: TokenWaiter
  timer?: ReturnType<typeof setTimeout>
}

export interface EdgeStats {
  /** Pipes refused on arrival: per-source share or connection cap, graylisted source, or a full table with nothing to evict. */
  readonly refusedPipes: number
  /** Pre-crypto pipes closed to make room for a newer one. */
  readonly evictedPipes: number
  /** Pipes closed for not completing M1 within the first-message deadline. */
  readonly silentPipes: number
  /** M1s refused before any crypto because their source was over its handshake rate. */
  readonly rateLimitedHandshakes: number
  /** Responder handshakes that got a token, i.e. cost one X-Wing encapsulation and one ML-DSA-65 signature. */
  readonly responderCrypto: number
  /** Handshakes waiting for a global token now. */
  readonly waitingForToken: number
  readonly graylistedPeers: number
  readonly graylistedSources: number
}

const now = (): number => performance.now()

export class EdgeGate {
  readonly limits: EdgeLimits
  readonly #pending = new Set<PendingPipe>()
  readonly #tokens: HandshakeTokens
  readonly #penalties: Penalties
  #serveTimer: ReturnType<typeof setTimeout> | undefined
  #stats = { refusedPipes: 0, evictedPipes: 0, silentPipes: 0, rateLimitedHandshakes: 0, responderCrypto: 0 }

  constructor(limits: EdgeLimits) {
    this.limits = limits
    this.#tokens = new HandshakeTokens(limits, now())
    this.#penalties = new Penalties(limits)
  }

  get pending(): number { return this.#pending.size }

  stats(): EdgeStats {
    return {
      ...this.#stats, waitingForToken: this.#tokens.waiting,
      graylistedPeers: this.#penalties.graylistedPeers, graylistedSources: this.#penalties.graylistedSources,
    }
  }

  /**
   * Admits an accepted pipe to the handshake, or closes it and returns undefined. `inboundFrom` counts
   * the authenticated inbound connections from a source.
   */
  admit(pipe: BytePipe, inboundFrom: (source: string) => number): PendingPipe | undefined {
    const source = sourceOf(pipe.remoteAddr)
    const at = now()
    let sameSource = 0
    for (const p of this.#pending) if (p.source === source && p.stage !== 'crypto') sameSource++
    const refuse = (why: string): undefined => {
      this.#stats.refusedPipes++
      pipe.close(new ConnectionClosedError(`refused: ${why}`))
      return undefined
    }
    if (this.#penalties.sourceGraylisted(source, at)) return refuse('source is graylisted')
    if (inboundFrom(source) >= this.limits.maxConnectionsPerSource) return refuse('too many connections from this source')
    if (sameSource >= this.limits.maxPendingHandshakesPerSource) return refuse('too many handshakes from this source')
    if (this.#preCrypto() >= this.limits.maxPendingHandshakes && !this.#evictOne(source)) return refuse('too many handshakes')
    const entry: PendingPipe = { pipe, source, sinceMs: at, abort: new AbortController(), stage: 'm1' }
    entry.timer = setTimeout(() => {
      this.#stats.silentPipes++
      entry.abort.abort(new TimeoutError(`no complete first handshake message within ${this.limits.firstMessageTimeoutMs} ms`))
    }, this.limits.firstMessageTimeoutMs)
    entry.timer.unref?.()
    this.#pending.add(entry)
    return entry
  }

  /** Called with M1 in hand, before any crypto: waits for a handshake token or throws HandshakeError. */
  beforeCrypto(entry: PendingPipe, signal: AbortSignal): Promise<void> {
    clearTimeout(entry.timer)
    entry.stage = 'token'
    return new Promise<void>((resolve, reject) => {
      const granted = (): void => {
        entry.stage = 'crypto'
        this.#stats.responderCrypto++
        signal.removeEventListener('abort', onAbort)
        entry.abort.signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const waiter: TokenWaiter = { source: entry.source, sinceMs: entry.sinceMs, grant: granted }
      const onAbort = (): void => {
        this.#tokens.cancel(waiter)
        reject(signal.aborted ? signal.reason : entry.abort.signal.reason)
      }
      const outcome = this.#tokens.request(waiter, now())
      if (outcome === 'refused') {
        this.#stats.rateLimitedHandshakes++
        reject(new HandshakeError('refused: handshake rate exceeded for this source'))
        return
      }
      if (outcome === 'granted') { granted(); return }
      entry.waiter = waiter
      signal.addEventListener('abort', onAbort, { once: true })
      entry.abort.signal.addEventListener('abort', onAbort, { once: true })
      this.#scheduleServe()
    })
  }

  /** The handshake ended (either way). */
  release(entry: PendingPipe): void {
    clearTimeout(entry.timer)
    if (entry.waiter !== undefined) this.#tokens.cancel(entry.waiter)
    this.#pending.delete(entry)
  }

  /** Closes every pending pipe (transport closing). */
  closeAll(): void {
    for (const entry of this.#pending) {
      clearTimeout(entry.timer)
      entry.abort.abort(new ConnectionClosedError('transport is closing'))
      entry.pipe.close(new ConnectionClosedError('transport is closing'))
    }
    clearTimeout(this.#serveTimer)
  }

  /** Adds to a peer's invalid-message score; true when the peer is (now) graylisted. */
  penalize(peer: string, remoteAddr: string, weight: number): boolean {
    return this.#penalties.add(peer, sourceOf(remoteAddr), weight, now())
  }

  peerGraylisted(peer: string): boolean { return this.#penalties.peerGraylisted(peer, now()) }

  #preCrypto(): number {
    let n = 0
    for (const p of this.#pending) if (p.stage !== 'crypto') n++
    return n
  }

  /**
   * Makes room by closing a pipe that has cost no crypto, taken from the source holding the most such
   * pipes (fair share, as a SYN cache bucket), then from the source asking most of late, preferring
   * one still awaiting M1, then the oldest. A
   * newcomer holding one pipe is safe while any source holds two: an attacker needs more addresses
   * than the table has slots. A pipe past its token is never evicted. When the arriving pipe's own
   * source would then hold the most, it is refused instead (the cheaper outcome under a flood).
   */
  #evictOne(arriving: string): boolean {
    const held = new Map<string, number>()
    for (const p of this.#pending) if (p.stage !== 'crypto') held.set(p.source, (held.get(p.source) ?? 0) + 1)
    let victim: PendingPipe | undefined
    const at = now()
    const rank = (p: PendingPipe): number[] => [held.get(p.source)!, this.#tokens.demand(p.source, at), p.stage === 'm1' ? 1 : 0, -p.sinceMs]
    const worse = (a: number[], b: number[]): boolean => {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!
      return false
    }
    for (const p of this.#pending) {
      if (p.stage === 'crypto') continue
      if (victim === undefined || worse(rank(p), rank(victim))) victim = p
    }
    if (victim === undefined || (held.get(arriving) ?? 0) + 1 > held.get(victim.source)!) return false
    this.#stats.evictedPipes++
    if (victim.waiter !== undefined) this.#tokens.cancel(victim.waiter)
    clearTimeout(victim.timer)
    this.#pending.delete(victim)
    victim.abort.abort(new ConnectionClosedError('evicted: too many handshakes'))
    victim.pipe.close(new ConnectionClosedError('evicted: too many handshakes'))
    return true
  }

  #scheduleServe(): void {
    if (this.#serveTimer !== undefined) return
    const wait = this.#tokens.msUntilNext(now())
    if (wait === undefined) return
    this.#serveTimer = setTimeout(() => {
      this.#serveTimer = undefined
      this.#tokens.serve(now())
      this.#scheduleServe()
    }, wait)
    this.#serveTimer.unref?.()
  }
}
