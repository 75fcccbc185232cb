/**
 * Sans-IO commit ordering for one MLS group gossiped without a delivery service (RFC 9420 section
 * 14 leaves ordering to the application). Fork choice: among the valid commits built on an epoch,
 * the one with the lowest BLAKE3 hash wins, after a settle window; a lower one that arrives later
 * rolls the group back (up to `maxReorgDepth` epochs). Members that fall behind fetch missed commits.
 */
import { compareBytes, toHex, type CoreInput, type CoreOutput, type Outbox, type PeerId, type ProtocolCore } from '@saorsa-gossip/types'
import type { CommitLogConfig } from './config.ts'

/** A commit as announced on the group topic or returned by a catch-up fetch. */
export interface CommitAnnouncement {
  /** The epoch the commit was made in. */
  readonly epoch: number
  /** Id of the epoch it was made in (see `epochIdOf`). */
  readonly parent: Uint8Array
  /** BLAKE3-256 of `commit`; the fork-choice key. */
  readonly hash: Uint8Array
  /** The MLS commit, or undefined for a reference to a commit too large for the topic (fetch it). */
  readonly commit: Uint8Array | undefined
}

export type CommitLogTimer =
  | { readonly type: 'settle'; readonly parent: string }
  | { readonly type: 'fetch-retry'; readonly attempt: number }

export type CommitLogCommand =
  /** This member prepared a commit on the current epoch; it competes like any other. */
  | { readonly type: 'propose'; readonly announcement: CommitAnnouncement }
  /** The driver applied `hash`; the group is now in epoch `epoch` with id `epochId`. */
  | { readonly type: 'applied'; readonly hash: Uint8Array; readonly epoch: number; readonly epochId: Uint8Array }
  /** MLS rejected `hash` (forged, malformed, or invalid for its epoch). */
  | { readonly type: 'rejected'; readonly hash: Uint8Array }

export type CommitLogEvent =
  /** Roll the group back to the snapshot of epoch `rollbackTo` (if set), then apply `hash`; answer with `applied` or `rejected`. */
  | { readonly type: 'apply'; readonly hash: Uint8Array; readonly commit: Uint8Array; readonly own: boolean; readonly rollbackTo: Uint8Array | undefined }
  /** Ask `peer` for the commits it applied from epoch `sinceEpoch` on (and `hash`, when a reference named it). */
  | { readonly type: 'fetch'; readonly peer: PeerId; readonly sinceEpoch: number; readonly hash: Uint8Array | undefined }
  /** Our own commit lost the fork choice; the service re-prepares the change on the new epoch. */
  | { readonly type: 'lost'; readonly hash: Uint8Array }
  | { readonly type: 'dropped'; readonly reason: CommitDropReason; readonly from: PeerId | undefined }

export type CommitDropReason = 'duplicate' | 'stale' | 'too-many-candidates' | 'invalid'

/** The core's inputs and outputs in the shared sans-IO shape (`@saorsa-gossip/types` CoreInput / CoreOutput). */
export type CommitLogInput = CoreInput<CommitAnnouncement, CommitLogTimer, CommitLogCommand>
export type CommitLogOutput = CoreOutput<never, CommitLogTimer, CommitLogEvent>

interface Candidate {
  readonly announcement: CommitAnnouncement
  commit: Uint8Array | undefined
  readonly own: boolean
  readonly from: PeerId | undefined
  invalid: boolean
}

interface Applied {
  readonly epoch: number
  readonly epochId: Uint8Array
  /** The commit that led into this epoch (undefined for the first epoch this member knows). */
  readonly via: Uint8Array | undefined
  /** Its bytes, kept to answer catch-up fetches. */
  readonly commit: Uint8Array | undefined
}

/** The commit-ordering core of one group. */
export class CommitLog implements ProtocolCore<CommitAnnouncement, CommitLogTimer, CommitLogCommand, CommitLogEvent> {
  readonly #config: CommitLogConfig
  /** Applied chain, oldest first; the last entry is the driver's current epoch. */
  #chain: Applied[]
  /** Candidates by parent epoch id (hex), then by hash (hex). */
  readonly #candidates = new Map<string, Map<string, Candidate>>()
  readonly #settled = new Set<string>()
  #candidateCount = 0
  #busy = false
  #fetchAttempt = 0
  #retries = 0
  #lastFetchPeer: PeerId | undefined

  constructor(config: CommitLogConfig, epoch: number, epochId: Uint8Array) {
    this.#config = config
    this.#chain = [{ epoch, epochId, via: undefined, commit: undefined }]
  }

  get epoch(): number {
    return this.#head.epoch
  }

  get epochId(): Uint8Array {
    return this.#head.epochId
  }

