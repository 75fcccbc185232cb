/**
 * @packageDocumentation
 * Deterministic discrete-event simulator for sans-IO protocol cores (docs/architecture.md section 2):
 * thousands of cores in one process on virtual time, with seeded per-link latency, loss,
 * duplication, partitions, kill/restart, late joins and event-loop stalls.
 *
 * @example
 * ```ts
 * import { Simulator } from '@saorsa-gossip/simulator'
 * const sim = new Simulator<Msg, Timer, Command, Event>({ seed: 1, latencyMs: [10, 50] })
 * for (const id of ids) sim.addNode(id, makeCore(id, sim.forkRng(id.toHex())))
 * sim.command(ids[1]!, { type: 'join', contacts: [ids[0]!] })
 * sim.runUntil(() => everyoneHasNeighbours(), { timeoutMs: 30_000 })
 * console.log(JSON.stringify(sim.report()))
 * ```
 */
export { Simulator, yieldMacrotask } from './simulator.ts'
export type { SimulatorInit, EmittedEvent, SentMessage } from './simulator.ts'
export { EventHeap } from './heap.ts'
export type { Scheduled } from './heap.ts'
export { LinkLatency } from './latency.ts'
export { distribution } from './stats.ts'
export type { SimReport, Distribution } from './stats.ts'
export { checkOverlay, isHealthy } from './invariants.ts'
export type { Views, OverlayCheck } from './invariants.ts'
export { pathStats } from './paths.ts'
export type { PathStats } from './paths.ts'
export { simPeerId } from './ids.ts'
export { SCENARIOS, HyParViewNetwork, joinThroughOneContact, joinScenario, massKillScenario, churnScenario } from './scenarios/index.ts'
export type { JoinResult, MassKillResult, ChurnResult, HyParViewNetworkInit, HyParViewSim } from './scenarios/index.ts'
