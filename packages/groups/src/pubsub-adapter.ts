/**
 * Adapts @saorsa-gossip/pubsub to the `GroupsPubSub` the service uses, structurally (groups does
 * not import pubsub): join plus a topic validator run before delivery and forwarding (docs/architecture.md
 * section 7), publish, and the 'message' event of verified deliveries.
 */
import type { PeerId, TopicId } from '@saorsa-gossip/types'
import type { GroupsPubSub } from './service-api.ts'

type Verdict = 'accept' | 'reject' | 'ignore'

/** The part of a PubSub node the groups layer uses. */
export interface PubSubLike {
  join(topic: TopicId): void
  leave(topic: TopicId): void
  addValidator(topic: TopicId, validator: (message: { readonly origin: PeerId; readonly payload: Uint8Array }) => Verdict): void
  removeValidator(topic: TopicId): void
  publish(topic: TopicId, data: Uint8Array, options?: { signal?: AbortSignal }): Promise<unknown>
  addEventListener(
    type: 'message',
    listener: (event: CustomEvent<{ readonly topic: TopicId; readonly origin: PeerId; readonly payload: Uint8Array }>) => void,
  ): void
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
      await pubsub.publish(topic, payload, options)
    },
    onMessage(handler) {
      pubsub.addEventListener('message', (event) => handler(event.detail.topic, event.detail.origin, event.detail.payload))
    },
  }
}
