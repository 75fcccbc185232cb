/**
 * @packageDocumentation
 * The sans-IO rendezvous core (`@saorsa-gossip/rendezvous/proto`), for the simulator and tests:
 * the shard function, summary checks, the bounded shard store and the core itself.
 */
export { RendezvousCore, type RendezvousCoreInit } from './core.ts'
export { DEFAULT_RENDEZVOUS_CONFIG, type RendezvousConfig } from './config.ts'
export type {
  ProvideCommand, RendezvousCommand, RendezvousDropReason, RendezvousEvent, RendezvousInput, RendezvousOutput, RendezvousTimer, Verdict,
} from './messages.ts'
export { RequestLimiter, type Admission, type RateLimit, type RequestLimits } from './limits.ts'
export { SHARD_BITS, SHARD_COUNT, shardOf, shardServers, shardTopicName } from './shard.ts'
export { ShardStore, type OfferResult, type QueryPage, type StoreLimits, type StoredEntry } from './store.ts'
export { checkSummary, isWithdrawal, type CheckResult, type SummaryRejection, type VerifySummary, type WindowLimits } from './validate.ts'
