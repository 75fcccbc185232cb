/**
 * One MLS group as seen by one member (RFC 9420 sections 8 and 12): create, join from a Welcome with
 * the ratchet tree sent beside it (section 12.4.3.3), commits that add, remove or update members,
 * leave by self-remove proposal (section 12.1.3), the exporter (section 8.5). ts-mls states are
 * immutable, so a commit is prepared first and merged only once the group has chosen it (commit-log.ts).
 */
import type { Identity } from '@saorsa-gossip/identity'
import { blake3, bytesEqual, copyBytes, PeerId, toHex } from '@saorsa-gossip/types'
import {
  createCommit, createGroup, createProposal, defaultPaddingConfig, emptyPskIndex,
  encodeMlsMessage, joinGroup, mlsExporter, processPrivateMessage, processPublicMessage,
  type ClientConfig, type ClientState, type KeyPackage, type KeyPackageEqualityConfig, type Proposal,
} from 'ts-mls'
import { toLeafIndex } from 'ts-mls/treemath.js'
import { credentialPeerId, peerIdAuthService } from './credential.ts'
import {
  FutureEpochError, GroupError, InvalidCommitError, InvalidWelcomeError, NotMemberError, StaleEpochError,
} from './errors.ts'
import { createKeyPackage, type KeyPackageBundle } from './key-package.ts'
import { decodeMls, decodeTree, decodeWelcomeMessage, encodeTree, encodeWelcomeMessage } from './mls-bytes.ts'
import type { GroupSuite } from './suite.ts'

/** A member of the group at the current epoch. */
export interface GroupMember {
  readonly peerId: PeerId
  readonly leafIndex: number
}

/** A commit prepared on the current epoch; it changes nothing until `merge`d. */
export interface PendingCommit {
  /** The epoch the commit was made in; the group moves to `epoch + 1` when it is applied. */
  readonly epoch: number
  /** The encoded MLSMessage (a PrivateMessage: non-members learn nothing about membership). */
  readonly commit: Uint8Array
  /** For added members: the encoded Welcome and the ratchet tree after the commit, sent separately. */
  readonly welcome: { readonly welcome: Uint8Array; readonly ratchetTree: Uint8Array } | undefined
  readonly added: readonly PeerId[]
  readonly removed: readonly PeerId[]
  /** @internal the state after the commit (ts-mls cannot process its own commits). */
  readonly next: ClientState
}

/** What an applied commit changed. */
export interface EpochChange {
  readonly epoch: number
  readonly added: readonly PeerId[]
  readonly removed: readonly PeerId[]
  /** True when the commit removed this member: the group is then read-only history. */
  readonly removedSelf: boolean
}

/** What a group commit may do: add fetched key packages, remove members, refresh own keys. */
export interface CommitChanges {
  add?: readonly KeyPackage[]
  remove?: readonly PeerId[]
}

const fingerprints = new WeakMap<Uint8Array, string>()

/** A leaf key's identity as a string, computed once per key object. */
function fingerprint(signaturePublicKey: Uint8Array): string {
  let value = fingerprints.get(signaturePublicKey)
  if (value === undefined) {
    value = toHex(blake3(signaturePublicKey))
    fingerprints.set(signaturePublicKey, value)
  }
  return value
}

/**
 * "Same client" means the same leaf signature key, as in ts-mls's default, but compared through a
 * cached fingerprint: ts-mls compares every pair of adds and every add with every leaf, which with
 * 1,952-byte ML-DSA keys made a 1,000-member bulk add spend most of its time in byte comparisons.
 * The keys are public, so a variable-time comparison leaks nothing.
 */
const keyPackageEquality: KeyPackageEqualityConfig = {
  compareKeyPackages: (a, b) => fingerprint(a.leafNode.signaturePublicKey) === fingerprint(b.leafNode.signaturePublicKey),
  compareKeyPackageToLeafNode: (a, b) => fingerprint(a.leafNode.signaturePublicKey) === fingerprint(b.signaturePublicKey),
}

/** ts-mls client configuration: our authentication service and key retention. */
function clientConfig(suite: GroupSuite): ClientConfig {
  return {
    keyRetentionConfig: {
      // Group topics use exporter keys (topic-crypto.ts), so MLS application ratchets stay short.
      retainKeysForGenerations: 10,
      // MLS receiver data of one past epoch only: commits of a past epoch are refused anyway
      // (StaleEpochError) and group topics keep their own epoch keys (topic-crypto.ts), while each
      // retained epoch stores another copy of the ratchet tree (6.4 MB at 1,000 members) in every
      // saved state. Not 0: ts-mls 1.6.4 prunes with `slice(-max)`, which keeps everything for 0.
      retainKeysForEpochs: 1,
      maximumForwardRatchetSteps: 200,
    },
    // Key package lifetimes are checked when fetched (key-package.ts), not for every tree leaf on join.
    lifetimeConfig: { maximumTotalLifetime: 2_592_000n, validateLifetimeOnReceive: false },
    keyPackageEqualityConfig: keyPackageEquality,
    paddingConfig: defaultPaddingConfig,
    authService: peerIdAuthService(suite),
  }
}

