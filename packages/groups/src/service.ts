/**
 * The groups service: group sessions (session.ts) on the network. Key packages are fetched over the
 * request/response protocol `/saorsa-gossip/groups/1`, Welcomes travel on `/saorsa-gossip/groups/welcome/1`,
 * commits and messages on each group's pubsub topic behind a validator (SPEC.md 10.5). Each group's
 * calls run one at a time; state is saved after every epoch change.
 */
import type { Identity } from '@saorsa-gossip/identity'
import { bytesEqual, DecodeError, NotStartedError, throwIfAborted, toHex, type PeerId, type TopicId } from '@saorsa-gossip/types'
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js'
import {
  decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc, encodeGroupTopicPayload, MAX_COMMIT_ANSWER_BYTES,
  MAX_COMMITS_PER_ANSWER, MAX_KEY_PACKAGE_BYTES, MAX_RPC_BYTES, type GroupsRpcMessage, type GroupTopicPayload,
} from './codec.ts'
import { GroupError, InvalidWelcomeError, UnknownGroupError } from './errors.ts'
import { credentialPeerId } from './credential.ts'
import type { CommitChanges, GroupMember } from './group.ts'
import { createKeyPackage, openKeyPackage, type KeyPackageBundle } from './key-package.ts'
import { decodeWelcomeMessage } from './mls-bytes.ts'
import { COMMIT_LOG_LAN, type CommitLogConfig } from './proto/config.ts'
import { GroupSession, groupTopic, type SessionOutput } from './session.ts'
import { createGroupStore, MAX_STORED_KEY_PACKAGES, type GroupStore } from './store.ts'
import { loadSuite, suiteChoiceOf, suiteChoiceOfName, type GroupSuite, type SuiteChoice } from './suite.ts'

/** Request/response: key packages and catch-up commits (answers at most MAX_DIRECT_ANSWER_BYTES). */
export const GROUPS_PROTOCOL = '/saorsa-gossip/groups/1'
/** Bulk: a Welcome and the ratchet tree beside it. */
export const WELCOME_PROTOCOL = '/saorsa-gossip/groups/welcome/1'
/** Bulk: a catch-up answer too large for a direct answer (commits of bulk adds). */
export const COMMITS_PROTOCOL = '/saorsa-gossip/groups/commits/1'
/** A direct answer must fit one pubsub-class frame (LIMITS.maxPubsubFrameBytes, 80 KiB) with room for framing. */
export const MAX_DIRECT_ANSWER_BYTES = 72 * 1024

