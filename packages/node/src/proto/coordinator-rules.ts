/**
 * The edge between pubsub, membership and the coordinator layer (docs/architecture.md section 7,
 * SPEC.md section 9): the coordinator core validates every message of its two topics before pubsub
 * forwards it, publishes its adverts and peer records through pubsub, and asks its FOAF queries of
 * membership's active neighbours. The shipped stack core calls these rules; the node's coordinator
 * service (`@saorsa-gossip/coordinator`'s driver) applies the same edges to the pubsub driver.
 */
import { ADDRESS_BOOK_TOPIC, COORDINATOR_TOPIC, type CoordinatorEvent, type CoordinatorTopic, type Verdict } from '@saorsa-gossip/coordinator/proto'
import type { PeerId, TopicId } from '@saorsa-gossip/types'

/** What the pubsub side offers the coordinator layer. */
export interface CoordinatorTopicSide {
  /** Registers the topic's validator, then joins it. */
  joinTopic(topic: TopicId): void
  publishOnTopic(topic: TopicId, bytes: Uint8Array): void
  answerValidation(validationId: number, verdict: Verdict): void
}

/** What the coordinator core accepts from the other layers. */
export interface CoordinatorSide {
  validate(validationId: number, topic: CoordinatorTopic, origin: PeerId, payload: Uint8Array): void
  neighbor(peer: PeerId, up: boolean): void
}

export const COORDINATOR_TOPICS: Readonly<Record<CoordinatorTopic, TopicId>> = Object.freeze({ 'adverts': COORDINATOR_TOPIC, 'address-book': ADDRESS_BOOK_TOPIC })

/** Which of the layer's topics `topic` is, if any. */
export function coordinatorTopicOf(topic: TopicId): CoordinatorTopic | undefined {
  return topic.equals(COORDINATOR_TOPIC) ? 'adverts' : topic.equals(ADDRESS_BOOK_TOPIC) ? 'address-book' : undefined
}

/** The topics a node joins: adverts always (everyone checks and forwards them), the address book when the preset keeps one. */
export function joinCoordinatorTopics(pubsub: CoordinatorTopicSide, addressBook: boolean): void {
  pubsub.joinTopic(COORDINATOR_TOPIC)
  if (addressBook) pubsub.joinTopic(ADDRESS_BOOK_TOPIC)
}

/** Applies a coordinator event to pubsub; returns false for events that are the application's. */
export function onCoordinatorEvent(pubsub: CoordinatorTopicSide, event: CoordinatorEvent): boolean {
  switch (event.type) {
    case 'publish': pubsub.publishOnTopic(COORDINATOR_TOPICS[event.topic], event.payload); return true
    case 'validated': pubsub.answerValidation(event.validationId, event.result); return true
    default: return false
  }
}

/** Hands a validation request of one of the layer's topics to the coordinator core; other topics are not its business. */
export function onCoordinatorValidationRequest(
  coordinator: CoordinatorSide, topic: TopicId, validationId: number, origin: PeerId, payload: Uint8Array,
): boolean {
  const which = coordinatorTopicOf(topic)
  if (which === undefined) return false
  coordinator.validate(validationId, which, origin, payload)
  return true
}

/** FOAF asks active neighbours only: membership's neighbour events are the coordinator's peer set. */
export function onCoordinatorNeighbor(coordinator: CoordinatorSide, peer: PeerId, up: boolean): void {
  coordinator.neighbor(peer, up)
}
