/**
 * One group on one node without IO: the MLS state (group.ts), the commit-ordering core
 * (proto/commit-log.ts) with the snapshots it may roll back to, and the epoch key ring for the group
 * topic (topic-crypto.ts). The service moves its outputs over pubsub, request/response and bulk
 * streams; tests drive it directly. Calls must not overlap (the service queues them per group).
 */
import type { Identity } from '@saorsa-gossip/identity'
import { blake3, bytesEqual, concatBytes, copyBytes, type PeerId, toHex, TopicId, u64be, utf8 } from '@saorsa-gossip/types'
import type { ClientState } from 'ts-mls'
import { MAX_INLINE_COMMIT_BYTES, type GroupTopicPayload, type ServedCommit } from './codec.ts'
import { GroupError, InvalidCommitError, NotMemberError } from './errors.ts'
import { MlsGroup, type CommitChanges, type EpochChange, type PendingCommit } from './group.ts'
import type { KeyPackageBundle } from './key-package.ts'
import { CommitLog, type CommitLogEvent, type CommitLogInput, type CommitLogOutput, type CommitLogTimer } from './proto/commit-log.ts'
import { fallbackCommitter, removalCommitter } from './proto/committer.ts'
import type { CommitLogConfig } from './proto/config.ts'
import type { GroupSuite } from './suite.ts'
import { DEFAULT_KEY_RING, EpochKeyRing, GROUP_TOPIC_EXPORTER_LABEL, type EpochKey, type KeyRingOptions } from './topic-crypto.ts'

const EPOCH_ID_CONTEXT = utf8('saorsa-gossip/group-epoch/v1')

/** The pubsub topic of a group: `TopicId.fromName("saorsa-gossip/group/v1/" + hex(groupId))`. */
export function groupTopic(groupId: Uint8Array): TopicId {
  return TopicId.fromName(`saorsa-gossip/group/v1/${toHex(groupId)}`)
}

/**
 * Public id of an epoch: BLAKE3("saorsa-gossip/group-epoch/v1" || u8(len) || group id || u64be(epoch)
 * || confirmed transcript hash). The transcript hash covers every commit so far, so two branches
 * of the same epoch number never share an id.
 */
export function epochId(groupId: Uint8Array, epoch: number, confirmedTranscriptHash: Uint8Array): Uint8Array {
  return blake3(concatBytes(EPOCH_ID_CONTEXT, new Uint8Array([groupId.length]), groupId, u64be(epoch), confirmedTranscriptHash))
}

export function epochIdOf(state: ClientState): Uint8Array {
  const { groupId, epoch, confirmedTranscriptHash } = state.groupContext
  return epochId(groupId, Number(epoch), confirmedTranscriptHash)
}

/**
 * A session timer: the commit log's, or the check that a removal proposed for a nearer member to
 * commit (proto/committer.ts) happened; `attempt` counts the checks made so far.
 */
export type SessionTimer =
  | CommitLogTimer
  | { readonly type: 'removal-fallback'; readonly peers: readonly string[]; readonly attempt: number }

/** Fallback checks per removal before it is left to the caller (each commits if the removal is still due). */
const MAX_REMOVAL_ATTEMPTS = 3

/** What the service must do for a session. */
export type SessionOutput =
  | { readonly type: 'publish'; readonly payload: GroupTopicPayload }
  | { readonly type: 'fetch'; readonly peer: PeerId; readonly sinceEpoch: number; readonly hash: Uint8Array | undefined }
  | { readonly type: 'welcome'; readonly to: readonly PeerId[]; readonly welcome: Uint8Array; readonly ratchetTree: Uint8Array }
  | { readonly type: 'schedule'; readonly delayMs: number; readonly timer: SessionTimer }
  | { readonly type: 'epoch'; readonly change: EpochChange }
  | { readonly type: 'lost'; readonly hash: Uint8Array }
  | { readonly type: 'dropped'; readonly reason: string; readonly from: PeerId | undefined }

export interface SessionOptions {
  readonly commitLog: CommitLogConfig
  readonly keyRing?: KeyRingOptions
}

/** The parts of a session that persist (store.ts). */
export interface SessionSnapshot {
  readonly state: ClientState
  readonly epochKeys: readonly EpochKey[]
}

export class GroupSession {
  readonly group: MlsGroup
  readonly #log: CommitLog
  readonly #ring: EpochKeyRing
  readonly #snapshots = new Map<string, ClientState>()
  readonly #pending = new Map<string, PendingCommit>()
  readonly #maxSnapshots: number
  readonly #options: SessionOptions

