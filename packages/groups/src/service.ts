/**
 * The groups service: group sessions (session.ts) on the network. Key packages are fetched over the
 * request/response protocol `/saorsa-gossip/groups/1`, Welcomes travel on `/saorsa-gossip/groups/welcome/1`,
 * commits and messages on each group's pubsub topic behind a validator (SPEC.md 10.5). Each group's
 * calls run one at a time; state is saved after every epoch change.
 */
import { DecodeError, NotStartedError, throwIfAborted, toHex, type PeerId, type TopicId } from '@saorsa-gossip/types'
import { requestCommits, serveCommits } from './catch-up.ts'
import {
  decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc, encodeGroupTopicPayload, MAX_COMMIT_ANSWER_BYTES,
  MAX_KEY_PACKAGE_BYTES, MAX_RPC_BYTES, type GroupsRpcMessage, type GroupTopicPayload,
} from './codec.ts'
import { GroupError, GroupStateCorruptError, InvalidWelcomeError, UnknownGroupError } from './errors.ts'
import { credentialPeerId } from './credential.ts'
import type { CommitChanges, GroupMember } from './group.ts'
import { openKeyPackage } from './key-package.ts'
import { KeyPackagePool } from './key-package-pool.ts'
import { decodeWelcomeMessage } from './mls-bytes.ts'
import { COMMIT_LOG_LAN } from './proto/config.ts'
import {
  COMMITS_PROTOCOL, GROUPS_PROTOCOL, WELCOME_PROTOCOL, type AbortOptions, type Groups, type GroupsComponents,
  type GroupDelivery, type GroupSent, type GroupsInit, type GroupsMetrics, type InviteOptions,
} from './service-api.ts'
import { GroupSession, groupTopic, type SessionOutput } from './session.ts'
import { createGroupStore, type GroupStore } from './store.ts'
import { loadSuite, suiteChoiceOf, type GroupSuite } from './suite.ts'

