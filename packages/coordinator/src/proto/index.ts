/**
 * The sans-IO cores and pure building blocks of the coordinator layer, for the service, the simulator
 * and tests (docs/architecture.md section 2). Nothing here performs IO, reads a clock or draws randomness.
 */
export { AdvertCache, MAX_DIAL_COUNT, type CachedAdvert, type InsertOutcome } from './advert-cache.ts'
export { advertScore, DEFAULT_SCORE_WEIGHTS, type ScoreInput, type ScoreWeights } from './score.ts'
export { FoafCore, type FoafCoreInit, type FoafInput, type FoafOutbox, type FoafOutput } from './foaf.ts'
export {
  MAX_FOAF_TTL, MAX_REPLY_RECORDS, QUERY_ID_BYTES,
  type FoafCommand, type FoafDropReason, type FoafEvent, type FoafMessage, type FoafQueryBody, type FoafQueryMessage,
  type FoafReplyMessage, type FoafTarget, type FoafTimer,
} from './foaf-messages.ts'
export {
  AddressBookCore, type AddressBookCommand, type AddressBookCoreInit, type AddressBookEntry, type AddressBookEvent,
  type AddressBookInput, type AddressBookOutput, type AddressBookTimer,
} from './address-book.ts'
export { RateLimiter, TimedMap } from './bounded.ts'
export {
  checkCoordinatorConfig, COORDINATOR_LAN, COORDINATOR_LOCAL, COORDINATOR_WAN,
  type AddressBookConfig, type AdvertPolicy, type CoordinatorConfig, type FoafConfig,
} from './config.ts'
export {
  CoordinatorCore, type CoordinatorCommand, type CoordinatorCoreInit, type CoordinatorEvent, type CoordinatorInput, type CoordinatorOutput,
  type CoordinatorTimer, type CoordinatorTopic, type Verdict,
} from './coordinator.ts'
export { ADDRESS_BOOK_TOPIC, ADDRESS_BOOK_TOPIC_NAME, COORDINATOR_TOPIC, COORDINATOR_TOPIC_NAME, FOAF_PROTOCOL } from '../topics.ts'
export { COORDINATOR_DOMAIN, type Signer, type VerifyFn } from '../domains.ts'
export type { NatClass, Role } from '../advert.ts'
