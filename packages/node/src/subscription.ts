/**
 * A topic subscription as an async iterable of verified messages. Bounded: if the consumer falls
 * more than `maxQueued` messages behind, the oldest are dropped and counted (`dropped`), so a slow
 * reader can never grow the node's memory. Ends when unsubscribed, aborted or the node stops.
 */
import type { PeerId, TopicId, MessageId } from '@saorsa-gossip/types'

/** A delivered message: the author's signature was verified before it reached the application. */
export interface ReceivedMessage {
  topic: string
  topicId: TopicId
  id: MessageId
  /** The author (signature verified against its key). */
  origin: PeerId
  /** The neighbour it arrived from. */
  from: PeerId
  /** Hops from the author (1 = direct from the author). */
  hops: number
  seq: number
  /** Author's wall clock at publish, ms since the epoch. */
  timestampMs: number
  payload: Uint8Array
}

export const DEFAULT_SUBSCRIPTION_QUEUE = 1024

export class Subscription implements AsyncIterable<ReceivedMessage> {
  readonly topic: string
  dropped = 0
  readonly #queue: ReceivedMessage[] = []
  readonly #maxQueued: number
  readonly #onClose: (sub: Subscription) => void
  #closed = false
  #wake: (() => void) | undefined

  constructor(topic: string, onClose: (sub: Subscription) => void, maxQueued = DEFAULT_SUBSCRIPTION_QUEUE, signal?: AbortSignal) {
    this.topic = topic
    this.#onClose = onClose
    this.#maxQueued = maxQueued
    signal?.addEventListener('abort', () => this.unsubscribe(), { once: true })
    if (signal?.aborted === true) this.unsubscribe()
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Called by the node for every delivery on this topic. */
  push(message: ReceivedMessage): void {
    if (this.#closed) return
    if (this.#queue.length >= this.#maxQueued) {
      this.#queue.shift()
      this.dropped++
    }
    this.#queue.push(message)
    this.#wake?.()
  }

  /** Ends the iteration (after the queued messages) and releases the topic if nobody else reads it. */
  unsubscribe(): void {
    if (this.#closed) return
    this.#closed = true
    this.#wake?.()
    this.#onClose(this)
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    try {
      for (;;) {
        const next = this.#queue.shift()
        if (next !== undefined) {
          yield next
          continue
        }
        if (this.#closed) return
        await new Promise<void>((resolve) => {
          this.#wake = resolve
        })
        this.#wake = undefined
      }
    } finally {
      this.unsubscribe()
    }
  }
}
