/**
 * A topic subscription as an async iterable of verified messages: the node's view of a pubsub
 * subscription (pubsub keeps the one registry of readers), with topic names instead of topic ids.
 * Bounded: if the reader falls more than the pubsub buffer (1,024) behind, the oldest messages are
 * dropped and counted (`dropped`), so a slow reader never grows memory. Ends when unsubscribed,
 * aborted or the node stops.
 */
import type { Delivery, Subscription as PubSubSubscription } from '@saorsa-gossip/pubsub'
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

/** The node's form of a pubsub delivery. */
export function receivedMessage(topic: string, d: Delivery): ReceivedMessage {
  return {
    topic, topicId: d.topic, id: d.id, origin: d.origin, from: d.from, hops: d.hop, seq: d.seq, timestampMs: d.timestampMs, payload: d.payload,
  }
}

export class Subscription implements AsyncIterable<ReceivedMessage> {
  readonly topic: string
  readonly #source: PubSubSubscription

  constructor(topic: string, source: PubSubSubscription) {
    this.topic = topic
    this.#source = source
  }

  /** Messages lost because the reader fell behind. */
  get dropped(): number {
    return this.#source.lagged
  }

  get closed(): boolean {
    return this.#source.closed
  }

  /** Ends the iteration (after the queued messages) and releases the topic if nothing else holds it. */
  unsubscribe(): void {
    this.#source.unsubscribe()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    try {
      for await (const delivery of this.#source) yield receivedMessage(this.topic, delivery)
    } finally {
      this.unsubscribe()
    }
  }
}
