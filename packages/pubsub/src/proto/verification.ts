/**
 * Signature checks handed to the driver (a worker-thread pool) instead of run inside the core: the
 * message waits here under a verification id, offered as a 'verify' event, until the 'verified'
 * command answers. Copies of it that arrive meanwhile wait beside it, so that once it is decided
 * they are handled as they would have been after an inline check: duplicates that prune their
 * link, or, if the first copy's signature was bad, candidates of their own. Bounded.
 */
import type { MessageId, PeerId } from '@saorsa-gossip/types'
import type { PublishMessage } from './messages.ts'

/**
 * A held message's check is done by the core itself past this wait. The driver's pool always
 * answers; this only bounds what a lost answer could hold up. 2 s: a key fetch's timeout.
 */
export const VERIFICATION_TIMEOUT_MS = 2_000

/** Copies kept per held message: one per neighbour of an active view (HyParView's largest is 12). */
export const MAX_COPIES_WHILE_VERIFYING = 16

/** A message whose origin signature is being checked elsewhere. */
export interface VerifyingMessage {
  readonly from: PeerId
  readonly topicHex: string
  readonly id: MessageId
  readonly idHex: string
  readonly msg: PublishMessage
  readonly key: Uint8Array
}

/** A copy that arrived while its message was being checked. */
export interface WaitingCopy {
  readonly from: PeerId
  readonly msg: PublishMessage
}

interface Entry { readonly message: VerifyingMessage; readonly copies: WaitingCopy[] }

export class Verifications {
  readonly #maxPending: number
  readonly #held = new Map<number, Entry>()
  readonly #byId = new Map<string, Entry>()
  #nextId = 1

  /** `maxPending` 0: every check runs inline. */
  constructor(maxPending: number) {
    this.#maxPending = maxPending
  }

  get pending(): number {
    return this.#held.size
  }

  /** False when checks run inline, or when `maxPending` are out already (the next one runs inline). */
  canHold(): boolean {
    return this.#held.size < this.#maxPending
  }

  isHeld(idHex: string): boolean {
    return this.#byId.has(idHex)
  }

  /** Holds `message` under a fresh verification id. Call only after `canHold()`. */
  hold(message: VerifyingMessage): number {
    const verificationId = this.#nextId++
    const entry = { message, copies: [] }
    this.#held.set(verificationId, entry)
    this.#byId.set(message.idHex, entry)
    return verificationId
  }

  /** Keeps a copy of a held message; false (the copy is dropped) past MAX_COPIES_WHILE_VERIFYING. */
  addCopy(idHex: string, copy: WaitingCopy): boolean {
    const entry = this.#byId.get(idHex)
    if (entry === undefined || entry.copies.length >= MAX_COPIES_WHILE_VERIFYING) return false
    entry.copies.push(copy)
    return true
  }

  /** Releases a held message and its copies (verdict or timeout); undefined if already released. */
  take(verificationId: number): { message: VerifyingMessage; copies: WaitingCopy[] } | undefined {
    const entry = this.#held.get(verificationId)
    if (entry === undefined) return undefined
    this.#held.delete(verificationId)
    this.#byId.delete(entry.message.idHex)
    return entry
  }
}
