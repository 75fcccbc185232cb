/**
 * The rendezvous core (SPEC.md section 11.5): providing (sign, publish on the shard topic, register
 * with the shard's servers, republish before expiry, withdraw), seeking (join the shard, answer from
 * the local store, query the shard's servers page by page with a cursor, rank, leave after a grace
 * period, waiting out a server's refusal), answering queries and registrations within the request
 * limits (section 11.5.1), and the shard-topic validator. Sans-IO: signing and verification are injected.
 */
import { PeerId, toHex, type Outbox } from '@saorsa-gossip/types'
import { encodeSignedSummary, encodeSummaryBody, SUMMARY_LIMITS, SUMMARY_VERSION, type Capability, type ProviderSummary, type RendezvousMessage, type SignedSummary } from '../codec.ts'
import type { RendezvousConfig } from './config.ts'
import type { ProvideCommand, RendezvousDropReason, RendezvousInput, RendezvousOutput, RendezvousTimer, Verdict } from './messages.ts'
import { shardOf, shardServers } from './shard.ts'
import { ShardStore } from './store.ts'
import { limiterFor, type RequestLimiter } from './limits.ts'
import { rankProviders } from './rank.ts'
import { ShardMemberships } from './shards.ts'
import { checkSummary, isWithdrawal, type SummaryRejection, type VerifySummary } from './validate.ts'

export interface RendezvousCoreInit {
  readonly self: PeerId
  readonly publicKey: Uint8Array
  readonly config: RendezvousConfig
  /** Signs a summary body under SUMMARY_DOMAIN. */
  readonly sign: (body: Uint8Array) => Uint8Array
  readonly verify: VerifySummary
  /** Ranks providers (pubsub or transport score); higher first. Default: all equal. */
  readonly score?: (peer: PeerId) => number
}

interface Providing { readonly command: ProvideCommand; seq: number; readonly registeredWith: Set<string> }
interface Seek {
  readonly target: Uint8Array
  readonly capability: Capability | undefined
  readonly shard: number
  readonly seen: Set<string>
  readonly pending: Set<number>
  /** Queries waiting out a server's refusal, and how many waits the seek has used. */
  waiting: number
  retries: number
}
interface PendingQuery { readonly seekId: number; readonly server: PeerId; readonly cursor: number | undefined }

/** Registrations no honest sender makes: its own summary is signed by its own key, or it did not sign it. */
const FORGERY: ReadonlySet<SummaryRejection> = new Set(['malformed', 'key-mismatch', 'origin-mismatch', 'bad-signature'])

type Out = Outbox<RendezvousOutput>

export class RendezvousCore {
  readonly store: ShardStore
  readonly drops: Partial<Record<RendezvousDropReason, number>> = {}
  readonly #init: RendezvousCoreInit
  readonly #config: RendezvousConfig
  readonly #providing = new Map<string, Providing>()
  readonly #seeks = new Map<number, Seek>()
  readonly #queries = new Map<number, PendingQuery>()
  readonly #shards = new ShardMemberships()
  #servers: PeerId[] = []
  /** Servers that refused a query, until when (Unix ms) they asked not to be asked. */
  readonly #backoff = new Map<string, number>()
  readonly #queryLimiter: RequestLimiter
  readonly #registerLimiter: RequestLimiter
  #nextQueryId = 1
  #lastSeq = 0

  constructor(init: RendezvousCoreInit) {
    this.#init = init
    this.#config = init.config
    this.store = new ShardStore({
      maxEntries: init.config.maxStoredSummaries,
      maxPerProvider: init.config.maxPerProvider,
      rateBurst: init.config.rateBurst,
      ratePerSecond: init.config.ratePerSecond,
      withdrawalFloorMs: init.config.defaultLifetimeMs,
    })
    this.#queryLimiter = limiterFor(init.config, 'query')
    this.#registerLimiter = limiterFor(init.config, 'register')
  }

