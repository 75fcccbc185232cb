/**
 * @packageDocumentation
 * Topic broadcast for Saorsa Gossip: Plumtree epidemic broadcast trees (eager push plus lazy IHAVE
 * repair), messages signed by their origin with ML-DSA-65 and verified once per receiver (after
 * deduplication), peer scoring with graylisting, and IBLT anti-entropy so late joiners and healed
 * partitions catch up without re-publication. Wire format: SPEC.md section 7.
 *
 * @example
 * ```ts
 * import { createPubSub } from '@saorsa-gossip/pubsub'
 * import { loadMlDsa65Backend } from '@saorsa-gossip/identity'
 *
 * const pubsub = createPubSub({ transport, identity, membership, backend: await loadMlDsa65Backend() })
 * pubsub.start()
 * const chat = pubsub.subscribe('chat/lobby')
 * const { outcome } = await pubsub.publish('chat/lobby', new TextEncoder().encode('hello'))
 * if (outcome === 'no-peers') console.log('nobody subscribed is connected yet; anti-entropy will deliver it later')
 * for await (const msg of chat) console.log(msg.origin.toShortString(), msg.hop, new TextDecoder().decode(msg.payload))
 * ```
 */
import { PubSubDriver, type PubSubInit } from './driver.ts'

export type PubSub = PubSubDriver

/** Creates a PubSub node; call `start()` before subscribing or publishing. */
export function createPubSub(init: PubSubInit): PubSub {
  return new PubSubDriver(init)
}

export { PubSubDriver } from './driver.ts'
export type { NeighborSource, PubSubConnection, PubSubEvents, PubSubInit, PubSubTransport, PublishResult } from './driver.ts'
export { Subscription } from './subscription.ts'
export { PUBSUB_PROTOCOL, type PubSubProtocol } from './protocol.ts'
export { decodePubSubMessage, encodePubSubMessage } from './codec.ts'
export { Publisher, type SignHeader } from './publisher.ts'
export { signHeaderWith, verifyHeaderWith } from './signatures.ts'
export { DEFAULT_CONFIG, DEFAULT_SCORE_PARAMS, type PubSubConfig, type ScoreParams } from './proto/index.ts'
export type { Delivery, DropReason, PublishOutcome } from './proto/index.ts'
