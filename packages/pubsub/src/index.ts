/**
 * @packageDocumentation
 * Topic broadcast for Saorsa Gossip: Plumtree epidemic broadcast trees (eager push plus lazy IHAVE
 * repair), messages signed by their origin with ML-DSA-65 and verified once per receiver (after
 * deduplication), topic validators, neighbour-only broadcasts, peer scoring with graylisting, and
 * IBLT anti-entropy so late joiners and healed partitions catch up without re-publication. Wire
 * format: SPEC.md section 7.
 *
 * @example
 * ```ts
 * import { createPubSub, PUBSUB_WAN } from '@saorsa-gossip/pubsub'
 * import { loadMlDsa65Backend } from '@saorsa-gossip/identity'
 *
 * const pubsub = createPubSub({ config: PUBSUB_WAN, sequenceFile: '/var/lib/app/pubsub.seq' }, { transport, identity, membership, backend: await loadMlDsa65Backend() })
 * pubsub.start()
 *
 * // Relay a topic and read it through the typed 'message' event...
 * pubsub.join('adverts')
 * pubsub.addValidator('adverts', (m) => (m.payload.length <= 512 ? 'accept' : 'reject'), { timeoutMs: 1_000 })
 * pubsub.addEventListener('message', (e) => console.log(e.detail.origin.toShortString(), e.detail.hop))
 * pubsub.addEventListener('topic:peer-up', (e) => console.log('tree neighbour', e.detail.peer.toShortString()))
 *
 * // ...or hold an async-iterable subscription.
 * const chat = pubsub.subscribe('chat/lobby')
 * const { outcome } = await pubsub.publish('chat/lobby', new TextEncoder().encode('hello'))
 *   .catch((err) => { if (err.name === 'PublishBackpressureError') return { outcome: 'retry-later' }; throw err })
 * if (outcome === 'no-peers') console.log('nobody subscribed is connected yet; anti-entropy will deliver it later')
 * await pubsub.broadcastNeighbors('chat/lobby', new TextEncoder().encode('typing...'))  // direct neighbours only
 * for await (const msg of chat) console.log(msg.origin.toShortString(), msg.hop, new TextDecoder().decode(msg.payload))
 * ```
 */
import { PubSubDriver } from './driver.ts'
import type { PubSubComponents, PubSubInit } from './driver-types.ts'

export type PubSub = PubSubDriver

/** Creates a PubSub node from options and dependencies; call `start()` before joining or publishing. */
export function createPubSub(init: PubSubInit, components: PubSubComponents): PubSub {
  return new PubSubDriver(init, components)
}

export { PubSubDriver } from './driver.ts'
export type {
  AsyncVerifier, DriverDrops, NeighborSource, PubSubComponents, PubSubConnection, PubSubEvents, PubSubInit, PubSubTraffic, PubSubTransport, PublishResult,
  TopicPeerCounts, TopicPeerDetail,
} from './driver-types.ts'
export { PublishBackpressureError } from './errors.ts'
export { PUBSUB_LAN, PUBSUB_LOCAL, PUBSUB_WAN } from './proto/presets.ts'
export { Subscription } from './subscription.ts'
export { PUBSUB_PROTOCOL, type PubSubProtocol } from './protocol.ts'
export type { TopicValidator, ValidatorOptions } from './validators.ts'
export { decodePubSubMessage, encodePubSubMessage } from './codec.ts'
export { Publisher, type SignHeader } from './publisher.ts'
export { headerSigningInput, signHeaderWith, verifyHeaderWith } from './signatures.ts'
export { DEFAULT_CONFIG, DEFAULT_SCORE_PARAMS, type PubSubConfig, type ScoreParams } from './proto/index.ts'
export type { Delivery, DropReason, PublishOutcome, ValidationRequest, ValidationResult } from './proto/index.ts'
