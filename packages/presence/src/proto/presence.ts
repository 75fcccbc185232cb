/**
 * The presence core (SPEC.md section 13.5): per group, it announces this member with encrypted
 * beacons on the slice's topic, judges received beacons (decrypt, bind the sealed sender to the
 * pubsub origin, check tag, membership, validity window and sequence), keeps who is online and
 * reports changes as events, and answers FIND_USER from what it has heard. Sans-IO.
 */
import { bytesEqual, TopicId, type Outbox, type PeerId, type ProtocolCore, type Rng } from '@saorsa-gossip/types'
import { checkPresenceConfig, DEFAULT_PRESENCE_CONFIG, type PresenceConfig } from './config.ts'
import { beaconKey, beaconTopic, presenceTag, sliceOf } from './derive.ts'
import type { BeaconBody, PresenceStatus, PresenceWire } from './messages.ts'
import { RequesterBuckets } from './rate-limit.ts'
import { openBeacon, sealBeacon } from './seal.ts'
import { untilTopicChange, wantedSlices } from './topics.ts'
import type {
  FoundUser, OnlineMember, PresenceCommand, PresenceDropReason, PresenceEvent, PresenceInput, PresenceOutput, PresenceTimer, Verdict,
} from './types.ts'

export interface PresenceCoreInit {
  readonly self: PeerId
  readonly rng: Rng
  readonly wire: PresenceWire
  readonly config?: Partial<PresenceConfig>
  /** Wall clock minus `nowMs` at start; refreshed by 'wall-clock' commands. */
  readonly wallOffsetMs?: number
}

interface Epoch { readonly epoch: number; readonly secret: Uint8Array; retireAtMs: number }
interface Announcing { status: Exclude<PresenceStatus, 'offline'>; since: number; gen: number }
interface Entry {
  readonly peer: PeerId
  status: PresenceStatus
  addrs: readonly string[]
  since: number
  expires: number
  lastSeen: number
  seq: number
}
interface Group {
  readonly name: string
  epochs: Epoch[]
  /** The roster; undefined when holding the secret is membership (a shared-secret group). */
  members: Map<string, PeerId> | undefined
  readonly entries: Map<string, Entry>
  /** Joined beacon topics: topic hex -> the secret and slice that made it, and what they derive. */
  readonly topics: Map<string, JoinedTopic>
  announcing: Announcing | undefined
  beaconGen: number
  rotateGen: number
}

/**
 * One joined beacon topic. Its beacon key and the tags of its senders are fixed for the slice, so
 * they are derived once per topic and sender rather than once per received beacon (two keyed
 * BLAKE3 runs per beacon); tags are kept for at most MAX_OPEN_GROUP_MEMBERS senders.
 */
interface JoinedTopic {
  readonly topic: TopicId
  readonly secret: Uint8Array
  readonly slice: number
  readonly key: Uint8Array
  readonly tags: Map<string, Uint8Array>
}

const DROP_REASONS: readonly PresenceDropReason[] = [
  'unknown-topic', 'malformed', 'undecryptable', 'origin-mismatch', 'not-member', 'tag-mismatch', 'self', 'stale', 'future', 'replay', 'group-full',
]

/**
 * Members tracked in a group without a roster: beyond it new senders are ignored (never rejected:
 * they hold the secret). 1,024 x about 300 bytes of state bounds a group at 300 KB.
 */
export const MAX_OPEN_GROUP_MEMBERS = 1_024

export class PresenceCore implements ProtocolCore<never, PresenceTimer, PresenceCommand, PresenceEvent> {
  readonly config: PresenceConfig
  readonly drops: Record<PresenceDropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<PresenceDropReason, number>
  readonly #self: PeerId
  readonly #rng: Rng
  readonly #wire: PresenceWire
  readonly #groups = new Map<string, Group>()
  /** Every joined topic of every group: topic hex -> group name. */
  readonly #topicOwner = new Map<string, string>()
  readonly #buckets: RequesterBuckets
  #wallOffset: number
  #addrs: readonly string[] = []
  #seq = 0
  #sweeping = false

  constructor(init: PresenceCoreInit) {
    this.config = checkPresenceConfig({ ...DEFAULT_PRESENCE_CONFIG, ...init.config })
    this.#self = init.self
    this.#rng = init.rng
    this.#wire = init.wire
    this.#wallOffset = init.wallOffsetMs ?? 0
    this.#buckets = new RequesterBuckets(this.config.findUserPerHour, this.config.maxFindRequesters)
  }

  handle(input: PresenceInput, nowMs: number, out: Outbox<PresenceOutput>): void {
    if (input.type === 'timer') return this.#timer(input.timer, nowMs, out)
    if (input.type === 'command') return this.#command(input.command, nowMs, out)
  }

