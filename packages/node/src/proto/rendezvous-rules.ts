/**
 * The edge between pubsub and rendezvous (docs/architecture.md section 7): rendezvous joins,
 * leaves and publishes on its shard topics through pubsub, and pubsub's validation requests for a
 * shard topic are answered by the rendezvous core (SPEC.md section 11.3). The shipped stack core
 * calls these rules; the node's rendezvous service applies the same ones to the pubsub driver.
 */
import type { RendezvousEvent, Verdict } from '@saorsa-gossip/rendezvous/proto'
import type { PeerId } from '@saorsa-gossip/types'

/** What the pubsub side offers rendezvous: shard topics by number, validation verdicts by id. */
export interface ShardTopicSide {
  /** Registers the shard topic's validator, then joins the topic. */
  joinShard(shard: number): void
  leaveShard(shard: number): void
  publishOnShard(shard: number, bytes: Uint8Array): void
  answerValidation(validationId: number, verdict: Verdict): void
}

/** What the rendezvous side offers pubsub: a verdict for a shard-topic message. */
export interface ShardValidatorSide {
  validate(validationId: number, shard: number, origin: PeerId, payload: Uint8Array): void
}

/** Applies a rendezvous event to pubsub; returns false for events that are the application's (found, seek-done, provided). */
export function onRendezvousEvent(pubsub: ShardTopicSide, event: RendezvousEvent): boolean {
  switch (event.type) {
    case 'join': pubsub.joinShard(event.shard); return true
    case 'leave': pubsub.leaveShard(event.shard); return true
    case 'publish': pubsub.publishOnShard(event.shard, event.bytes); return true
    case 'verdict': pubsub.answerValidation(event.validationId, event.verdict); return true
    default: return false
  }
}

/** Hands a validation request for a joined shard topic to rendezvous; other topics are not its business. */
export function onShardValidationRequest(
  rendezvous: ShardValidatorSide, shard: number | undefined, validationId: number, origin: PeerId, payload: Uint8Array,
): void {
  if (shard !== undefined) rendezvous.validate(validationId, shard, origin, payload)
}