function peersOf(state: ClientState, suite: GroupSuite): GroupMember[] {
  const out: GroupMember[] = []
  state.ratchetTree.forEach((node, index) => {
    if (node?.nodeType !== 'leaf') return
    const peerId = credentialPeerId(node.leaf.credential, node.leaf.signaturePublicKey, suite)
    // ts-mls validated every credential through the same binding; a miss would be an internal error.
    if (peerId === undefined) throw new GroupError(`leaf ${index / 2} has no PeerId binding`)
    out.push({ peerId, leafIndex: index / 2 })
  })
  return out
}

function diff(before: readonly GroupMember[], after: readonly GroupMember[]): { added: PeerId[]; removed: PeerId[] } {
  const key = (m: GroupMember): string => m.peerId.toHex()
  const had = new Set(before.map(key))
  const has = new Set(after.map(key))
  return {
    added: after.filter((m) => !had.has(key(m))).map((m) => m.peerId),
    removed: before.filter((m) => !has.has(key(m))).map((m) => m.peerId),
  }
}

/** Runs a ts-mls step on remote input; anything it throws becomes `Err` (the state is untouched). */
async function guarded<T>(what: string, Err: new (m: string, o?: ErrorOptions) => GroupError, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof GroupError) throw err
    throw new Err(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
}

/** One group, one member. Not safe for concurrent mutation: the service serialises calls. */
export class MlsGroup {
  readonly suite: GroupSuite
  readonly identity: Identity
  #state: ClientState
  #members: GroupMember[]

  private constructor(identity: Identity, suite: GroupSuite, state: ClientState) {
    this.identity = identity
    this.suite = suite
    this.#state = state
    this.#members = peersOf(state, suite)
  }

  /** A new one-member group with a random (or given) 32-byte id. */
  static async create(identity: Identity, suite: GroupSuite, options: { groupId?: Uint8Array; nowMs: number }): Promise<MlsGroup> {
    const groupId = options.groupId ?? suite.impl.rng.randomBytes(32)
    if (!(groupId instanceof Uint8Array) || groupId.length < 1 || groupId.length > 64) {
      throw new RangeError('groupId: expected 1..64 bytes')
    }
    const own = await createKeyPackage(identity, suite, options.nowMs)
    const state = await createGroup(copyBytes(groupId), own.keyPackage, own.privateKeys, [], suite.impl, clientConfig(suite))
    return new MlsGroup(identity, suite, state)
  }

  /**
   * Joins from a Welcome and the ratchet tree sent beside it. ts-mls checks the tree against the
   * signed GroupInfo's tree hash and every leaf's credential binding; the inviter must be a member.
   */
  static async join(
    identity: Identity, suite: GroupSuite, bundle: KeyPackageBundle, welcomeBytes: Uint8Array, treeBytes: Uint8Array,
  ): Promise<MlsGroup> {
    const welcome = decodeWelcomeMessage(welcomeBytes, InvalidWelcomeError)
    if (welcome.cipherSuite !== suite.impl.name) throw new InvalidWelcomeError(`welcome: suite ${welcome.cipherSuite}, expected ${suite.impl.name}`)
    const tree = decodeTree(treeBytes, InvalidWelcomeError)
    const state = await guarded('welcome', InvalidWelcomeError, () =>
      joinGroup(welcome, bundle.keyPackage, bundle.privateKeys, emptyPskIndex, suite.impl, tree, undefined, clientConfig(suite)))
    const group = new MlsGroup(identity, suite, state)
    const self = group.#members.find((m) => m.leafIndex === state.privatePath.leafIndex)
    if (self === undefined || !self.peerId.equals(identity.peerId)) throw new InvalidWelcomeError('welcome: our leaf is not ours')
    return group
  }

  /** Restores a group from `state` (see store.ts); the caller re-supplies identity and suite. */
  static fromState(identity: Identity, suite: GroupSuite, state: ClientState): MlsGroup {
    const group = new MlsGroup(identity, suite, { ...state, clientConfig: clientConfig(suite) })
    const own = group.#state.ratchetTree[group.#state.privatePath.leafIndex * 2]
    if (own?.nodeType === 'leaf' && !bytesEqual(own.leaf.signaturePublicKey, identity.publicKey) && suite.identityKeyIsLeafKey) {
      throw new GroupError('state: belongs to another identity')
    }
    return group
  }

