/**
 * Topic validators for the PubSub core, as gossipsub's `topicValidators` (libp2p gossipsub v1.1
 * spec, "Extended validators"): a verified message of a topic with a validator is held, offered to
 * the driver as a 'validate' event, and delivered and forwarded only on 'accept'. Sans-IO: the
 * driver runs the (possibly async) function and answers with a 'validated' command; a timer ends
 * the wait. Held messages are bounded (`maxPendingValidations`).
 */
import type { MessageId } from '@saorsa-gossip/types'
import type { PublishMessage } from './messages.ts'
import type { PeerState } from './peers.ts'

/** A verified message waiting for its validator. */
export interface HeldMessage {
  readonly peer: PeerState
  readonly topicHex: string
  readonly id: MessageId
  readonly idHex: string
  readonly msg: PublishMessage
  /** Other neighbours known to have it (their copies came while its signature was checked): not pushed to. */
  readonly holders?: readonly string[]
}

export class Validations {
  readonly #maxPending: number
  /** Topic hex -> how long its validator may take. */
  readonly #timeouts = new Map<string, number>()
  readonly #held = new Map<number, HeldMessage>()
  readonly #heldIds = new Set<string>()
  #nextId = 1

  constructor(maxPending: number) {
    this.#maxPending = maxPending
  }

  get pending(): number {
    return this.#held.size
  }

  set(topicHex: string, timeoutMs: number): void {
    this.#timeouts.set(topicHex, timeoutMs)
  }

  remove(topicHex: string): void {
    this.#timeouts.delete(topicHex)
  }

  /** The topic's validator timeout, or undefined when the topic has no validator. */
  timeoutOf(topicHex: string): number | undefined {
    return this.#timeouts.get(topicHex)
  }

  isHeld(idHex: string): boolean {
    return this.#heldIds.has(idHex)
  }

  /** Holds `message` under a fresh validation id; undefined when the cap is reached. */
  hold(message: HeldMessage): number | undefined {
    if (this.#held.size >= this.#maxPending) return undefined
    const validationId = this.#nextId++
    this.#held.set(validationId, message)
    this.#heldIds.add(message.idHex)
    return validationId
  }

  /** Releases a held message (verdict or timeout); undefined if it was already released. */
  take(validationId: number): HeldMessage | undefined {
    const held = this.#held.get(validationId)
    if (held === undefined) return undefined
    this.#held.delete(validationId)
    this.#heldIds.delete(held.idHex)
    return held
  }
}