  /** Members of `group` heard from and not expired, this node excluded. */
  online(group: string, nowMs: number): OnlineMember[] {
    const state = this.#groups.get(group)
    if (state === undefined) return []
    const wall = this.#wall(nowMs)
    const out: OnlineMember[] = []
    for (const e of state.entries.values()) {
      if (e.status === 'offline' || e.expires < wall) continue
      out.push({ peer: e.peer, status: e.status, addrs: e.addrs, lastSeen: e.lastSeen, since: e.since, expires: e.expires })
    }
    return out
  }

  groups(): string[] {
    return [...this.#groups.keys()]
  }

  /** Topic ids currently joined for `group`. */
  topics(group: string): TopicId[] {
    return [...(this.#groups.get(group)?.topics.values() ?? [])].map((t) => t.topic)
  }

  /** Whole Unix milliseconds: drivers' monotonic clocks are fractional, the wire carries integers. */
  #wall(nowMs: number): number {
    return Math.floor(nowMs + this.#wallOffset)
  }

  #command(command: PresenceCommand, nowMs: number, out: Outbox<PresenceOutput>): void {
    switch (command.type) {
      case 'wall-clock': this.#wallOffset = command.wallMs - nowMs; return
      case 'set-addrs': this.#addrs = [...command.addrs]; return
      case 'set-group': return this.#setGroup(command, nowMs, out)
      case 'remove-group': return this.#removeGroup(command.group, out)
      case 'announce': return this.#announce(command.group, command.status, nowMs, out)
      case 'withdraw': return this.#withdraw(command.group, nowMs, out)
      case 'beacon': {
        const result = this.#judge(command.topic, command.origin, command.payload, nowMs, out)
        out.push({ type: 'emit', event: { type: 'verdict', requestId: command.requestId, result } })
        return
      }
      case 'find-query': return this.#findQuery(command.requestId, command.requester, command.target, nowMs, out)
    }
  }

  #timer(timer: PresenceTimer, nowMs: number, out: Outbox<PresenceOutput>): void {
    if (timer.type === 'sweep') return this.#sweep(nowMs, out)
    const group = this.#groups.get(timer.group)
    if (group === undefined) return
    if (timer.type === 'rotate') {
      if (timer.gen === group.rotateGen) this.#rotate(group, nowMs, out)
      return
    }
    if (group.announcing === undefined || timer.gen !== group.beaconGen) return
    this.#sendBeacon(group, group.announcing.status, nowMs, out)
    this.#scheduleBeacon(group, out)
  }

  #setGroup(command: Extract<PresenceCommand, { type: 'set-group' }>, nowMs: number, out: Outbox<PresenceOutput>): void {
    let group = this.#groups.get(command.group)
    if (group === undefined) {
      group = {
        name: command.group, epochs: [], members: new Map(), entries: new Map(), topics: new Map(),
        announcing: undefined, beaconGen: 0, rotateGen: 0,
      }
      this.#groups.set(command.group, group)
    }
    const current = group.epochs[0]
    if (current === undefined || current.epoch !== command.epoch || !bytesEqual(current.secret, command.secret)) {
      for (const old of group.epochs) old.retireAtMs = Math.min(old.retireAtMs, nowMs + this.config.epochGraceMs)
      group.epochs = [{ epoch: command.epoch, secret: command.secret.slice(), retireAtMs: Infinity }, ...group.epochs]
    }
    group.members = command.members === undefined ? undefined : new Map(command.members.map((m) => [m.toHex(), m]))
    for (const [hex, entry] of group.entries) {
      if (group.members === undefined || group.members.has(hex)) continue
      group.entries.delete(hex)
      if (entry.status !== 'offline') out.push({ type: 'emit', event: { type: 'member-offline', group: group.name, member: entry.peer, reason: 'removed' } })
    }
    this.#rotate(group, nowMs, out)
    if (!this.#sweeping) {
      this.#sweeping = true
      out.push({ type: 'schedule', delayMs: this.config.sweepIntervalMs, timer: { type: 'sweep' } })
    }
  }