  /** Targets this node provides, as hex. */
  providing(): string[] {
    return [...this.#providing.keys()]
  }

  handle(input: RendezvousInput, nowMs: number, out: Out): void {
    switch (input.type) {
      case 'command': return this.#command(input.command, nowMs, out)
      case 'recv': return this.#recv(input.from, input.msg, nowMs, out)
      case 'timer': return this.#timer(input.timer, nowMs, out)
      case 'peer-up': case 'peer-down': return
    }
  }

  /** Re-stores a summary from disk (checked like any remote one); true when kept. */
  restore(bytes: Uint8Array, nowMs: number): boolean {
    const checked = this.#check(bytes, nowMs)
    return checked !== undefined && this.#offer(checked, nowMs) === 'stored'
  }

  #command(command: Extract<RendezvousInput, { type: 'command' }>['command'], nowMs: number, out: Out): void {
    switch (command.type) {
      case 'start':
        out.push({ type: 'schedule', delayMs: this.#config.pruneIntervalMs, timer: { type: 'prune' } })
        return
      case 'provide': return this.#provide(command, nowMs, out)
      case 'unprovide': return this.#unprovide(command.target, nowMs, out)
      case 'seek': return this.#seek(command.seekId, command.target, command.capability, nowMs, out)
      case 'seek-end': {
        const seek = this.#seeks.get(command.seekId)
        if (seek === undefined) return
        this.#seeks.delete(command.seekId)
        for (const q of seek.pending) this.#queries.delete(q)
        this.#release(seek.shard, out)
        return
      }
      case 'servers': {
        this.#servers = command.peers.filter((p) => !p.equals(this.#init.self))
        for (const providing of this.#providing.values()) this.#register(providing, nowMs, out)
        return
      }
      case 'validate': {
        const verdict = this.#validate(command.shard, command.origin, command.payload, nowMs, out)
        out.push({ type: 'emit', event: { type: 'verdict', validationId: command.validationId, verdict } })
        return
      }
    }
  }

  #provide(command: ProvideCommand, nowMs: number, out: Out): void {
    const key = toHex(command.target)
    const known = this.#providing.get(key)
    if (known === undefined && this.#providing.size >= this.#config.maxPerProvider) return this.#drop('too-many-targets')
    const providing: Providing = { command, seq: 0, registeredWith: new Set() }
    this.#providing.set(key, providing)
    if (known === undefined) this.#acquire(shardOf(command.target), out)
    this.#announce(providing, command.lifetimeMs, nowMs, out)
  }

  #unprovide(target: Uint8Array, nowMs: number, out: Out): void {
    const key = toHex(target)
    const providing = this.#providing.get(key)
    if (providing === undefined) return
    // The withdrawal is announced like a summary (expiry = issue time), then the shard is released.
    providing.registeredWith.clear()
    this.#announce(providing, 0, nowMs, out)
    this.#providing.delete(key)
    this.#release(shardOf(target), out)
  }

  /** Signs a fresh summary (lifetime 0 = withdrawal), stores it, publishes it and registers it with the servers. */
  #announce(providing: Providing, lifetimeMs: number, nowMs: number, out: Out): void {
    const c = providing.command
    // Wall-clock milliseconds as the sequence number: increasing across restarts without any state on disk.
    this.#lastSeq = Math.max(this.#lastSeq + 1, nowMs)
    providing.seq = this.#lastSeq
    const summary: ProviderSummary = {
      version: SUMMARY_VERSION, target: c.target, provider: this.#init.self, publicKey: this.#init.publicKey,
      capabilities: c.capabilities,
      ...(c.contentRoot === undefined ? {} : { contentRoot: c.contentRoot }),
      ...(c.manifestVersion === undefined ? {} : { manifestVersion: c.manifestVersion }),
      ...(c.bloom === undefined ? {} : { bloom: c.bloom }),
      addressHints: c.addressHints, issuedAtMs: nowMs, expiresAtMs: nowMs + lifetimeMs, seq: providing.seq,
    }
    const body = encodeSummaryBody(summary)
    const sig = this.#init.sign(body)
    const signed: SignedSummary = { summary, body, sig, bytes: encodeSignedSummary(body, sig) }
    this.#offer(signed, nowMs)
    const shard = shardOf(c.target)
    out.push({ type: 'emit', event: { type: 'publish', shard, bytes: signed.bytes } })
    if (lifetimeMs > 0) {
      out.push({ type: 'emit', event: { type: 'provided', summary: signed } })
      out.push({
        type: 'schedule', delayMs: Math.floor(lifetimeMs * this.#config.republishFraction),
        timer: { type: 'republish', target: toHex(c.target), seq: providing.seq },
      })
    }
    providing.registeredWith.clear()
    this.#register(providing, nowMs, out, signed.bytes)
  }

  /** Sends the current summary to shard servers it has not yet reached. */
  #register(providing: Providing, nowMs: number, out: Out, bytes?: Uint8Array): void {
    const summary = bytes ?? this.store.live(providing.command.target, nowMs).find((e) => e.signed.summary.provider.equals(this.#init.self))?.signed.bytes
    if (summary === undefined) return
    for (const server of shardServers(shardOf(providing.command.target), this.#servers, this.#config.replicas)) {
      if (providing.registeredWith.has(server.toHex())) continue
      providing.registeredWith.add(server.toHex())
      out.push({ type: 'send', to: server, msg: { type: 'register', summary } })
    }
  }

  #seek(seekId: number, target: Uint8Array, capability: Capability | undefined, nowMs: number, out: Out): void {
    if (this.#seeks.has(seekId)) return
    const shard = shardOf(target)
    const seek: Seek = { target, capability, shard, seen: new Set(), pending: new Set(), waiting: 0, retries: 0 }
    this.#seeks.set(seekId, seek)
    this.#acquire(shard, out)
    this.#deliver(seekId, seek, this.store.live(target, nowMs, capability).map((e) => e.signed), out)
    for (const server of shardServers(shard, this.#servers, this.#config.replicas)) this.#query(seekId, seek, server, undefined, nowMs, out)
    this.#doneIfSettled(seekId, seek, out)
  }

  /** Asks `server` for a page, or waits first while it asked not to be asked (within the seek's budget). */
  #query(seekId: number, seek: Seek, server: PeerId, cursor: number | undefined, nowMs: number, out: Out): void {
    const wait = (this.#backoff.get(server.toHex()) ?? 0) - nowMs
    if (wait > 0) {
      // A wait longer than a query may take, or one too many, gives this server up for the seek.
      if (wait > this.#config.queryTimeoutMs || seek.retries >= this.#config.queryRetries) return this.#drop('backoff')
      seek.retries++
      seek.waiting++
      out.push({ type: 'schedule', delayMs: wait, timer: { type: 'retry', seekId, server, cursor } })
      return
    }
    const queryId = this.#nextQueryId
    this.#nextQueryId = this.#nextQueryId >= 0xffff_ffff ? 1 : this.#nextQueryId + 1
    seek.pending.add(queryId)
    this.#queries.set(queryId, { seekId, server, cursor })
    const msg: RendezvousMessage = {
      type: 'query', queryId, target: seek.target, limit: SUMMARY_LIMITS.maxQueryLimit,
      ...(seek.capability === undefined ? {} : { capability: seek.capability }),
      ...(cursor === undefined ? {} : { cursor }),
    }
    out.push({ type: 'send', to: server, msg })
    out.push({ type: 'schedule', delayMs: this.#config.queryTimeoutMs, timer: { type: 'query-timeout', queryId } })
  }

  #recv(from: PeerId, msg: RendezvousMessage, nowMs: number, out: Out): void {
    switch (msg.type) {
      case 'register': {
        if (!this.#config.serve) return this.#drop('not-serving')
        // Before the signature check: that check is the cost a flood of registrations would impose.
        const admission = this.#registerLimiter.admit(from, nowMs)
        if (!admission.ok) return this.#drop(admission.why === 'rate' ? 'register-rate' : 'register-busy')
        const result = checkSummary(msg.summary, nowMs, this.#config, this.#init.verify, from)
        if (!result.ok) {
          this.#drop(result.reason)
          if (FORGERY.has(result.reason)) out.push({ type: 'emit', event: { type: 'misbehaved', peer: from, reason: 'forged-registration' } })
          return
        }
        if (this.#offer(result.signed, nowMs) === 'stored') this.#fanOut(result.signed, out)
        return
      }
      case 'query': {
        const admission = this.#queryLimiter.admit(from, nowMs)
        if (!admission.ok) {
          this.#drop(admission.why === 'rate' ? 'query-rate' : 'query-busy')
          if (admission.abusive) out.push({ type: 'emit', event: { type: 'misbehaved', peer: from, reason: 'ignored-refusals' } })
          out.push({ type: 'send', to: from, msg: { type: 'refused', queryId: msg.queryId, why: admission.why, retryAfterMs: admission.retryAfterMs } })
          return
        }
        const page = this.store.query(msg.target, nowMs, {
          ...(msg.capability === undefined ? {} : { capability: msg.capability }),
          ...(msg.cursor === undefined ? {} : { cursor: msg.cursor }),
          limit: Math.min(msg.limit, SUMMARY_LIMITS.maxReplySummaries),
        })
        out.push({
          type: 'send', to: from,
          msg: { type: 'reply', queryId: msg.queryId, summaries: page.entries.map((e) => e.signed.bytes), cursor: page.cursor, more: page.more },
        })
        return
      }
      case 'reply': return this.#reply(from, msg, nowMs, out)
      case 'refused': return this.#refused(from, msg, nowMs, out)
    }
  }

  /** A server over its limits: wait as long as it asked (bounded) and ask it again, within the seek's budget. */
  #refused(from: PeerId, msg: Extract<RendezvousMessage, { type: 'refused' }>, nowMs: number, out: Out): void {
    const pending = this.#queries.get(msg.queryId)
    if (pending === undefined || !pending.server.equals(from)) return this.#drop('unexpected-reply')
    this.#queries.delete(msg.queryId)
    this.#drop('refused')
    const until = nowMs + Math.min(msg.retryAfterMs, this.#config.maxRetryAfterMs)
    this.#backoff.set(from.toHex(), Math.max(until, this.#backoff.get(from.toHex()) ?? 0))
    const seek = this.#seeks.get(pending.seekId)
    if (seek === undefined) return
    seek.pending.delete(msg.queryId)
    this.#query(pending.seekId, seek, from, pending.cursor, nowMs, out)
    this.#doneIfSettled(pending.seekId, seek, out)
  }

  #doneIfSettled(seekId: number, seek: Seek, out: Out): void {
    if (seek.pending.size === 0 && seek.waiting === 0) out.push({ type: 'emit', event: { type: 'seek-done', seekId } })
  }

  #reply(from: PeerId, msg: Extract<RendezvousMessage, { type: 'reply' }>, nowMs: number, out: Out): void {
    const pending = this.#queries.get(msg.queryId)
    if (pending === undefined || !pending.server.equals(from)) return this.#drop('unexpected-reply')
    this.#queries.delete(msg.queryId)
    const seek = this.#seeks.get(pending.seekId)
    if (seek === undefined) return
    seek.pending.delete(msg.queryId)
    const found: SignedSummary[] = []
    for (const bytes of msg.summaries) {
      const checked = this.#check(bytes, nowMs)
      if (checked === undefined) continue
      if (toHex(checked.summary.target) !== toHex(seek.target) || isWithdrawal(checked)) {
        this.#drop('off-target')
        continue
      }
      // A copy we already hold is still an answer for this seek, and no fault of the server.
      const offered = this.#offer(checked, nowMs, false, true)
      if (offered === 'stored' || offered === 'duplicate') found.push(checked)
    }
    this.#deliver(pending.seekId, seek, found, out)
    if (msg.more && msg.summaries.length > 0 && seek.seen.size < this.#config.maxResultsPerSeek) {
      this.#query(pending.seekId, seek, from, msg.cursor, nowMs, out)
    }
    this.#doneIfSettled(pending.seekId, seek, out)
  }

  #validate(shard: number, origin: PeerId, payload: Uint8Array, nowMs: number, out: Out): Verdict {
    const checked = this.#check(payload, nowMs, origin)
    if (checked === undefined) return 'reject'
    if (shardOf(checked.summary.target) !== shard) {
      this.#drop('wrong-shard')
      return 'reject'
    }
    const offered = this.#offer(checked, nowMs, false)
    // Held from a seek's answer that came first, the provider's publication is new to the topic: it
    // goes on, or the nodes behind us lose it and an honest forwarder pays for our seek.
    if (offered === 'duplicate' && this.store.firstOnTopic(checked)) {
      this.#fanOut(checked, out)
      return 'accept'
    }
    if (offered === 'duplicate') this.#drop('duplicate')
    // A replay is the provider's own fault (pubsub already bound the origin): reject. Rate, quota and
    // a full store are this node's limits, not proof of misbehaviour by the forwarder: ignore.
    if (offered === 'stale' || offered === 'duplicate') return 'reject'
    if (offered !== 'stored') return 'ignore'
    this.#fanOut(checked, out)
    return 'accept'
  }

  /** A newly stored summary reaches the seeks waiting for its target. */
  #fanOut(signed: SignedSummary, out: Out): void {
    if (isWithdrawal(signed)) return
    for (const [seekId, seek] of this.#seeks) {
      if (toHex(seek.target) !== toHex(signed.summary.target)) continue
      if (seek.capability !== undefined && !signed.summary.capabilities.includes(seek.capability)) continue
      this.#deliver(seekId, seek, [signed], out)
    }
  }

  #deliver(seekId: number, seek: Seek, summaries: readonly SignedSummary[], out: Out): void {
    const fresh: SignedSummary[] = []
    for (const signed of summaries) {
      const provider = signed.summary.provider.toHex()
      if (seek.seen.has(provider)) continue
      if (seek.seen.size >= this.#config.maxResultsPerSeek) {
        this.#drop('too-many-results')
        break
      }
      seek.seen.add(provider)
      fresh.push(signed)
    }
    if (fresh.length === 0) return
    out.push({ type: 'emit', event: { type: 'found', seekId, providers: rankProviders(fresh, this.#init.score) } })
  }

  #timer(timer: RendezvousTimer, nowMs: number, out: Out): void {
    switch (timer.type) {
      case 'republish': {
        const providing = this.#providing.get(timer.target)
        if (providing === undefined || providing.seq !== timer.seq) return
        this.#announce(providing, providing.command.lifetimeMs, nowMs, out)
        return
      }
      case 'query-timeout': {
        const pending = this.#queries.get(timer.queryId)
        if (pending === undefined) return
        this.#queries.delete(timer.queryId)
        const seek = this.#seeks.get(pending.seekId)
        if (seek === undefined) return
        seek.pending.delete(timer.queryId)
        this.#doneIfSettled(pending.seekId, seek, out)
        return
      }
      case 'retry': {
        const seek = this.#seeks.get(timer.seekId)
        if (seek === undefined) return
        seek.waiting--
        this.#query(timer.seekId, seek, timer.server, timer.cursor, nowMs, out)
        this.#doneIfSettled(timer.seekId, seek, out)
        return
      }
      case 'leave': {
        if (!this.#shards.leave(timer.shard, timer.generation)) return
        out.push({ type: 'emit', event: { type: 'leave', shard: timer.shard } })
        // Off the topic, withdrawals no longer arrive here: a node without the role forgets the
        // shard rather than answer from it later (servers keep theirs; withdrawals reach them as `reg`).
        if (!this.#config.serve) this.store.forget((target) => shardOf(target) === timer.shard)
        return
      }
      case 'prune':
        this.store.prune(nowMs)
        this.#queryLimiter.prune(nowMs)
        this.#registerLimiter.prune(nowMs)
        for (const [server, until] of this.#backoff) if (until <= nowMs) this.#backoff.delete(server)
        out.push({ type: 'schedule', delayMs: this.#config.pruneIntervalMs, timer: { type: 'prune' } })
        return
    }
  }

  #acquire(shard: number, out: Out): void {
    if (this.#shards.acquire(shard)) out.push({ type: 'emit', event: { type: 'join', shard } })
  }

  #release(shard: number, out: Out): void {
    const generation = this.#shards.release(shard)
    if (generation !== undefined) out.push({ type: 'schedule', delayMs: this.#config.leaveGraceMs, timer: { type: 'leave', shard, generation } })
  }

  #check(bytes: Uint8Array, nowMs: number, origin?: PeerId): SignedSummary | undefined {
    const result = checkSummary(bytes, nowMs, this.#config, this.#init.verify, origin)
    if (result.ok) return result.signed
    this.#drop(result.reason)
    return undefined
  }

  #offer(signed: SignedSummary, nowMs: number, countDuplicate = true, fromAnswer = false): ReturnType<ShardStore['offer']> {
    const result = this.store.offer(signed, nowMs, isWithdrawal(signed), fromAnswer)
    if (result !== 'stored' && (countDuplicate || result !== 'duplicate')) this.#drop(result)
    return result
  }

  #drop(reason: RendezvousDropReason): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1
  }
}
