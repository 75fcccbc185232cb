/**
 * @packageDocumentation
 * Rendezvous for Saorsa Gossip: providers of a target (a site, an identity, a key package, a
 * document) sign a ProviderSummary and publish it on one of 65,536 shard topics chosen by hashing
 * the target, and register it with the shard's `rendezvous`-role servers; seekers join only the
 * shards they need, ask those servers (paging with a cursor), and get verified, unexpired
 * providers ranked by score, reachability and freshness. No DHT. Wire format: SPEC.md section 11.
 *
 * @example
 * ```ts
 * import { createRendezvous } from '@saorsa-gossip/rendezvous'
 * import { verifySignature } from '@saorsa-gossip/identity'
 *
 * const rendezvous = createRendezvous({ storePath: '/var/lib/saorsa/rendezvous.cbor' }, {
 *   identity, pubsub, transport,                       // createPubSub / createTransport
 *   verify: verifySignature,
 *   servers: coordinator,                              // anything with rendezvousPeers()
 * })
 * await rendezvous.start()
 *
 * rendezvous.provide('my-site', { capabilities: ['SITE'], addressHints: ['tcp://203.0.113.7:9000'] })
 *
 * const controller = new AbortController()
 * for await (const provider of rendezvous.seek('my-site', { capability: 'SITE', signal: controller.signal })) {
 *   provider.provider; provider.addressHints          // verified PeerId and where to dial it
 * }
 * await rendezvous.stop()                              // publishes withdrawals
 * ```
 */
import { RendezvousService, type RendezvousComponents, type RendezvousInit } from './service.ts'

export type Rendezvous = RendezvousService

/** Creates the rendezvous service from options and dependencies; call `start()` before use. */
export function createRendezvous(init: RendezvousInit, components: RendezvousComponents): Rendezvous {
  return new RendezvousService(init, components)
}

export { RendezvousService, RENDEZVOUS_PROTOCOL } from './service.ts'
export type {
  ProvideOptions, RendezvousComponents, RendezvousConnection, RendezvousEvents, RendezvousIdentity, RendezvousInit,
  RendezvousPubSub, RendezvousRequestContext, RendezvousTransport, SeekOptions,
} from './service.ts'
export { RENDEZVOUS_LAN, RENDEZVOUS_LOCAL, RENDEZVOUS_WAN } from './config.ts'
export { StoreFileError, TooManyTargetsError } from './errors.ts'
export { parseTarget, targetFromName } from './target.ts'
export {
  CAPABILITIES, decodeRendezvousMessage, decodeSignedSummary, encodeRendezvousMessage, MAX_SUMMARY_BYTES, REFUSALS, RENDEZVOUS_PROTOCOL_NAME,
  SUMMARY_DOMAIN, SUMMARY_LIMITS, type Capability, type ProviderSummary, type Refusal, type RendezvousMessage, type SignedSummary,
} from './codec.ts'
export { DEFAULT_RENDEZVOUS_CONFIG, shardOf, shardTopicName, SHARD_COUNT, type RendezvousConfig } from './proto/index.ts'