  #removeGroup(name: string, out: Outbox<PresenceOutput>): void {
    const group = this.#groups.get(name)
    if (group === undefined) return
    for (const { topic } of group.topics.values()) {
      this.#topicOwner.delete(topic.toHex())
      out.push({ type: 'emit', event: { type: 'leave-topic', group: name, topic } })
    }
    this.#groups.delete(name)
  }

  /** Joins and leaves beacon topics to match the wall clock, and schedules the next change. */
  #rotate(group: Group, nowMs: number, out: Outbox<PresenceOutput>): void {
    const wall = this.#wall(nowMs)
    const { sliceMs, topicLeadMs, topicGraceMs } = this.config
    group.epochs = group.epochs.filter((e, i) => i === 0 || e.retireAtMs > nowMs)
    const wanted = new Map<string, { topic: TopicId; secret: Uint8Array; slice: number }>()
    for (const { secret } of group.epochs) {
      for (const slice of wantedSlices(wall, sliceMs, topicLeadMs, topicGraceMs)) {
        const topic = TopicId.fromBytes(beaconTopic(secret, slice))
        wanted.set(topic.toHex(), { topic, secret, slice })
      }
    }
    for (const [hex, joined] of group.topics) {
      if (wanted.has(hex)) continue
      group.topics.delete(hex)
      this.#topicOwner.delete(hex)
      out.push({ type: 'emit', event: { type: 'leave-topic', group: group.name, topic: joined.topic } })
    }
    for (const [hex, want] of wanted) {
      if (group.topics.has(hex)) continue
      group.topics.set(hex, { ...want, key: beaconKey(want.secret, want.slice), tags: new Map() })
      this.#topicOwner.set(hex, group.name)
      out.push({ type: 'emit', event: { type: 'join-topic', group: group.name, topic: want.topic } })
    }
    let delay = untilTopicChange(wall, sliceMs, topicLeadMs, topicGraceMs)
    for (const e of group.epochs) if (e.retireAtMs !== Infinity) delay = Math.min(delay, Math.max(1, e.retireAtMs - nowMs))
    out.push({ type: 'schedule', delayMs: delay, timer: { type: 'rotate', group: group.name, gen: ++group.rotateGen } })
  }

  #announce(name: string, status: Exclude<PresenceStatus, 'offline'>, nowMs: number, out: Outbox<PresenceOutput>): void {
    const group = this.#groups.get(name)
    if (group === undefined) return
    if (group.announcing?.status !== status) group.announcing = { status, since: this.#wall(nowMs), gen: 0 }
    this.#sendBeacon(group, status, nowMs, out)
    this.#scheduleBeacon(group, out)
  }

  #withdraw(name: string, nowMs: number, out: Outbox<PresenceOutput>): void {
    const group = this.#groups.get(name)
    if (group?.announcing === undefined) return
    group.announcing = undefined
    group.beaconGen++
    this.#sendBeacon(group, 'offline', nowMs, out)
  }

  #scheduleBeacon(group: Group, out: Outbox<PresenceOutput>): void {
    const { beaconIntervalMs, beaconJitter } = this.config
    const delayMs = Math.round(beaconIntervalMs * (1 - beaconJitter + 2 * beaconJitter * this.#rng.nextFloat()))
    out.push({ type: 'schedule', delayMs, timer: { type: 'beacon', group: group.name, gen: ++group.beaconGen } })
  }

  #sendBeacon(group: Group, status: PresenceStatus, nowMs: number, out: Outbox<PresenceOutput>): void {
    const epoch = group.epochs[0]
    if (epoch === undefined) return
    const wall = this.#wall(nowMs)
    const slice = sliceOf(wall, this.config.sliceMs)
    const topic = beaconTopic(epoch.secret, slice)
    const tag = presenceTag(epoch.secret, this.#self, slice)
    // Wall-clock milliseconds keep the sequence increasing across restarts without stored state.
    this.#seq = Math.max(this.#seq + 1, Math.floor(wall))
    const body: BeaconBody = {
      sender: this.#self, status, addrs: this.#addrs, since: group.announcing?.since ?? Math.floor(wall),
      expires: Math.floor(wall + this.config.beaconTtlMs), seq: this.#seq,
    }
    const nonce = this.#rng.fill(new Uint8Array(12))
    const ct = sealBeacon(beaconKey(epoch.secret, slice), topic, tag, nonce, this.#wire.encodeBody(body))
    const payload = this.#wire.encodeEnvelope({ tag, nonce, ct })
    out.push({ type: 'emit', event: { type: 'publish', group: group.name, topic: TopicId.fromBytes(topic), payload } })
  }

  #drop(reason: PresenceDropReason, result: Verdict): Verdict {
    this.drops[reason]++
    return result
  }

  /**
   * Rejects what no honest member sends (bad encoding, wrong key, sender other than the signing
   * origin, tag or membership mismatch); ignores what an honest network can deliver (a skewed
   * clock, a replayed or reordered beacon), so forwarders are not penalised for it.
   */
  #judge(topic: TopicId, origin: PeerId, payload: Uint8Array, nowMs: number, out: Outbox<PresenceOutput>): Verdict {
    const name = this.#topicOwner.get(topic.toHex())
    const group = name === undefined ? undefined : this.#groups.get(name)
    const joined = group?.topics.get(topic.toHex())
    if (group === undefined || joined === undefined) return this.#drop('unknown-topic', 'ignore')
    let envelope
    try {
      envelope = this.#wire.decodeEnvelope(payload)
    } catch {
      return this.#drop('malformed', 'reject')
    }
    const plain = openBeacon(joined.key, topic.bytes, envelope.tag, envelope.nonce, envelope.ct)
    if (plain === undefined) return this.#drop('undecryptable', 'reject')
    let body: BeaconBody
    try {
      body = this.#wire.decodeBody(plain)
    } catch {
      return this.#drop('malformed', 'reject')
    }
    if (!body.sender.equals(origin)) return this.#drop('origin-mismatch', 'reject')
    if (body.sender.equals(this.#self)) return this.#drop('self', 'ignore')
    const hex = body.sender.toHex()
    if (group.members !== undefined && !group.members.has(hex)) return this.#drop('not-member', 'reject')
    if (!bytesEqual(envelope.tag, tagOf(joined, body.sender, hex))) return this.#drop('tag-mismatch', 'reject')
    const wall = this.#wall(nowMs)
    if (body.expires < wall) return this.#drop('stale', 'ignore')
    const skew = this.config.maxClockSkewMs
    if (body.since > wall + skew || body.expires > wall + this.config.beaconTtlMs + skew) return this.#drop('future', 'ignore')
    const entry = group.entries.get(hex)
    if (entry !== undefined && body.seq <= entry.seq) return this.#drop('replay', 'ignore')
    if (entry === undefined && group.members === undefined && group.entries.size >= MAX_OPEN_GROUP_MEMBERS) return this.#drop('group-full', 'ignore')
    this.#apply(group, entry, body, wall, out)
    return 'accept'
  }

  #apply(group: Group, entry: Entry | undefined, body: BeaconBody, wall: number, out: Outbox<PresenceOutput>): void {
    const was = entry === undefined || entry.expires < wall ? 'offline' : entry.status
    const next: Entry = { peer: body.sender, status: body.status, addrs: body.addrs, since: body.since, expires: body.expires, lastSeen: wall, seq: body.seq }
    group.entries.set(body.sender.toHex(), next)
    const base = { group: group.name, member: body.sender }
    if (was === 'offline' && body.status !== 'offline') out.push({ type: 'emit', event: { type: 'member-online', ...base, status: body.status, addrs: body.addrs } })
    else if (was !== 'offline' && body.status === 'offline') out.push({ type: 'emit', event: { type: 'member-offline', ...base, reason: 'left' } })
    else if (was !== body.status) out.push({ type: 'emit', event: { type: 'member-status', ...base, status: body.status, previous: was } })
  }

  #sweep(nowMs: number, out: Outbox<PresenceOutput>): void {
    const wall = this.#wall(nowMs)
    for (const group of this.#groups.values()) {
      for (const [hex, entry] of group.entries) {
        if (entry.expires >= wall) continue
        if (entry.status !== 'offline') {
          entry.status = 'offline'
          out.push({ type: 'emit', event: { type: 'member-offline', group: group.name, member: entry.peer, reason: 'expired' } })
        }
        // Without a roster the entries are the only bound on state; a replay of an expired beacon is stale anyway.
        if (group.members === undefined) group.entries.delete(hex)
      }
    }
    if (this.#groups.size === 0) {
      this.#sweeping = false
      return
    }
    out.push({ type: 'schedule', delayMs: this.config.sweepIntervalMs, timer: { type: 'sweep' } })
  }

  /** Answers from the freshest beacon of `target` in any group (or this node's own state). */
  #findQuery(requestId: number, requester: PeerId, target: PeerId, nowMs: number, out: Outbox<PresenceOutput>): void {
    if (!this.#buckets.take(requester.toHex(), nowMs)) {
      out.push({ type: 'emit', event: { type: 'find-answer', requestId, answer: undefined, refused: 'rate-limited' } })
      return
    }
    const wall = this.#wall(nowMs)
    let best: FoundUser | undefined
    if (target.equals(this.#self)) {
      const status = [...this.#groups.values()].find((g) => g.announcing !== undefined)?.announcing?.status
      if (status !== undefined) best = { target, status, addrs: this.#addrs, seenAt: Math.floor(wall) }
    }
    for (const group of this.#groups.values()) {
      const e = group.entries.get(target.toHex())
      if (e === undefined || e.status === 'offline' || e.expires < wall) continue
      if (best === undefined || e.lastSeen > best.seenAt) best = { target, status: e.status, addrs: e.addrs, seenAt: Math.floor(e.lastSeen) }
    }
    out.push({ type: 'emit', event: { type: 'find-answer', requestId, answer: best } })
  }
}

/** `presenceTag` of `sender` in the topic's slice, derived once per sender while there is room. */
function tagOf(joined: JoinedTopic, sender: PeerId, hex: string): Uint8Array {
  const cached = joined.tags.get(hex)
  if (cached !== undefined) return cached
  const tag = presenceTag(joined.secret, sender, joined.slice)
  if (joined.tags.size < MAX_OPEN_GROUP_MEMBERS) joined.tags.set(hex, tag)
  return tag
}
