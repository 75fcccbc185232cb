/**
 * The sans-IO PubSub core and its building blocks, for the driver, the simulator and tests
 * (docs/architecture.md section 2). Nothing here performs IO, reads a clock or draws randomness itself.
 */
export { PubSubCore, type PubSubCoreInit, type PubSubInput, type PubSubOutput, type PubSubOutbox, type VerifyHeader } from './pubsub.ts'
export { DEFAULT_CONFIG, resolveConfig, checkConfig, type PubSubConfig } from './config.ts'
export { DEFAULT_SCORE_PARAMS, PeerScore, levelOf, decayFactor, type ScoreParams, type ScoreLevel, type ScoreCounter } from './score.ts'
export { Iblt, IBLT_CELL_BYTES, IBLT_HASHES, type IbltDifference } from './iblt.ts'
export { buildSketch, diffSketch, type SketchDiff } from './anti-entropy.ts'
export { TokenBucket } from './token-bucket.ts'
export { BoundedMap, TimedMap } from './caches.ts'
export { MAX_HOP } from './messages.ts'
export { MAX_COPIES_WHILE_VERIFYING, VERIFICATION_TIMEOUT_MS } from './verification.ts'
export type {
  Delivery, DropReason, GraftMessage, HaveMessage, IHaveMessage, IWantMessage, KeyRequestMessage, KeyResponseMessage,
  PruneMessage, PubSubCommand, PubSubEvent, PubSubMessage, PubSubTimer, PublishMessage, PublishOutcome, SketchMessage,
  SubscribeMessage, UnsubscribeMessage, ValidationRequest, ValidationResult,
} from './messages.ts'
export { PUBSUB_LAN, PUBSUB_LOCAL, PUBSUB_WAN } from './presets.ts'
