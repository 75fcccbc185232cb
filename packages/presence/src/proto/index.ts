/**
 * @packageDocumentation
 * The sans-IO presence core and its pure helpers (`@saorsa-gossip/presence/proto`), for the
 * simulator and tests: key schedule, sealing, topic windows and the core itself.
 */
export { MAX_OPEN_GROUP_MEMBERS, PresenceCore, type PresenceCoreInit } from './presence.ts'
export { DEFAULT_PRESENCE_CONFIG, checkPresenceConfig, type PresenceConfig } from './config.ts'
export { PRESENCE_EXPORTER_LABEL, PRESENCE_SECRET_BYTES, beaconKey, beaconTopic, presenceTag, sliceOf } from './derive.ts'
export { findUserKeys, openAnswer, openBeacon, sealAnswer, sealBeacon } from './seal.ts'
export { untilTopicChange, wantedSlices } from './topics.ts'
export { RequesterBuckets } from './rate-limit.ts'
export type { BeaconBody, BeaconEnvelope, FindUserAnswer, FindUserQuery, FindUserReply, PresenceStatus, PresenceWire } from './messages.ts'
export type {
  FoundUser, OfflineReason, OnlineMember, PresenceCommand, PresenceDropReason, PresenceEvent, PresenceInput, PresenceOutput, PresenceTimer, Verdict,
} from './types.ts'