export {
  COMMITS_PROTOCOL, GROUPS_PROTOCOL, MAX_DIRECT_ANSWER_BYTES, WELCOME_PROTOCOL,
  type AbortOptions, type GroupDelivery, type GroupPublished, type Groups, type GroupsComponents, type GroupsEvents, type GroupSent,
  type GroupsInit, type GroupsMetrics, type GroupsPubSub, type GroupsTransport, type InviteOptions,
} from './service-api.ts'

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
  readonly #keyPackages: KeyPackagePool
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
    this.#keyPackages = new KeyPackagePool(components.identity, this.#store)
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
      let stored
      try {
        stored = await this.#store.load(groupId, options)
      } catch (err) {
        // A damaged file stays where it is for inspection; the other groups still start.
        if (!(err instanceof GroupStateCorruptError)) throw err
        this.#drop('state-corrupt')
        continue
      }
      const choice = suiteChoiceOf(stored.suiteId)
      if (choice === undefined) continue
      const session = GroupSession.restore(this.#components.identity, await loadSuite(choice), this.#options, stored.snapshot)
      if (session.group.active) this.#attach(session)
    }
    try {
      await this.#keyPackages.load(options)
    } catch (err) {
      // Its private keys are unreadable either way; invitations to the packages in it must be sent again.
      if (!(err instanceof GroupStateCorruptError)) throw err
      this.#drop('key-packages-corrupt')
    }
    if (!this.#wired) {
      // Registered once per instance; while stopped, the handlers find no groups and answer errors.
      const { transport } = this.#components
      transport.handleRequests(GROUPS_PROTOCOL, (peer, request) => this.#guard(this.#answer(peer, request)))
      transport.handleBulk(WELCOME_PROTOCOL, MAX_RPC_BYTES, async (peer, data) => { await this.#guard(this.#welcome(peer, data)) })
      transport.handleBulk(COMMITS_PROTOCOL, MAX_COMMIT_ANSWER_BYTES, async (peer, data) => { await this.#guard(this.#commitsArrived(peer, data)) })
      this.#components.pubsub.onMessage((topic, origin, payload, delivery) => this.#onTopic(topic, origin, payload, delivery))
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

  async keyPackage(options: AbortOptions = {}): Promise<Uint8Array> {
    const suite = this.#requireStarted()
    throwIfAborted(options.signal)
    return (await this.#keyPackages.issue(suite, this.#now(), options)).bytes
  }

  async invite(groupId: Uint8Array, peer: PeerId, options: InviteOptions = {}): Promise<void> {
    const entry = this.#entry(groupId)
    const suite = entry.session.group.suite
    let bytes = options.keyPackage
    if (bytes === undefined) {
      const answer = decodeGroupsRpc(
        await this.#components.transport.request(peer, GROUPS_PROTOCOL, encodeGroupsRpc({ type: 'key-package-request', suite: suite.id }), options),
        MAX_KEY_PACKAGE_BYTES + 64,
      )
      if (answer.type !== 'key-package') throw new GroupError(`invite: ${peer.toShortString()} answered ${answer.type === 'error' ? answer.reason : answer.type}`)
      bytes = answer.keyPackage
    }
    const { keyPackage } = await openKeyPackage(bytes, suite, this.#now(), peer)
    throwIfAborted(options.signal)
    await this.#run(entry, async () => this.#propose(entry, { add: [keyPackage] }))
  }

  async remove(groupId: Uint8Array, peer: PeerId, options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    const entry = this.#entry(groupId)
    await this.#run(entry, async () => {
      // The member nearest the removed one commits it with the smallest path (proto/committer.ts).
      if (entry.session.commitsRemovalOf([peer])) await this.#propose(entry, { remove: [peer] })
      else await this.#perform(entry, await entry.session.proposeRemoval([peer]))
    })
  }

  async leave(groupId: Uint8Array, options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    const entry = this.#entry(groupId)
    await this.#run(entry, async () => {
      // The last member has nobody to commit its leave proposal: the group ends with its state.
      if (entry.session.group.members().length === 1) await this.#forget(entry)
      else await this.#perform(entry, await entry.session.leave())
    })
  }

  async send(groupId: Uint8Array, data: Uint8Array, options: AbortOptions = {}): Promise<GroupSent> {
    const entry = this.#entry(groupId)
    const sealed = entry.session.seal(data)
    const published = await this.#components.pubsub.publish(entry.topic, encodeGroupTopicPayload(sealed), options)
    return { epoch: sealed.epoch, ...(published === undefined ? {} : { messageId: published.messageId, sentTo: published.sentTo }) }
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

  #onTopic(topic: TopicId, origin: PeerId, bytes: Uint8Array, delivery: GroupDelivery | undefined): void {
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
        const detail = { groupId: entry.session.groupId, from: origin, data, epoch: payload.epoch, ...(delivery === undefined ? {} : { delivery }) }
        this.dispatchEvent(new CustomEvent('group:message', { detail }))
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
            // A lost Welcome leaves the invitee in the tree but outside the group: counted, so an operator
            // sees it; removing and inviting the peer again repairs it.
            void this.#components.transport.sendBulk(peer, WELCOME_PROTOCOL, welcome).catch(() => this.#drop('welcome-unsent'))
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
            await this.#forget(entry)
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

  async #forget(entry: Entry): Promise<void> {
    const { groupId } = entry.session
    this.#groups.delete(toHex(groupId))
    this.#components.pubsub.leave(entry.topic)
    await this.#store.remove(groupId)
    this.dispatchEvent(new CustomEvent('group:removed', { detail: { groupId } }))
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
    const answer = await requestCommits(this.#components.transport, peer, entry.session, sinceEpoch, hash)
    if (answer !== undefined) await this.#feedCommits(peer, answer)
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
      return encodeGroupsRpc({ type: 'key-package', keyPackage: (await this.#keyPackages.issue(suite, this.#now())).bytes })
    }
    if (request.type === 'commits-request') {
      const entry = this.#groups.get(toHex(request.groupId))
      // Only members get commits: they are encrypted to the epoch anyway, but the set of commits is not public.
      if (entry === undefined || !entry.session.group.isMember(peer)) return encodeGroupsRpc({ type: 'error', reason: 'unknown-group' })
      return serveCommits(this.#components.transport, peer, entry.session, request)
    }
    return encodeGroupsRpc({ type: 'error', reason: 'unexpected' })
  }

  async #welcome(peer: PeerId, bytes: Uint8Array): Promise<Uint8Array> {
    if (!this.#started) return encodeGroupsRpc({ type: 'error', reason: 'unexpected' })
    const message = decodeGroupsRpc(bytes)
    if (message.type !== 'welcome') return encodeGroupsRpc({ type: 'error', reason: 'unexpected' })
    if (this.#groups.has(toHex(message.groupId))) return encodeGroupsRpc({ type: 'error', reason: 'already-member' })
    const welcome = decodeWelcomeMessage(message.welcome, InvalidWelcomeError)
    const found = await this.#keyPackages.find(welcome.secrets.map((s) => s.newMember))
    if (found === undefined) return encodeGroupsRpc({ type: 'error', reason: 'no-key-package' })
    const { bundle, suite } = found
    const session = await GroupSession.join(this.#components.identity, suite, this.#options, bundle, message.welcome, message.ratchetTree, this.#now())
    if (!session.group.isMember(peer)) throw new InvalidWelcomeError('welcome: sent by a non-member')
    await this.#keyPackages.consume(bundle)
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
}

/** Creates the groups service on a node's pubsub and transport. Call `start()` first. */
export function createGroups(init: GroupsInit, components: GroupsComponents): Groups {
  return new GroupsService(init, components) as unknown as Groups
}