  private constructor(group: MlsGroup, options: SessionOptions, epochKeys: readonly EpochKey[]) {
    this.group = group
    this.#options = options
    this.#ring = new EpochKeyRing(options.keyRing ?? DEFAULT_KEY_RING, epochKeys)
    const epochId = epochIdOf(group.state)
    this.#log = new CommitLog(options.commitLog, group.epoch, epochId)
    this.#snapshots.set(toHex(epochId), group.snapshot())
    this.#maxSnapshots = options.commitLog.maxReorgDepth + 1
  }

  static async create(identity: Identity, suite: GroupSuite, options: SessionOptions, nowMs: number, groupId?: Uint8Array): Promise<GroupSession> {
    const group = await MlsGroup.create(identity, suite, groupId === undefined ? { nowMs } : { nowMs, groupId })
    return GroupSession.#withKey(group, options, [], nowMs)
  }

  static async join(
    identity: Identity, suite: GroupSuite, options: SessionOptions, bundle: KeyPackageBundle,
    welcome: Uint8Array, ratchetTree: Uint8Array, nowMs: number,
  ): Promise<GroupSession> {
    const group = await MlsGroup.join(identity, suite, bundle, welcome, ratchetTree)
    return GroupSession.#withKey(group, options, [], nowMs)
  }

  static restore(identity: Identity, suite: GroupSuite, options: SessionOptions, snapshot: SessionSnapshot): GroupSession {
    return new GroupSession(MlsGroup.fromState(identity, suite, snapshot.state), options, snapshot.epochKeys)
  }

