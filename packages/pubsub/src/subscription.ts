/**
 * A topic subscription as an async iterable of verified deliveries, with a bounded buffer: a slow
 * consumer loses the oldest messages (counted in `lagged`) instead of growing memory without limit,
 * the `Lagged` behaviour of iroh-gossip made explicit. Only readers that asked for one hold a
 * subscription; `PubSub.join` keeps a topic without buffering anything.
 */
import type { TopicId } from '@saorsa-gossip/types'
import type { Delivery } from './proto/messages.ts'

export class Subscription implements AsyncIterable<Delivery> {
  readonly topic: TopicId
  readonly #capacity: number
  readonly #onUnsubscribe: () => void
  readonly #onLagged: () => void
  readonly #buffer: Delivery[] = []
  #waiting: ((result: IteratorResult<Delivery>) => void) | undefined
  #ended = false
  #lagged = 0

  constructor(topic: TopicId, capacity: number, onUnsubscribe: () => void, onLagged: () => void = () => {}) {
    this.topic = topic
    this.#capacity = capacity
    this.#onUnsubscribe = onUnsubscribe
    this.#onLagged = onLagged
  }

  /** Deliveries this reader lost because it fell more than the buffer size behind. */
  get lagged(): number {
    return this.#lagged
  }

  /** True once unsubscribed, aborted or stopped (buffered deliveries can still be read). */
  get closed(): boolean {
    return this.#ended
  }

  /** Leaves the topic (when this was its last subscription and it was not joined) and ends the iteration. */
  unsubscribe(): void {
    if (this.#ended) return
    this.#onUnsubscribe()
    this.end()
  }

  push(delivery: Delivery): void {
    if (this.#ended) return
    if (this.#waiting !== undefined) {
      const resolve = this.#waiting
      this.#waiting = undefined
      resolve({ value: delivery, done: false })
      return
    }
    if (this.#buffer.length >= this.#capacity) {
      this.#buffer.shift()
      this.#lagged++
      this.#onLagged()
    }
    this.#buffer.push(delivery)
  }

  end(): void {
    if (this.#ended) return
    this.#ended = true
    const resolve = this.#waiting
    this.#waiting = undefined
    resolve?.({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return {
      next: () => {
        const value = this.#buffer.shift()
        if (value !== undefined) return Promise.resolve({ value, done: false })
        if (this.#ended) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve) => { this.#waiting = resolve })
      },
      return: () => {
        this.unsubscribe()
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}