  get groupId(): Uint8Array {
    return this.#state.groupContext.groupId
  }

  get epoch(): number {
    return Number(this.#state.groupContext.epoch)
  }

  /** False once this member was removed (or left): the state only reads history then. */
  get active(): boolean {
    return this.#state.groupActiveState.kind === 'active'
  }

  get ownLeafIndex(): number {
    return this.#state.privatePath.leafIndex
  }

  /** @internal the ts-mls state, for persistence and benchmarks. */
  get state(): ClientState {
    return this.#state
  }

  members(): readonly GroupMember[] {
    return this.#members
  }

  isMember(peer: PeerId): boolean {
    return this.#members.some((m) => m.peerId.equals(peer))
  }

  /**
   * The MLS exporter (RFC 9420 section 8.5): `MLS-Exporter(label, context, length)` of the current
   * epoch. Presence and crdt-sync derive their keys here; every member gets the same bytes.
   */
  async exportSecret(label: string, length: number, context: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    if (typeof label !== 'string' || label.length === 0 || label.length > 255) throw new RangeError('label: expected 1..255 characters')
    if (!Number.isInteger(length) || length < 1 || length > 255) throw new RangeError('length: expected 1..255')
    return mlsExporter(this.#state.keySchedule.exporterSecret, label, context, length, this.suite.impl)
  }

  /**
   * Prepares a commit on the current epoch. No changes (or only a self-update) refreshes this
   * member's path keys (RFC 9420 section 12.4: an empty commit carries an UpdatePath).
   */
  async prepareCommit(changes: CommitChanges = {}): Promise<PendingCommit> {
    if (!this.active) throw new NotMemberError('group: this member was removed')
    const proposals: Proposal[] = []
    for (const keyPackage of changes.add ?? []) proposals.push({ proposalType: 'add', add: { keyPackage } })
    const removed: PeerId[] = []
    for (const peer of changes.remove ?? []) {
      const member = this.#members.find((m) => m.peerId.equals(peer))
      if (member === undefined) throw new NotMemberError(`remove: ${peer.toShortString()} is not a member`)
      if (member.leafIndex === this.ownLeafIndex) throw new RangeError('remove: use leave() to remove yourself')
      proposals.push({ proposalType: 'remove', remove: { removed: toLeafIndex(member.leafIndex) } })
      removed.push(peer)
    }
    const result = await createCommit({ state: this.#committable(proposals), cipherSuite: this.suite.impl }, {
      extraProposals: proposals,
      ratchetTreeExtension: false,
    })
    const after = peersOf(result.newState, this.suite)
    const change = diff(this.#members, after)
    return {
      epoch: this.epoch,
      commit: encodeMlsMessage(result.commit),
      welcome: result.welcome === undefined
        ? undefined
        : { welcome: encodeWelcomeMessage(result.welcome), ratchetTree: encodeTree(result.newState.ratchetTree) },
      added: change.added,
      removed: change.removed,
      next: result.newState,
    }
  }

  /**
   * The state to commit from: pending proposals this commit may include by reference. RFC 9420
   * section 12.2 lets the committer pick one of several proposals for the same leaf, and a commit
   * carrying two is invalid, so a removal already in `extra`, a second proposal removing the same
   * member, and one removing this member (someone else must commit that) stay out.
   */
  #committable(extra: readonly Proposal[]): ClientState {
    const taken = new Set<number>([this.ownLeafIndex])
    for (const p of extra) if (p.proposalType === 'remove') taken.add(p.remove.removed)
    const kept: ClientState['unappliedProposals'] = {}
    let dropped = false
    for (const ref of Object.keys(this.#state.unappliedProposals).sort()) {
      const pending = this.#state.unappliedProposals[ref]!
      if (pending.proposal.proposalType === 'remove') {
        if (taken.has(pending.proposal.remove.removed)) {
          dropped = true
          continue
        }
        taken.add(pending.proposal.remove.removed)
      }
      kept[ref] = pending
    }
    return dropped ? { ...this.#state, unappliedProposals: kept } : this.#state
  }

  /** Applies a commit this member prepared, once the group chose it for its epoch. */
  merge(pending: PendingCommit): EpochChange {
    if (pending.epoch !== this.epoch) throw new StaleEpochError(`merge: commit is for epoch ${pending.epoch}, group is at ${this.epoch}`)
    return this.#advance(pending.next)
  }

  /**
   * Processes another member's commit for the current epoch. Throws `StaleEpochError` or
   * `FutureEpochError` for another epoch, `InvalidCommitError` for anything MLS rejects; the state
   * is unchanged on every error.
   */
  async processCommit(bytes: Uint8Array): Promise<EpochChange> {
    const message = decodeMls(bytes, 'commit', InvalidCommitError)
    if (message.wireformat !== 'mls_private_message' && message.wireformat !== 'mls_public_message') {
      throw new InvalidCommitError(`commit: wire format is ${message.wireformat}`)
    }
    const framed = message.wireformat === 'mls_private_message' ? message.privateMessage : message.publicMessage.content
    const contentType = message.wireformat === 'mls_private_message'
      ? message.privateMessage.contentType
      : message.publicMessage.content.contentType
    if (!bytesEqual(framed.groupId, this.groupId)) throw new InvalidCommitError('commit: for another group')
    const epoch = Number(framed.epoch)
    if (epoch < this.epoch) throw new StaleEpochError(`commit: for epoch ${epoch}, group is at ${this.epoch}`)
    if (epoch > this.epoch) throw new FutureEpochError(`commit: for epoch ${epoch}, group is at ${this.epoch}`)
    if (contentType !== 'commit' && contentType !== 'proposal') throw new InvalidCommitError(`commit: content type is ${contentType}`)
    if (!this.active) throw new NotMemberError('group: this member was removed')
    const result = await guarded('commit', InvalidCommitError, async () => {
      if (message.wireformat === 'mls_private_message') {
        return processPrivateMessage(this.#state, message.privateMessage, emptyPskIndex, this.suite.impl)
      }
      return { kind: 'newState' as const, ...(await processPublicMessage(this.#state, message.publicMessage, emptyPskIndex, this.suite.impl)) }
    })
    if (result.kind !== 'newState') throw new InvalidCommitError('commit: carried an application message')
    if (contentType === 'proposal') {
      // A proposal (a member leaving) does not change the epoch; the next commit includes it.
      this.#state = result.newState
      return { epoch: this.epoch, added: [], removed: [], removedSelf: false }
    }
    return this.#advance(result.newState)
  }

  /**
   * Proposes this member's own removal (RFC 9420 section 12.1.3): members commit it, and this
   * member is out from the epoch that commit starts. Returns the encoded proposal to send.
   */
  async proposeLeave(): Promise<Uint8Array> {
    return this.#proposeRemoval(this.ownLeafIndex)
  }

  /**
   * Proposes removing another member (RFC 9420 section 12.1.3) for a member nearer to it to commit
   * (proto/committer.ts). Returns the encoded proposal to send.
   */
  async proposeRemove(peer: PeerId): Promise<Uint8Array> {
    const member = this.#members.find((m) => m.peerId.equals(peer))
    if (member === undefined) throw new NotMemberError(`remove: ${peer.toShortString()} is not a member`)
    if (member.leafIndex === this.ownLeafIndex) throw new RangeError('remove: use leave() to remove yourself')
    return this.#proposeRemoval(member.leafIndex)
  }

  async #proposeRemoval(leafIndex: number): Promise<Uint8Array> {
    if (!this.active) throw new NotMemberError('group: this member was removed')
    const { newState, message } = await createProposal(this.#state, false, {
      proposalType: 'remove', remove: { removed: toLeafIndex(leafIndex) },
    }, this.suite.impl)
    this.#state = newState
    return encodeMlsMessage(message)
  }

  /** Remove proposals waiting for a commit: the removed leaf and the proposer's leaf. */
  pendingRemovals(): Array<{ readonly removed: number; readonly proposer: number | undefined }> {
    const out: Array<{ removed: number; proposer: number | undefined }> = []
    for (const p of Object.values(this.#state.unappliedProposals)) {
      if (p.proposal.proposalType === 'remove') out.push({ removed: p.proposal.remove.removed, proposer: p.senderLeafIndex })
    }
    return out
  }

  /** True while a received or own proposal waits for a commit. */
  get hasPendingProposals(): boolean {
    return Object.keys(this.#state.unappliedProposals).length > 0
  }

  /** A snapshot to return to with `rollback` (a reference: ts-mls states are immutable). */
  snapshot(): ClientState {
    return this.#state
  }

  /** Returns to a snapshot taken on this group (used when the group's commit order chose another branch). */
  rollback(snapshot: ClientState): void {
    if (!bytesEqual(snapshot.groupContext.groupId, this.groupId)) throw new RangeError('snapshot: of another group')
    this.#state = snapshot
    this.#members = peersOf(snapshot, this.suite)
  }

  #advance(next: ClientState): EpochChange {
    const after = peersOf(next, this.suite)
    const change = diff(this.#members, after)
    this.#state = next
    this.#members = after
    return { epoch: this.epoch, ...change, removedSelf: next.groupActiveState.kind === 'removedFromGroup' }
  }
}
