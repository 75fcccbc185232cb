/**
 * Adapts @saorsa-gossip/pubsub to the `GroupsPubSub` the service uses, structurally (groups does
 * not import pubsub): join plus a topic validator run before delivery and forwarding (docs/architecture.md
 * section 7), publish, and the 'message' event of verified deliveries.
 */
import { MessageId, type PeerId, type TopicId } from '@saorsa-gossip/types'
import type { GroupDelivery, GroupsPubSub } from './service-api.ts'

type Verdict = 'accept' | 'reject' | 'ignore'

/** The part of a PubSub node the groups layer uses. */
export interface PubSubLike {
  join(topic: TopicId): void
  leave(topic: TopicId): void
  addValidator(topic: TopicId, validator: (message: { readonly origin: PeerId; readonly payload: Uint8Array }) => Verdict): void
  removeValidator(topic: TopicId): void
  publish(topic: TopicId, data: Uint8Array, options?: { signal?: AbortSignal }): Promise<unknown>
  addEventListener(type: 'message', listener: (event: CustomEvent<PubSubDeliveryLike>) => void): void
}

/** A pubsub delivery; the fields after `payload` are how it travelled (`@saorsa-gossip/pubsub`'s Delivery has them all). */
export interface PubSubDeliveryLike {
  readonly topic: TopicId
  readonly origin: PeerId
  readonly payload: Uint8Array
  readonly id?: MessageId
  readonly from?: PeerId
  readonly hop?: number
  readonly seq?: number
  readonly timestampMs?: number
}

function deliveryOf(d: PubSubDeliveryLike): GroupDelivery | undefined {
  if (!(d.id instanceof MessageId) || d.from === undefined || d.hop === undefined || d.seq === undefined || d.timestampMs === undefined) return undefined
  return { messageId: d.id, from: d.from, hops: d.hop, seq: d.seq, timestampMs: d.timestampMs }
}

export function groupsPubSub(pubsub: PubSubLike): GroupsPubSub {
  return {
    join(topic, validate) {
      pubsub.addValidator(topic, (message) => validate(message.origin, message.payload))
      pubsub.join(topic)
    },
    leave(topic) {
      pubsub.removeValidator(topic)
      pubsub.leave(topic)
    },
    async publish(topic, payload, options) {
      // `@saorsa-gossip/pubsub` resolves with { outcome, id, peers }; anything else reports nothing.
      const result = (await pubsub.publish(topic, payload, options)) as { id?: unknown; peers?: unknown } | undefined
      if (result?.id instanceof MessageId && typeof result.peers === 'number') return { messageId: result.id, sentTo: result.peers }
      return undefined
    },
    onMessage(handler) {
      pubsub.addEventListener('message', (event) => handler(event.detail.topic, event.detail.origin, event.detail.payload, deliveryOf(event.detail)))
    },
  }
}
