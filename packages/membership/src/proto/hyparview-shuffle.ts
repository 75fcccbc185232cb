/**
 * The HyParView shuffle (Leitao, Pereira, Rodrigues, DSN 2007, section 4.4): a node sends a sample of
 * its views on a random walk through active views; the node where the walk ends answers with a
 * sample of its passive view, and both merge what they received into their passive views, evicting
 * first the entries they sent. The paper answers over a temporary connection; here the answer goes
 * back along the walk unless the origin is a neighbour, because a connection costs a post-quantum
 * handshake of about 12.9 KB, against about 1 KB per hop for the answer. Eclipse resistance
 * (per-source and per-message caps) is PassiveView's.
 */
import { LIMITS } from '@saorsa-gossip/types'
import type { Outbox, PeerId, Rng } from '@saorsa-gossip/types'
import type { HyParViewConfig } from './hyparview-config.ts'
import type { PeerInfo, ShuffleMessage, ShuffleReplyMessage } from './hyparview-messages.ts'
import { toInfo } from './hyparview-messages.ts'
import type { PassiveView } from './hyparview-passive.ts'
import type { HyParViewDropReason, HyParViewOutput } from './hyparview-types.ts'
import type { PeerSet } from './views.ts'

/** The views and rules of the HyParView core that a shuffle reads and writes. */
export interface ShuffleContext {
  readonly self: PeerInfo
  readonly config: HyParViewConfig
  readonly rng: Rng
  readonly active: PeerSet<PeerInfo>
  readonly passive: PassiveView
  /** False while a peer presumed failed may not come back through a shuffle. */
  mayReturn(key: string, nowMs: number): boolean
  drop(reason: HyParViewDropReason): void
}

type Out = Outbox<HyParViewOutput>

/**
 * Walks remembered for their answers. Every node starts one walk of up to 6 hops a shuffle period,
 * so a node relays about 5 a period on average; 64 leaves room for a node that many walks happen to
 * cross. Past it the oldest is forgotten, and its answer is dropped.
 */
const MAX_RELAYED_WALKS = 64

export class ShuffleExchange {
  readonly #ctx: ShuffleContext
  readonly #selfKey: string
  /** The outstanding shuffle; `refill` marks one started for want of candidates, whose reply is used at once. */
  #outstanding: { readonly sent: ReadonlySet<string>; readonly atMs: number; readonly refill: boolean } | undefined
  #lastStartedAtMs = Number.NEGATIVE_INFINITY
  /** Walks we forwarded, by origin: the neighbour each came from, where its answer goes back to. */
  readonly #walks = new Map<string, { readonly from: PeerId; readonly atMs: number; readonly ttl: number }>()

  constructor(ctx: ShuffleContext) {
    this.#ctx = ctx
    this.#selfKey = ctx.self.id.toHex()
  }

  get lastStartedAtMs(): number {
    return this.#lastStartedAtMs
  }