  get #head(): Applied {
    return this.#chain[this.#chain.length - 1]!
  }

  /** Commits applied after `sinceEpoch` (the epoch they were made in is >= sinceEpoch), oldest first. */
  commitsSince(sinceEpoch: number, max: number): Array<{ epoch: number; parent: Uint8Array; hash: Uint8Array; commit: Uint8Array }> {
    const out: Array<{ epoch: number; parent: Uint8Array; hash: Uint8Array; commit: Uint8Array }> = []
    for (let i = 1; i < this.#chain.length && out.length < max; i++) {
      const entry = this.#chain[i]!
      const parent = this.#chain[i - 1]!
      if (parent.epoch < sinceEpoch || entry.via === undefined || entry.commit === undefined) continue
      out.push({ epoch: parent.epoch, parent: parent.epochId, hash: entry.via, commit: entry.commit })
    }
    return out
  }

  /** The stored commit with this hash, if any (to answer a fetch for a referenced commit). */
  commitByHash(hash: Uint8Array): Uint8Array | undefined {
    const key = toHex(hash)
    for (const entry of this.#chain) if (entry.via !== undefined && toHex(entry.via) === key) return entry.commit
    for (const byHash of this.#candidates.values()) {
      const candidate = byHash.get(key)
      if (candidate?.commit !== undefined && !candidate.invalid) return candidate.commit
    }
    return undefined
  }

  handle(input: CommitLogInput, nowMs: number, out: Outbox<CommitLogOutput>): void {
    void nowMs
    switch (input.type) {
      case 'recv':
        this.#receive(input.msg, input.from, false, out)
        break
      case 'command':
        this.#command(input.command, out)
        break
      case 'peer-up':
      case 'peer-down':
        break
      case 'timer':
        if (input.timer.type === 'settle') {
          this.#settled.add(input.timer.parent)
          this.#step(out)
        } else if (input.timer.attempt === this.#fetchAttempt && this.#behind()) {
          // No answer brought us forward: ask again (the request or its answer may have been lost).
          this.#retries++
          this.#requestCatchUp(this.#lastFetchPeer, undefined, out)
        }
        break
    }
  }

  #command(command: CommitLogCommand, out: Outbox<CommitLogOutput>): void {
    switch (command.type) {
      case 'propose':
        this.#receive(command.announcement, undefined, true, out)
        break
      case 'applied': {
        const parentKey = toHex(this.#head.epochId)
        const candidate = this.#candidates.get(parentKey)?.get(toHex(command.hash))
        this.#chain.push({ epoch: command.epoch, epochId: command.epochId, via: command.hash, commit: candidate?.commit })
        // Keep enough history to reorg `maxReorgDepth` epochs and to serve catch-up fetches.
        const keep = Math.max(this.#config.maxReorgDepth + 1, this.#config.servedCommits + 1)
        if (this.#chain.length > keep) this.#chain = this.#chain.slice(this.#chain.length - keep)
        this.#busy = false
        this.#reportLostOwn(parentKey, command.hash, out)
        this.#prune()
        this.#fetchAttempt++
        this.#retries = 0
        const headKey = toHex(command.epochId)
        if (this.#candidates.has(headKey) && !this.#settled.has(headKey) && !this.#behind()) {
          out.push({ type: 'schedule', delayMs: this.#config.settleMs, timer: { type: 'settle', parent: headKey } })
        }
        this.#step(out)
        break
      }
      case 'rejected': {
        this.#busy = false
        for (const byHash of this.#candidates.values()) {
          const candidate = byHash.get(toHex(command.hash))
          if (candidate !== undefined) {
            candidate.invalid = true
            out.push({ type: 'emit', event: { type: 'dropped', reason: 'invalid', from: candidate.from } })
          }
        }
        this.#step(out)
        break
      }
    }
  }

  #receive(msg: CommitAnnouncement, from: PeerId | undefined, own: boolean, out: Outbox<CommitLogOutput>): void {
    const drop = (reason: CommitDropReason): void => { out.push({ type: 'emit', event: { type: 'dropped', reason, from } }) }
    const oldest = this.#chain[0]!
    if (msg.epoch < oldest.epoch) return drop('stale')
    const parentKey = toHex(msg.parent)
    const hashKey = toHex(msg.hash)
    let byHash = this.#candidates.get(parentKey)
    const known = byHash?.get(hashKey)
    if (known !== undefined) {
      // A reference followed by the fetched bytes completes the candidate; anything else is a replay.
      if (known.commit !== undefined || msg.commit === undefined) return drop('duplicate')
      known.commit = msg.commit
      this.#step(out)
      return
    }
    if (this.#chain.some((a) => a.via !== undefined && toHex(a.via) === hashKey)) return drop('duplicate')
    if (byHash === undefined) {
      if (this.#candidates.size >= this.#config.maxParents) return drop('too-many-candidates')
      byHash = new Map()
      this.#candidates.set(parentKey, byHash)
    }
    if (byHash.size >= this.#config.maxCandidatesPerEpoch || this.#candidateCount >= this.#config.maxCandidates) {
      return drop('too-many-candidates')
    }
    byHash.set(hashKey, { announcement: msg, commit: msg.commit, own, from, invalid: false })
    this.#candidateCount++
    const onChain = this.#chain.some((a) => toHex(a.epochId) === parentKey)
    if (!onChain) {
      // Built on an epoch we never reached: we missed commits (or the sender is on a losing branch).
      if (msg.epoch >= this.#head.epoch && from !== undefined) this.#requestCatchUp(from, undefined, out)
      return
    }
    if (msg.commit === undefined && from !== undefined) {
      out.push({ type: 'emit', event: { type: 'fetch', peer: from, sinceEpoch: msg.epoch, hash: msg.hash } })
    }
    if (parentKey === toHex(this.#head.epochId) && !this.#settled.has(parentKey) && byHash.size === 1) {
      out.push({ type: 'schedule', delayMs: this.#config.settleMs, timer: { type: 'settle', parent: parentKey } })
    }
    this.#step(out)
  }

  /** Applies the fork choice: the lowest valid hash on the oldest reorg-able epoch of our chain that has a better candidate. */
  #step(out: Outbox<CommitLogOutput>): void {
    if (this.#busy) return
    const first = Math.max(0, this.#chain.length - 1 - this.#config.maxReorgDepth)
    for (let i = first; i < this.#chain.length; i++) {
      const entry = this.#chain[i]!
      const key = toHex(entry.epochId)
      const isHead = i === this.#chain.length - 1
      // The head waits for its settle window unless later epochs are already known (we are catching up).
      if (isHead && !this.#settled.has(key) && !this.#behind()) continue
      const best = this.#best(key)
      if (best === undefined) continue
      const next = this.#chain[i + 1]
      if (next?.via !== undefined && compareBytes(next.via, best.announcement.hash) <= 0) continue
      if (best.commit === undefined) return
      this.#busy = true
      if (!isHead) {
        // A lower hash arrived for an epoch we already left: return to it and take the better branch.
        // Our own commits on the abandoned branch lost, including one applied there.
        this.#reportLostOwn(key, best.announcement.hash, out)
        for (const dropped of this.#chain.slice(i + 1)) this.#reportLostOwn(toHex(dropped.epochId), undefined, out)
        this.#chain = this.#chain.slice(0, i + 1)
      }
      out.push({ type: 'emit', event: { type: 'apply', hash: best.announcement.hash, commit: best.commit, own: best.own, rollbackTo: isHead ? undefined : entry.epochId } })
      return
    }
  }

  #best(parentKey: string): Candidate | undefined {
    let best: Candidate | undefined
    for (const candidate of this.#candidates.get(parentKey)?.values() ?? []) {
      if (candidate.invalid) continue
      if (best === undefined || compareBytes(candidate.announcement.hash, best.announcement.hash) < 0) best = candidate
    }
    return best
  }

  /** True when some candidate is built on an epoch beyond ours: the group has moved on without us. */
  #behind(): boolean {
    for (const byHash of this.#candidates.values()) {
      for (const c of byHash.values()) if (c.announcement.epoch > this.#head.epoch && !c.invalid) return true
    }
    return false
  }

  #reportLostOwn(parentKey: string, winner: Uint8Array | undefined, out: Outbox<CommitLogOutput>): void {
    const winnerKey = winner === undefined ? '' : toHex(winner)
    for (const [hashKey, candidate] of this.#candidates.get(parentKey) ?? []) {
      if (candidate.own && hashKey !== winnerKey && !candidate.invalid) {
        candidate.invalid = true
        out.push({ type: 'emit', event: { type: 'lost', hash: candidate.announcement.hash } })
      }
    }
  }

  #requestCatchUp(peer: PeerId | undefined, hash: Uint8Array | undefined, out: Outbox<CommitLogOutput>): void {
    if (peer === undefined) return
    if (this.#retries >= this.#config.maxFetchRetries) return
    this.#lastFetchPeer = peer
    const attempt = ++this.#fetchAttempt
    out.push({ type: 'emit', event: { type: 'fetch', peer, sinceEpoch: this.#head.epoch, hash } })
    out.push({ type: 'schedule', delayMs: this.#config.fetchRetryMs, timer: { type: 'fetch-retry', attempt } })
  }

  /** Forgets candidates built on epochs older than the chain keeps. */
  #prune(): void {
    const oldest = this.#chain[0]!.epoch
    for (const [parentKey, byHash] of this.#candidates) {
      const first = byHash.values().next().value
      if (first !== undefined && first.announcement.epoch < oldest) {
        this.#candidateCount -= byHash.size
        this.#candidates.delete(parentKey)
        this.#settled.delete(parentKey)
      }
    }
  }
}