/** What the service needs from pubsub: group topics, with a validator run before delivery and forwarding. */
export interface GroupsPubSub {
  join(topic: TopicId, validate: (origin: PeerId, payload: Uint8Array) => 'accept' | 'reject' | 'ignore'): void
  leave(topic: TopicId): void
  publish(topic: TopicId, payload: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>
  /** Delivered (validated) payloads of joined topics. */
  onMessage(handler: (topic: TopicId, origin: PeerId, payload: Uint8Array) => void): void
}

/** What the service needs from the transport: request/response and whole bulk transfers, by peer. */
export interface GroupsTransport {
  /** Answers requests of `protocol`; a handler's answer travels back on the same exchange. */
  handleRequests(protocol: string, handler: (peer: PeerId, request: Uint8Array) => Promise<Uint8Array>): void
  request(peer: PeerId, protocol: string, request: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  /** Receives whole bulk transfers of `protocol`, at most `maxBytes` each. */
  handleBulk(protocol: string, maxBytes: number, handler: (peer: PeerId, data: Uint8Array) => Promise<void>): void
  sendBulk(peer: PeerId, protocol: string, data: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>
}

export interface GroupsInit {
  /** Directory of the state files (one per group, plus waiting key packages). */
  readonly directory: string
  /** `'saorsa'` (default) or a standard ts-mls suite name; the suite of groups this node creates. */
  readonly suite?: SuiteChoice
  readonly commitLog?: CommitLogConfig
}

export interface GroupsComponents {
  readonly identity: Identity
  readonly pubsub: GroupsPubSub
  readonly transport: GroupsTransport
  /** Wall clock for key package lifetimes and epoch ages (default `Date.now`). */
  readonly now?: () => number
}

export interface GroupsEvents {
  'group:joined': CustomEvent<{ groupId: Uint8Array }>
  'group:epoch': CustomEvent<{ groupId: Uint8Array; epoch: number; added: readonly PeerId[]; removed: readonly PeerId[] }>
  'group:removed': CustomEvent<{ groupId: Uint8Array }>
  'group:message': CustomEvent<{ groupId: Uint8Array; from: PeerId; data: Uint8Array }>
}

export interface AbortOptions { signal?: AbortSignal }

export interface GroupsMetrics {
  readonly messages: number
  readonly epochs: number
  readonly dropped: Readonly<Record<string, number>>
}

export interface Groups {
  start(options?: AbortOptions): Promise<void>
  stop(): Promise<void>
  create(options?: AbortOptions): Promise<Uint8Array>
  /** Fetches `peer`'s key package, commits its addition and, once the commit wins, sends it the Welcome. */
  invite(groupId: Uint8Array, peer: PeerId, options?: AbortOptions): Promise<void>
  remove(groupId: Uint8Array, peer: PeerId, options?: AbortOptions): Promise<void>
  leave(groupId: Uint8Array, options?: AbortOptions): Promise<void>
  send(groupId: Uint8Array, data: Uint8Array, options?: AbortOptions): Promise<void>
  list(): Uint8Array[]
  members(groupId: Uint8Array): readonly GroupMember[]
  epoch(groupId: Uint8Array): number
  /** MLS-Exporter of the group's current epoch, for presence and crdt-sync keys. */
  exportSecret(groupId: Uint8Array, label: string, length: number): Promise<Uint8Array>
  /** Counters: delivered group messages, applied epochs, and drops by reason (commit order, undecryptable messages). */
  metrics(): GroupsMetrics
  addEventListener<K extends keyof GroupsEvents>(type: K, listener: (event: GroupsEvents[K]) => void): void
  removeEventListener<K extends keyof GroupsEvents>(type: K, listener: (event: GroupsEvents[K]) => void): void
}

interface Entry {
  readonly session: GroupSession
  readonly topic: TopicId
  /** Changes of our commits still competing, by commit hash, to re-propose one that loses its epoch. */
  readonly proposals: Map<string, CommitChanges>
  /** The tail of this group's call queue. */
  queue: Promise<unknown>
}

export class GroupsService extends EventTarget {
  readonly #init: GroupsInit
  readonly #components: GroupsComponents
  readonly #store: GroupStore
  readonly #groups = new Map<string, Entry>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  #bundles: KeyPackageBundle[] = []
  #suite: GroupSuite | undefined
  #started = false
  #wired = false
  #messages = 0
  #epochs = 0
  readonly #dropped: Record<string, number> = {}

  constructor(init: GroupsInit, components: GroupsComponents) {
    super()
    this.#init = init
    this.#components = components
    this.#store = createGroupStore({ directory: init.directory, identity: components.identity })
  }

  #now(): number {
    return (this.#components.now ?? Date.now)()
  }

  get #options() {
    return { commitLog: this.#init.commitLog ?? COMMIT_LOG_LAN }
  }

  async start(options: AbortOptions = {}): Promise<void> {
    if (this.#started) return
    this.#suite = await loadSuite(this.#init.suite ?? 'saorsa')
    for (const groupId of await this.#store.list(options)) {
      const stored = await this.#store.load(groupId, options)
      const choice = suiteChoiceOf(stored.suiteId)
      if (choice === undefined) continue
      const session = GroupSession.restore(this.#components.identity, await loadSuite(choice), this.#options, stored.snapshot)
      if (session.group.active) this.#attach(session)
    }
    this.#bundles = await this.#store.loadKeyPackages(options)
    if (!this.#wired) {
      // Registered once per instance; while stopped, the handlers find no groups and answer errors.
      const { transport } = this.#components
      transport.handleRequests(GROUPS_PROTOCOL, (peer, request) => this.#guard(this.#answer(peer, request)))
      transport.handleBulk(WELCOME_PROTOCOL, MAX_RPC_BYTES, async (peer, data) => { await this.#guard(this.#welcome(peer, data)) })
      transport.handleBulk(COMMITS_PROTOCOL, MAX_COMMIT_ANSWER_BYTES, async (peer, data) => { await this.#guard(this.#commitsArrived(peer, data)) })
      this.#components.pubsub.onMessage((topic, origin, payload) => this.#onTopic(topic, origin, payload))
      this.#wired = true
    }
    this.#started = true
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    await Promise.allSettled([...this.#groups.values()].map((e) => e.queue))
    for (const entry of this.#groups.values()) this.#components.pubsub.leave(entry.topic)
    this.#groups.clear()
    this.#started = false
  }

  async create(options: AbortOptions = {}): Promise<Uint8Array> {
    const suite = this.#requireStarted()
    throwIfAborted(options.signal)
    const session = await GroupSession.create(this.#components.identity, suite, this.#options, this.#now())
    await this.#store.save(suite.id, session.snapshot(), options)
    this.#attach(session)
    return session.groupId
  }

  async invite(groupId: Uint8Array, peer: PeerId, options: AbortOptions = {}): Promise<void> {
    const entry = this.#entry(groupId)
    const suite = entry.session.group.suite
    const answer = decodeGroupsRpc(
      await this.#components.transport.request(peer, GROUPS_PROTOCOL, encodeGroupsRpc({ type: 'key-package-request', suite: suite.id }), options),
      MAX_KEY_PACKAGE_BYTES + 64,
    )
    if (answer.type !== 'key-package') throw new GroupError(`invite: ${peer.toShortString()} answered ${answer.type === 'error' ? answer.reason : answer.type}`)
    const { keyPackage } = await openKeyPackage(answer.keyPackage, suite, this.#now(), peer)
    await this.#run(entry, async () => this.#propose(entry, { add: [keyPackage] }))
  }

  async remove(groupId: Uint8Array, peer: PeerId, options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    const entry = this.#entry(groupId)
    await this.#run(entry, async () => this.#propose(entry, { remove: [peer] }))
  }

  async leave(groupId: Uint8Array, options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    const entry = this.#entry(groupId)
    await this.#run(entry, async () => this.#perform(entry, await entry.session.leave()))
  }

  async send(groupId: Uint8Array, data: Uint8Array, options: AbortOptions = {}): Promise<void> {
    const entry = this.#entry(groupId)
    await this.#components.pubsub.publish(entry.topic, encodeGroupTopicPayload(entry.session.seal(data)), options)
  }

  list(): Uint8Array[] {
    return [...this.#groups.values()].map((e) => e.session.groupId)
  }

  members(groupId: Uint8Array): readonly GroupMember[] {
    return this.#entry(groupId).session.group.members()
  }

  epoch(groupId: Uint8Array): number {
    return this.#entry(groupId).session.group.epoch
  }

  async exportSecret(groupId: Uint8Array, label: string, length: number): Promise<Uint8Array> {
    return this.#entry(groupId).session.group.exportSecret(label, length)
  }

  metrics(): GroupsMetrics {
    return { messages: this.#messages, epochs: this.#epochs, dropped: { ...this.#dropped } }
  }

  #drop(reason: string): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1
  }

  #requireStarted(): GroupSuite {
    if (!this.#started || this.#suite === undefined) throw new NotStartedError('groups: not started')
    return this.#suite
  }

  #entry(groupId: Uint8Array): Entry {
    this.#requireStarted()
    const entry = this.#groups.get(toHex(groupId))
    if (entry === undefined) throw new UnknownGroupError(`group ${toHex(groupId).slice(0, 8)}: not a member`)
    return entry
  }

  #attach(session: GroupSession): void {
    const topic = groupTopic(session.groupId)
    const entry: Entry = { session, topic, proposals: new Map(), queue: Promise.resolve() }
    this.#groups.set(toHex(session.groupId), entry)
    this.#components.pubsub.join(topic, (origin, bytes) => {
      try {
        return session.validate(decodeGroupTopicPayload(bytes), origin, this.#now())
      } catch {
        return 'reject'
      }
    })
  }

  /** Runs `task` after the group's previous calls: a session is never entered twice. */
  #run<T>(entry: Entry, task: () => Promise<T>): Promise<T> {
    const next = entry.queue.then(task, task)
    entry.queue = next.catch(() => undefined)
    return next
  }

  #onTopic(topic: TopicId, origin: PeerId, bytes: Uint8Array): void {
    const entry = [...this.#groups.values()].find((e) => e.topic.equals(topic))
    if (entry === undefined) return
    let payload: GroupTopicPayload
    try {
      payload = decodeGroupTopicPayload(bytes)
    } catch {
      this.#drop('malformed')
      return
    }
    if (payload.type === 'message') {
      try {
        const data = entry.session.open(payload, origin, this.#now())
        this.#messages++
        this.dispatchEvent(new CustomEvent('group:message', { detail: { groupId: entry.session.groupId, from: origin, data } }))
      } catch {
        // The validator admitted it, so only an epoch that ended meanwhile gets here.
        this.#drop('message-undecryptable')
      }
      return
    }
    void this.#run(entry, async () => this.#perform(entry, await entry.session.receive(origin, payload, this.#now())))
  }

  async #propose(entry: Entry, changes: CommitChanges): Promise<void> {
    const outputs = await entry.session.propose(changes, this.#now())
    for (const o of outputs) {
      if (o.type === 'publish' && o.payload.type === 'commit') entry.proposals.set(toHex(o.payload.hash), changes)
    }
    await this.#perform(entry, outputs)
  }

  /** Our commit lost its epoch to another: propose what is still to do on the new epoch. */
  async #repropose(entry: Entry, changes: CommitChanges): Promise<void> {
    const group = entry.session.group
    if (!group.active) return
    const remove = (changes.remove ?? []).filter((p) => group.isMember(p))
    const add = (changes.add ?? []).filter((kp) => {
      const peer = credentialPeerId(kp.leafNode.credential, kp.leafNode.signaturePublicKey, group.suite)
      return peer !== undefined && !group.isMember(peer)
    })
    const selfUpdate = changes.add === undefined && changes.remove === undefined
    if (remove.length > 0 || add.length > 0 || selfUpdate) await this.#propose(entry, { add, remove })
  }

  /** Carries out session outputs: publish, fetch, Welcomes, timers, events, and a save per epoch. */
  async #perform(entry: Entry, outputs: SessionOutput[]): Promise<void> {
    const { session } = entry
    let changed = false
    for (const o of outputs) {
      switch (o.type) {
        case 'publish':
          await this.#components.pubsub.publish(entry.topic, encodeGroupTopicPayload(o.payload))
          break
        case 'schedule': {
          const timer = setTimeout(() => {
            this.#timers.delete(timer)
            void this.#run(entry, async () => this.#perform(entry, await session.timer(o.timer, this.#now())))
          }, o.delayMs)
          this.#timers.add(timer)
          break
        }
        case 'fetch':
          void this.#fetch(entry, o.peer, o.sinceEpoch, o.hash)
          break
        case 'welcome':
          for (const peer of o.to) {
            const welcome = encodeGroupsRpc({ type: 'welcome', groupId: session.groupId, welcome: o.welcome, ratchetTree: o.ratchetTree })
            // A lost Welcome leaves the invitee outside; the inviter can invite again with a fresh key package.
            void this.#components.transport.sendBulk(peer, WELCOME_PROTOCOL, welcome).catch(() => undefined)
          }
          break
        case 'epoch':
          changed = true
          this.#epochs++
          this.dispatchEvent(new CustomEvent('group:epoch', {
            detail: { groupId: session.groupId, epoch: o.change.epoch, added: o.change.added, removed: o.change.removed },
          }))
          if (o.change.removedSelf) {
            // Nothing sent after this epoch is readable to us: stop following the group and drop its state.
            this.#groups.delete(toHex(session.groupId))
            this.#components.pubsub.leave(entry.topic)
            await this.#store.remove(session.groupId)
            this.dispatchEvent(new CustomEvent('group:removed', { detail: { groupId: session.groupId } }))
            return
          }
          break
        case 'lost': {
          const changes = entry.proposals.get(toHex(o.hash))
          entry.proposals.delete(toHex(o.hash))
          if (changes !== undefined) void this.#run(entry, async () => this.#repropose(entry, changes))
          break
        }
        case 'dropped':
          this.#drop(o.reason)
          break
      }
    }
    if (changed) {
      // Every commit of ours on the previous epoch has now won or been reported lost (and re-queued).
      entry.proposals.clear()
      await this.#store.save(session.group.suite.id, session.snapshot())
    }
  }

  /** Bad remote input becomes an `err` answer naming the error class, never an exception through the transport. */
  async #guard(answer: Promise<Uint8Array>): Promise<Uint8Array> {
    try {
      return await answer
    } catch (err) {
      if (err instanceof GroupError || err instanceof DecodeError) return encodeGroupsRpc({ type: 'error', reason: err.name })
      throw err
    }
  }

  async #fetch(entry: Entry, peer: PeerId, sinceEpoch: number, hash: Uint8Array | undefined): Promise<void> {
    let answer
    try {
      const request = encodeGroupsRpc({ type: 'commits-request', groupId: entry.session.groupId, sinceEpoch, hash })
      answer = decodeGroupsRpc(await this.#components.transport.request(peer, GROUPS_PROTOCOL, request), MAX_DIRECT_ANSWER_BYTES)
    } catch {
      return // the commit log retries on its timer
    }
    // `ok`: the answer is too large for a direct response and follows on a bulk stream.
    if (answer.type === 'commits') await this.#feedCommits(peer, answer)
  }

  async #commitsArrived(peer: PeerId, data: Uint8Array): Promise<Uint8Array> {
    const answer = decodeGroupsRpc(data, MAX_COMMIT_ANSWER_BYTES)
    if (answer.type === 'commits') await this.#feedCommits(peer, answer)
    return new Uint8Array(0)
  }

  async #feedCommits(peer: PeerId, answer: GroupsRpcMessage & { type: 'commits' }): Promise<void> {
    const entry = this.#groups.get(toHex(answer.groupId))
    if (entry === undefined) return
    for (const commit of answer.commits) {
      await this.#run(entry, async () => this.#perform(entry, await entry.session.receive(peer, commit, this.#now())))
    }
  }

  async #answer(peer: PeerId, bytes: Uint8Array): Promise<Uint8Array> {
    if (!this.#started) return encodeGroupsRpc({ type: 'error', reason: 'unexpected' })
    const request = decodeGroupsRpc(bytes, 1024)
    if (request.type === 'key-package-request') {
      const suite = this.#requireStarted()
      if (request.suite !== suite.id) return encodeGroupsRpc({ type: 'error', reason: 'unsupported-suite' })
      const bundle = await createKeyPackage(this.#components.identity, suite, this.#now())
      this.#bundles = [...this.#bundles, bundle].slice(-MAX_STORED_KEY_PACKAGES)
      await this.#store.saveKeyPackages(this.#bundles)
      return encodeGroupsRpc({ type: 'key-package', keyPackage: bundle.bytes })
    }
    if (request.type === 'commits-request') {
      const entry = this.#groups.get(toHex(request.groupId))
      // Only members get commits: they are encrypted to the epoch anyway, but the set of commits is not public.
      if (entry === undefined || !entry.session.group.isMember(peer)) return encodeGroupsRpc({ type: 'error', reason: 'unknown-group' })
      const commits = entry.session.commitsSince(request.sinceEpoch, MAX_COMMITS_PER_ANSWER, request.hash)
      // As many as fit a direct answer; a first commit too large for one goes alone on a bulk stream.
      const fitting = []
      let size = 128
      for (const c of commits) {
        size += c.commit.length + 96
        if (size > MAX_DIRECT_ANSWER_BYTES) break
        fitting.push(c)
      }
      if (fitting.length === 0 && commits.length > 0) {
        const bulk = encodeGroupsRpc({ type: 'commits', groupId: request.groupId, commits: commits.slice(0, 1) })
        void this.#components.transport.sendBulk(peer, COMMITS_PROTOCOL, bulk).catch(() => undefined)
        return encodeGroupsRpc({ type: 'ok' })
      }
      return encodeGroupsRpc({ type: 'commits', groupId: request.groupId, commits: fitting })
    }
    return encodeGroupsRpc({ type: 'error', reason: 'unexpected' })
  }

  async #welcome(peer: PeerId, bytes: Uint8Array): Promise<Uint8Array> {
    if (!this.#started) return encodeGroupsRpc({ type: 'error', reason: 'unexpected' })
    const message = decodeGroupsRpc(bytes)
    if (message.type !== 'welcome') return encodeGroupsRpc({ type: 'error', reason: 'unexpected' })
    if (this.#groups.has(toHex(message.groupId))) return encodeGroupsRpc({ type: 'error', reason: 'already-member' })
    const welcome = decodeWelcomeMessage(message.welcome, InvalidWelcomeError)
    const refs = new Set(welcome.secrets.map((s) => toHex(s.newMember)))
    for (const bundle of this.#bundles) {
      const suite = await loadSuite(suiteChoiceOfName(bundle.keyPackage.cipherSuite))
      if (!refs.has(toHex(await makeKeyPackageRef(bundle.keyPackage, suite.impl.hash)))) continue
      const session = await GroupSession.join(this.#components.identity, suite, this.#options, bundle, message.welcome, message.ratchetTree, this.#now())
      if (!session.group.isMember(peer)) throw new InvalidWelcomeError('welcome: sent by a non-member')
      this.#bundles = this.#bundles.filter((b) => b !== bundle)
      await this.#store.saveKeyPackages(this.#bundles)
      await this.#store.save(suite.id, session.snapshot())
      this.#attach(session)
      this.dispatchEvent(new CustomEvent('group:joined', { detail: { groupId: session.groupId } }))
      // Commits made between the Welcome and our topic subscription would otherwise pass us by; ask
      // the inviter now and once more after a retry interval, for a commit still settling there.
      const entry = this.#entry(session.groupId)
      void this.#fetch(entry, peer, session.group.epoch, undefined)
      const retry = setTimeout(() => {
        this.#timers.delete(retry)
        void this.#fetch(entry, peer, entry.session.group.epoch, undefined)
      }, this.#options.commitLog.fetchRetryMs)
      this.#timers.add(retry)
      return encodeGroupsRpc({ type: 'ok' })
    }
    return encodeGroupsRpc({ type: 'error', reason: 'no-key-package' })
  }
}

/** Creates the groups service on a node's pubsub and transport. Call `start()` first. */
export function createGroups(init: GroupsInit, components: GroupsComponents): Groups {
  return new GroupsService(init, components) as unknown as Groups
}

