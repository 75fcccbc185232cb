/**
 * The sans-IO surface of @saorsa-gossip/membership (docs/architecture.md section 2), exported as
 * `@saorsa-gossip/membership/proto` for the driver, the simulator and tests: the composite
 * `MembershipCore` (HyParView views watched by SWIM), the HyParView core (DSN 2007), the SWIM core
 * with Lifeguard, their wire messages, configuration presets and view helpers.
 */
export { HyParView } from './hyparview.ts'
export type {
  HyParViewInit, HyParViewTimer, HyParViewCommand, HyParViewEvent, HyParViewInput, HyParViewOutput, HyParViewDropReason,
} from './hyparview.ts'
export type {
  PeerInfo, HyParViewMessage, HyParViewMessageType, JoinMessage, ForwardJoinMessage, NeighborMessage,
  NeighborReplyMessage, ShuffleMessage, ShuffleReplyMessage, DisconnectMessage,
} from './hyparview-messages.ts'
export { HYPARVIEW_LAN, HYPARVIEW_WAN, HYPARVIEW_LOCAL, ACTIVE_REFRESH_INTERVAL_MS, validateHyParViewConfig } from './hyparview-config.ts'
export type { HyParViewConfig } from './hyparview-config.ts'
export { PeerSet } from './views.ts'
export { PassiveView } from './hyparview-passive.ts'
export { Swim } from './swim.ts'
export type { SwimCommand, SwimEvent, SwimTimer, SwimInput, SwimOutput, SwimMember } from './swim.ts'
export type { SwimMessage, SwimMessageType, SwimUpdate, SwimState, PingMessage, AckMessage, PingReqMessage, NackMessage, GossipMessage } from './swim-messages.ts'
export { SWIM_LAN, SWIM_WAN, SWIM_LOCAL, validateSwimConfig } from './swim-config.ts'
export type { SwimConfig } from './swim-config.ts'
export { suspicionMinTimeoutMs, suspicionTimeoutMs, remainingSuspicionMs, retransmitLimit } from './suspicion.ts'
export { applyHealthDelta, scaleByHealth, failedProbePenalty } from './awareness.ts'
export { LocalLag, LAG_HALF_LIFE_MS, type LagLimits } from './swim-lag.ts'
export { MembershipCore, DEAD_RETENTION_PROBE_PERIODS, MAX_RETAINED_DEAD } from './membership.ts'
export type {
  MembershipCoreInit, MembershipMessage, MembershipTimer, MembershipCommand, MembershipEvent, MembershipInput, MembershipOutput,
} from './membership.ts'
