/**
 * @packageDocumentation
 * Finding the network without a DHT (SPEC.md section 9): coordinators publish signed adverts that
 * every node checks (`validateAdvert`) and keeps in a bounded, scored, persisted cache; a node with no
 * good contact asks its friends' friends (FOAF FIND_COORDINATOR, three hops, fanout three); small
 * networks also keep a converging address book of peer records.
 *
 * @example
 * ```ts
 * import { Identity } from '@saorsa-gossip/identity'
 * import { AdvertCache, COORDINATOR_LAN, createCoordinator, signAdvert, validateAdvert } from '@saorsa-gossip/coordinator'
 *
 * const coordinator = Identity.generate()
 * const now = Date.now()
 * const { bytes } = signAdvert(coordinator, {
 *   roles: ['coordinator'], addresses: ['tcp://203.0.113.7:7000'], nat: 'eim',
 *   notBeforeMs: now, notAfterMs: now + COORDINATOR_LAN.advertValidityMs, sequence: now,
 * })
 *
 * const cache = new AdvertCache({ capacity: COORDINATOR_LAN.cacheCapacity })
 * const verdict = validateAdvert(bytes, { nowMs: now, cached: undefined })
 * if (verdict.ok) cache.insert(verdict.advert, now)
 * else console.log(`${verdict.action}: ${verdict.reason}`)   // e.g. "reject: bad-signature"
 * console.log(cache.best(now, { role: 'coordinator' })[0]?.advert.addresses)
 *
 * // On a node: the layer on the shared runtime, wired to pubsub, the transport and membership.
 * const layer = createCoordinator(
 *   { config: COORDINATOR_LAN, home, advertise: { roles: ['coordinator'], addresses: ['tcp://203.0.113.7:7000'], nat: 'eim' } },
 *   { identity: coordinator, backend, pubsub, transport, membership },
 * )
 * await layer.start()                                         // loads coordinators.cbor, joins the advert topic
 * const [best] = await layer.findCoordinator({ signal })      // the cache first, else FOAF
 * ```
 */
import { CoordinatorService } from './service.ts'
import type { CoordinatorComponents, CoordinatorInit } from './service-types.ts'

export {
  ADVERT_VERSION, MAX_ADVERT_BODY_BYTES, MAX_ADVERT_BYTES, MAX_ADVERT_HINTS, NAT_CLASSES, ROLES,
  decodeAdvert, encodeAdvertBody, signAdvert,
  type AdvertFields, type CoordinatorAdvert, type NatClass, type Role, type SignedAdvert,
} from './advert.ts'
export {
  validateAdvert,
  type AdvertRejectReason, type AdvertVerdict, type CachedAdvertState, type ValidateAdvertOptions,
} from './advert-validate.ts'
export {
  ADVERT_CACHE_FILE, ADVERT_CACHE_VERSION, STALE_TEMP_MS, MAX_ADVERT_CACHE_ENTRIES, MAX_ADVERT_CACHE_FILE_BYTES,
  decodeAdvertCacheFile, encodeAdvertCacheFile, loadAdvertCache, saveAdvertCache,
  type AdvertCacheFileEntry, type AdvertCacheLoadReport, type LoadAdvertCacheOptions,
} from './advert-store.ts'
export { COORDINATOR_DOMAIN, type Signer, type VerifyFn } from './domains.ts'
export { AdvertTooLargeError, CacheFileError, QueryError } from './errors.ts'
export {
  MAX_FOAF_MESSAGE_BYTES, MAX_QUERY_BODY_BYTES, MAX_QUERY_ENVELOPE_BYTES,
  decodeFoafMessage, decodeQueryEnvelope, encodeFoafMessage, encodeQueryBody, encodeQueryEnvelope,
} from './foaf-codec.ts'
export {
  MAX_PEER_RECORD_BYTES, MAX_PEER_RECORD_HINTS, PEER_RECORD_VERSION,
  decodePeerRecord, encodePeerRecord, validatePeerRecord,
  type PeerRecord, type PeerRecordRejectReason, type PeerRecordVerdict, type ReceivedPeerRecord, type ValidatePeerRecordOptions,
} from './peer-record.ts'
export {
  MAX_PEER_CACHE_ENTRIES, MAX_PEER_CACHE_FILE_BYTES, PEER_CACHE_MAX_AGE_MS, PEER_CACHE_MAX_FAILURES, PEER_CACHE_VERSION,
  PeerCache, decodePeerCache, encodePeerCache, type PeerCacheEntry, type PeerCacheLoadProblem,
} from './peer-cache.ts'
export type { AddressBookEntry } from './proto/address-book.ts'
export { AdvertCache, type CachedAdvert, type InsertOutcome } from './proto/advert-cache.ts'
export { advertScore, DEFAULT_SCORE_WEIGHTS, type ScoreWeights } from './proto/score.ts'
export {
  checkCoordinatorConfig, COORDINATOR_LAN, COORDINATOR_LOCAL, COORDINATOR_WAN,
  type AddressBookConfig, type AdvertPolicy, type CoordinatorConfig, type FoafConfig,
} from './proto/config.ts'
export { MAX_FOAF_PAYLOAD_BYTES, type FoafTarget } from './proto/foaf-messages.ts'
export { ADDRESS_BOOK_TOPIC, ADDRESS_BOOK_TOPIC_NAME, COORDINATOR_TOPIC, COORDINATOR_TOPIC_NAME, FOAF_PROTOCOL } from './topics.ts'
export { CoordinatorService } from './service.ts'
export {
  FOAF_TRANSPORT_PROTOCOL,
  type CoordinatorComponents, type CoordinatorEvents, type CoordinatorInit, type CoordinatorMetrics, type CoordinatorPubSub,
  type CoordinatorTransport, type NeighborEvents, type UserQuery, type UserQueryAnswerer,
} from './service-types.ts'

/** Creates the coordinator layer from options and dependencies; `await start()` loads the cache and joins the topics. */
export function createCoordinator(init: CoordinatorInit, components: CoordinatorComponents): Coordinator {
  return new CoordinatorService(init, components)
}

export type Coordinator = CoordinatorService