  /** Sends a shuffle to a random neighbour; `refill` asks for its reply to be used at once. */
  start(nowMs: number, refill: boolean, out: Out): void {
    const { active, passive, config, rng } = this.#ctx
    const target = active.random(rng)
    if (target === undefined) return
    const actives = active.sample(rng, config.shuffleActiveCount + 1).filter((p) => !p.id.equals(target))
    const peers = [...actives.slice(0, config.shuffleActiveCount), ...passive.sample(config.shufflePassiveCount)]
    this.#outstanding = { sent: new Set(peers.map((p) => p.id.toHex())), atMs: nowMs, refill }
    this.#lastStartedAtMs = nowMs
    out.push({ type: 'send', to: target, msg: { type: 'shuffle', origin: this.#ctx.self, ttl: config.shuffleRandomWalkLength, peers } })
  }

  /** Forwards the walk while ttl lasts, then answers the origin and merges its sample. */
  onShuffle(from: PeerId, msg: ShuffleMessage, nowMs: number, out: Out): void {
    const { active, passive, config, rng } = this.#ctx
    if (!active.has(from)) {
      this.#ctx.drop('not-a-neighbor')
      return
    }
    const origin = toInfo(msg.origin)
    if (origin.id.toHex() === this.#selfKey) return
    const ttl = Math.min(msg.ttl, config.shuffleRandomWalkLength) - 1
    if (ttl > 0 && active.size > 1) {
      const next = active.random(rng, (id) => id.equals(from) || id.equals(origin.id))
      if (next !== undefined) {
        this.#rememberWalk(origin.id.toHex(), from, ttl, nowMs)
        out.push({ type: 'send', to: next, msg: { type: 'shuffle', origin, ttl, peers: msg.peers.slice(0, LIMITS.maxShuffleIds) } })
        return
      }
    }
    const received = [origin, ...msg.peers.slice(0, LIMITS.maxShuffleIds - 1)]
    const reply = passive.sample(received.length)
    if (active.has(origin.id)) out.push({ type: 'send', to: origin.id, msg: { type: 'shuffle-reply', peers: reply } })
    else out.push({ type: 'send', to: from, msg: { type: 'shuffle-reply', peers: reply, origin: origin.id } })
    this.#merge(received, from.toHex(), new Set(reply.map((p) => p.id.toHex())), nowMs)
  }

  /**
   * Merges the reply to our outstanding shuffle, or passes a reply for another origin one hop back
   * along its walk. True when our shuffle asked for an immediate refill.
   */
  onReply(from: PeerId, msg: ShuffleReplyMessage, nowMs: number, out: Out): boolean {
    if (msg.origin !== undefined && msg.origin.toHex() !== this.#selfKey) {
      this.#relayReply(from, msg.origin, msg, nowMs, out)
      return false
    }
    const shuffle = this.#outstanding
    if (shuffle === undefined || nowMs - shuffle.atMs > this.#ctx.config.shuffleIntervalMs) {
      this.#ctx.drop('unsolicited-shuffle-reply')
      return false
    }
    this.#outstanding = undefined
    this.#merge(msg.peers.slice(0, LIMITS.maxShuffleIds), from.toHex(), shuffle.sent, nowMs)
    return shuffle.refill
  }

  /**
   * A walk that comes back to us keeps its first entry (its ttl was higher then): that hop leads
   * home, while the later one would send the answer round the loop, where it has been relayed once.
   */
  #rememberWalk(originKey: string, from: PeerId, ttl: number, nowMs: number): void {
    const known = this.#walks.get(originKey)
    if (known !== undefined && known.ttl > ttl && nowMs - known.atMs <= this.#ctx.config.shuffleIntervalMs) return
    this.#walks.delete(originKey)
    if (this.#walks.size >= MAX_RELAYED_WALKS) this.#walks.delete(this.#walks.keys().next().value!)
    this.#walks.set(originKey, { from, atMs: nowMs, ttl })
  }

  /** Only a neighbour's reply to a walk we forwarded, once, and within a shuffle period, goes on. */
  #relayReply(from: PeerId, origin: PeerId, msg: ShuffleReplyMessage, nowMs: number, out: Out): void {
    const { active, config } = this.#ctx
    if (!active.has(from)) {
      this.#ctx.drop('not-a-neighbor')
      return
    }
    const key = origin.toHex()
    const walk = this.#walks.get(key)
    this.#walks.delete(key)
    if (walk === undefined || nowMs - walk.atMs > config.shuffleIntervalMs || !active.has(walk.from)) {
      this.#ctx.drop('unsolicited-shuffle-reply')
      return
    }
    const peers = msg.peers.slice(0, LIMITS.maxShuffleIds)
    out.push({ type: 'send', to: walk.from, msg: walk.from.equals(origin) ? { type: 'shuffle-reply', peers } : { type: 'shuffle-reply', peers, origin } })
  }

  #merge(peers: readonly PeerInfo[], source: string, preferEvict: ReadonlySet<string>, nowMs: number): void {
    const { active, passive, config } = this.#ctx
    let added = 0
    for (const peer of peers) {
      if (peer.id.toHex() === this.#selfKey || active.has(peer.id) || passive.has(peer.id)) continue
      if (!this.#ctx.mayReturn(peer.id.toHex(), nowMs)) continue
      if (added >= config.maxPassiveEntriesPerMessage) {
        this.#ctx.drop('passive-message-cap')
        return
      }
      const result = passive.add(toInfo(peer), source, config.passiveViewSize, preferEvict)
      if (result === 'source-cap') {
        this.#ctx.drop('passive-source-cap')
        return
      }
      if (result === 'added') added++
    }
  }
}