  static async #withKey(group: MlsGroup, options: SessionOptions, keys: readonly EpochKey[], nowMs: number): Promise<GroupSession> {
    const session = new GroupSession(group, options, keys)
    session.#ring.advance(group.epoch, await group.exportSecret(GROUP_TOPIC_EXPORTER_LABEL, 32), nowMs)
    return session
  }

  get groupId(): Uint8Array {
    return this.group.groupId
  }

  get epochId(): Uint8Array {
    return this.#log.epochId
  }

  snapshot(): SessionSnapshot {
    return { state: this.group.state, epochKeys: this.#ring.entries() }
  }

  /** Commits this node can serve to a member catching up (from `sinceEpoch`, and `hash` if it names one). */
  commitsSince(sinceEpoch: number, max: number, hash?: Uint8Array): ServedCommit[] {
    const out = this.#log.commitsSince(sinceEpoch, max)
    if (hash !== undefined && !out.some((c) => bytesEqual(c.hash, hash))) {
      const found = this.#candidateByHash(hash)
      if (found !== undefined && out.length < max) out.push(found)
    }
    return out
  }

  /**
   * The group-topic validator (docs/architecture.md section 7), run before a payload is delivered or
   * forwarded: `reject` costs the forwarder score, `ignore` drops without blame (we may be behind).
   * Messages must decrypt, commits must match their hash and not be older than our history.
   */
  validate(payload: GroupTopicPayload, origin: PeerId, nowMs: number): 'accept' | 'reject' | 'ignore' {
    if (!bytesEqual(payload.groupId, this.groupId)) return 'reject'
    switch (payload.type) {
      case 'message':
        if (this.#ring.entries().every((e) => e.epoch !== payload.epoch)) return payload.epoch > this.group.epoch ? 'ignore' : 'reject'
        try {
          this.#ring.open(this.groupId, payload, origin, nowMs)
          return 'accept'
        } catch {
          return 'reject'
        }
      case 'commit':
        if (payload.commit !== undefined && !bytesEqual(blake3(payload.commit), payload.hash)) return 'reject'
        return payload.epoch + this.#maxSnapshots < this.group.epoch ? 'ignore' : 'accept'
      case 'proposal':
        return payload.epoch === this.group.epoch ? 'accept' : 'ignore'
    }
  }

  /** Encrypts a message for the group topic under the current epoch. */
  seal(plaintext: Uint8Array): GroupTopicPayload {
    if (!this.group.active) throw new NotMemberError('group: this member was removed')
    return this.#ring.seal(this.groupId, this.group.identity.peerId, plaintext)
  }

  /** Decrypts a group-topic message whose pubsub origin (already verified) is `origin`. */
  open(message: GroupTopicPayload & { type: 'message' }, origin: PeerId, nowMs: number): Uint8Array {
    if (!bytesEqual(message.groupId, this.groupId)) throw new GroupError('message: for another group')
    return this.#ring.open(this.groupId, message, origin, nowMs)
  }

  /**
   * Prepares a commit on the current epoch and enters it into the fork choice. The returned outputs
   * publish it; it is applied (and Welcomes go out) only if it wins its epoch.
   */
  async propose(changes: CommitChanges, nowMs: number): Promise<SessionOutput[]> {
    const pending = await this.group.prepareCommit(changes)
    const hash = blake3(pending.commit)
    this.#pending.set(toHex(hash), pending)
    const announcement = { epoch: pending.epoch, parent: this.#log.epochId, hash, commit: pending.commit }
    const out: SessionOutput[] = [{
      type: 'publish',
      payload: {
        type: 'commit', groupId: this.groupId, epoch: pending.epoch, parent: announcement.parent, hash,
        commit: pending.commit.length <= MAX_INLINE_COMMIT_BYTES ? pending.commit : undefined,
      },
    }]
    await this.#run({ type: 'command', command: { type: 'propose', announcement } }, nowMs, out)
    return out
  }

  /** Proposes this member's removal; the member nearest it in the tree commits it (proto/committer.ts). */
  async leave(): Promise<SessionOutput[]> {
    const proposal = await this.group.proposeLeave()
    return [{ type: 'publish', payload: { type: 'proposal', groupId: this.groupId, epoch: this.group.epoch, proposal } }]
  }

  /**
   * True when this member is the one to commit the removal of `peers` (proto/committer.ts): it then
   * calls `propose({ remove })`; any other member calls `proposeRemoval`.
   */
  commitsRemovalOf(peers: readonly PeerId[]): boolean {
    const removed = this.#leavesOf(peers)
    const members = this.group.members().map((m) => m.leafIndex)
    return removed.length === 0 || removalCommitter(removed, members) === this.group.ownLeafIndex
  }

  /**
   * Proposes removing `peers` for the member nearest them to commit, and arms a check: if they are
   * still members `removalFallbackMs` later, this member commits the removal itself.
   */
  async proposeRemoval(peers: readonly PeerId[]): Promise<SessionOutput[]> {
    const out: SessionOutput[] = []
    const pending = new Set(this.group.pendingRemovals().map((p) => p.removed))
    for (const peer of peers) {
      const member = this.group.members().find((m) => m.peerId.equals(peer))
      if (member === undefined || pending.has(member.leafIndex)) continue
      const proposal = await this.group.proposeRemove(peer)
      out.push({ type: 'publish', payload: { type: 'proposal', groupId: this.groupId, epoch: this.group.epoch, proposal } })
    }
    out.push(this.#removalCheck(peers, 0))
    return out
  }

  /** A commit or proposal from the group topic (or a catch-up answer), sent by `from`. */
  async receive(from: PeerId, payload: GroupTopicPayload | (ServedCommit & { type?: undefined }), nowMs: number): Promise<SessionOutput[]> {
    const out: SessionOutput[] = []
    if (payload.type === 'message') return out
    if (payload.type === 'proposal') {
      await this.#receiveProposal(payload.proposal, nowMs, out)
      return out
    }
    if (payload.commit !== undefined && !bytesEqual(blake3(payload.commit), payload.hash)) {
      out.push({ type: 'dropped', reason: 'hash-mismatch', from })
      return out
    }
    const announcement = { epoch: payload.epoch, parent: payload.parent, hash: payload.hash, commit: payload.commit }
    await this.#run({ type: 'recv', from, msg: announcement }, nowMs, out)
    return out
  }

  async timer(timer: SessionTimer, nowMs: number): Promise<SessionOutput[]> {
    const out: SessionOutput[] = []
    if (timer.type === 'removal-fallback') await this.#removalFallback(timer, nowMs, out)
    else await this.#run({ type: 'timer', timer }, nowMs, out)
    return out
  }

  async #receiveProposal(bytes: Uint8Array, nowMs: number, out: SessionOutput[]): Promise<void> {
    try {
      await this.group.processCommit(bytes)
    } catch (err) {
      if (!(err instanceof GroupError)) throw err
      out.push({ type: 'dropped', reason: err.name, from: undefined })
      return
    }
    const pending = this.group.pendingRemovals()
    const removed = pending.map((p) => p.removed)
    const members = this.group.members().map((m) => m.leafIndex)
    const own = this.group.ownLeafIndex
    if (removalCommitter(removed, members) === own) {
      // By value, not by reference: a member that missed the proposal can still process the commit.
      const peers = this.group.members().filter((m) => removed.includes(m.leafIndex)).map((m) => m.peerId)
      out.push(...(await this.propose({ remove: peers }, nowMs)))
      return
    }
    // A leaver cannot commit its own removal: one other member stands by in case the committer is silent.
    const latest = pending[pending.length - 1]
    if (latest !== undefined && latest.removed === latest.proposer && fallbackCommitter(removed, members, latest.proposer) === own) {
      const peers = this.group.members().filter((m) => m.leafIndex === latest.removed).map((m) => m.peerId)
      out.push(this.#removalCheck(peers, 0))
    }
  }

  /** The removal of `timer.peers` was left to a nearer member: commit it here if it has not happened. */
  async #removalFallback(timer: SessionTimer & { type: 'removal-fallback' }, nowMs: number, out: SessionOutput[]): Promise<void> {
    if (!this.group.active) return
    const peers = this.group.members().filter((m) => timer.peers.includes(m.peerId.toHex()) && m.leafIndex !== this.group.ownLeafIndex).map((m) => m.peerId)
    if (peers.length === 0) return
    // Should the nearer member's commit still be settling here, both remove them and the fork choice keeps one.
    out.push(...(await this.propose({ remove: peers }, nowMs)))
    if (timer.attempt < MAX_REMOVAL_ATTEMPTS) out.push(this.#removalCheck(peers, timer.attempt + 1))
  }

  #removalCheck(peers: readonly PeerId[], attempt: number): SessionOutput {
    return {
      type: 'schedule',
      delayMs: this.#options.commitLog.removalFallbackMs,
      timer: { type: 'removal-fallback', peers: peers.map((p) => p.toHex()), attempt },
    }
  }

  #leavesOf(peers: readonly PeerId[]): number[] {
    return this.group.members().filter((m) => peers.some((p) => p.equals(m.peerId))).map((m) => m.leafIndex)
  }

  #candidateByHash(hash: Uint8Array): ServedCommit | undefined {
    const commit = this.#log.commitByHash(hash)
    const pending = this.#pending.get(toHex(hash))
    if (commit === undefined || pending === undefined) return undefined
    return { epoch: pending.epoch, parent: this.#log.epochId, hash, commit }
  }

  /** Feeds the core and carries out its outputs until it has nothing more to apply. */
  async #run(input: CommitLogInput, nowMs: number, out: SessionOutput[]): Promise<void> {
    const queue: CommitLogInput[] = [input]
    while (queue.length > 0) {
      const outputs: CommitLogOutput[] = []
      this.#log.handle(queue.shift()!, nowMs, outputs)
      for (const o of outputs) {
        if (o.type === 'schedule') {
          out.push({ type: 'schedule', delayMs: o.delayMs, timer: o.timer })
          continue
        }
        if (o.type !== 'emit') continue
        const event = o.event
        switch (event.type) {
          case 'fetch': out.push({ type: 'fetch', peer: event.peer, sinceEpoch: event.sinceEpoch, hash: event.hash }); break
          case 'lost':
            this.#pending.delete(toHex(event.hash))
            out.push({ type: 'lost', hash: event.hash })
            break
          case 'dropped': out.push({ type: 'dropped', reason: event.reason, from: event.from }); break
          case 'apply': queue.push(await this.#apply(event, nowMs, out)); break
        }
      }
    }
  }

  async #apply(o: CommitLogEvent & { type: 'apply' }, nowMs: number, out: SessionOutput[]): Promise<CommitLogInput> {
    const rejected: CommitLogInput = { type: 'command', command: { type: 'rejected', hash: o.hash } }
    const before = this.group.snapshot()
    if (o.rollbackTo !== undefined) {
      const snapshot = this.#snapshots.get(toHex(o.rollbackTo))
      if (snapshot === undefined) return rejected
      this.group.rollback(snapshot)
    }
    let change: EpochChange
    const pending = o.own ? this.#pending.get(toHex(o.hash)) : undefined
    try {
      if (pending !== undefined) change = this.group.merge(pending)
      else change = await this.group.processCommit(o.commit)
    } catch (err) {
      if (!(err instanceof GroupError) && !(err instanceof InvalidCommitError)) throw err
      this.group.rollback(before)
      return rejected
    }
    this.#pending.delete(toHex(o.hash))
    const epochId = epochIdOf(this.group.state)
    this.#snapshots.set(toHex(epochId), this.group.snapshot())
    while (this.#snapshots.size > this.#maxSnapshots) this.#snapshots.delete(this.#snapshots.keys().next().value!)
    if (this.group.active) this.#ring.advance(this.group.epoch, await this.group.exportSecret(GROUP_TOPIC_EXPORTER_LABEL, 32), nowMs)
    out.push({ type: 'epoch', change })
    if (pending?.welcome !== undefined && pending.added.length > 0) {
      out.push({ type: 'welcome', to: pending.added, welcome: copyBytes(pending.welcome.welcome), ratchetTree: pending.welcome.ratchetTree })
    }
    return { type: 'command', command: { type: 'applied', hash: o.hash, epoch: this.group.epoch, epochId } }
  }
}
