/**
 * Named scenarios for the `saorsa-sim` CLI and the simulation tests: each name maps to a function
 * of the seed that resolves to a plain-JSON result. Scenarios are async only so that they hand the
 * event loop back while they run (`runForAsync`); their events and figures are those of `runFor`.
 */
import { churnScenario, joinScenario, massKillScenario } from './membership.ts'
import { compositeJoinScenario, compositeMassKillScenario } from './membership-composite.ts'
import { hangDetectionScenario } from './membership-hang.ts'
import { mixingScenario, restartRejoinScenario } from './rejoin-mixing.ts'

export { HyParViewNetwork, joinThroughOneContact, estimateHyParViewSize } from './hyparview-network.ts'
export type { HyParViewNetworkInit, HyParViewSim } from './hyparview-network.ts'
export { joinScenario, massKillScenario, churnScenario } from './membership.ts'
export type { JoinResult, MassKillResult, ChurnResult } from './membership.ts'
export { MembershipNetwork, membershipJoinThroughOneContact, estimateSwimSize } from './membership-network.ts'
export type { MembershipNetworkInit, MembershipSim } from './membership-network.ts'
export { compositeJoinScenario, compositeMassKillScenario } from './membership-composite.ts'
export { restartRejoinScenario, mixingScenario } from './rejoin-mixing.ts'
export type { RestartRejoinResult, MixingResult } from './rejoin-mixing.ts'
export type { CompositeJoinResult, CompositeMassKillResult } from './membership-composite.ts'
export { hangDetectionScenario } from './membership-hang.ts'
export type { HangDetectionResult } from './membership-hang.ts'
export { overlayMergeScenario, concurrentJoinScenario, partitionHealScenario } from './membership-merge.ts'
export type { OverlayMergeResult, ConcurrentJoinResult, PartitionHealResult } from './membership-merge.ts'

export const SCENARIOS: Readonly<Record<string, (seed: number) => Promise<unknown>>> = Object.freeze({
  'join-1000': (seed: number) => joinScenario({ seed, nodes: 1_000 }),
  'join-10000': (seed: number) => joinScenario({ seed, nodes: 10_000 }),
  'kill-50': (seed: number) => massKillScenario({ seed, nodes: 1_000, fraction: 0.5 }),
  'kill-80': (seed: number) => massKillScenario({ seed, nodes: 1_000, fraction: 0.8 }),
  'kill-95': (seed: number) => massKillScenario({ seed, nodes: 1_000, fraction: 0.95 }),
  'churn-1000': (seed: number) => churnScenario({ seed, nodes: 1_000, minutes: 30 }),
  'composite-join-1000': (seed: number) => compositeJoinScenario({ seed, nodes: 1_000 }),
  'hang-20': (seed: number) => hangDetectionScenario({ seed }),
  'composite-kill-50': (seed: number) => compositeMassKillScenario({ seed, nodes: 1_000, fraction: 0.5 }),
  'composite-kill-80': (seed: number) => compositeMassKillScenario({ seed, nodes: 1_000, fraction: 0.8 }),
  'restart-rejoin-100': (seed: number) => restartRejoinScenario({ seed, nodes: 1_000, restarts: 100 }),
  'mixing-1000': (seed: number) => mixingScenario({ seed, nodes: 1_000, atMs: [60_000, 150_000, 300_000] }),
  'composite-silent-kill-50': (seed: number) => compositeMassKillScenario({ seed, nodes: 1_000, fraction: 0.5, silent: true }),
})
