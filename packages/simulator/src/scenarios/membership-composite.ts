/**
 * Scenarios of the reliability plan (section 3.3) run with the composite membership core (HyParView
 * watched by SWIM): a join storm through one contact and a simultaneous mass kill, the latter either
 * with connection timeouts or as a silent failure that only SWIM can detect. Results are plain JSON
 * without wall-clock figures, so two runs with the same seed can be diffed byte for byte.
 */
import type { SwimConfig } from '@saorsa-gossip/membership/proto'
import { shuffled } from '@saorsa-gossip/types'
import { isHealthy } from '../invariants.ts'
import type { OverlayCheck } from '../invariants.ts'
import type { SimReport } from '../stats.ts'
import { membershipJoinThroughOneContact } from './membership-network.ts'
import type { MembershipNetwork } from './membership-network.ts'

export interface CompositeJoinResult {
  readonly scenario: 'composite-join'
  readonly nodes: number
  /** Virtual ms from the first join until the overlay was healthy, or null if it never was. */
  readonly healthyAtMs: number | null
  readonly check: OverlayCheck
  /** SWIM `member-dead` events about nodes that were alive (false positives) over the whole run. */
  readonly falseDeaths: number
  readonly network: SimReport
}

/** N nodes join through node 0 within one second; the overlay then runs for `runMs` in total. */
export async function compositeJoinScenario(options: { seed: number | string; nodes: number; runMs?: number }): Promise<CompositeJoinResult> {
  const net = membershipJoinThroughOneContact({ seed: options.seed, nodes: options.nodes })
  const falseDeaths = countFalseDeaths(net)
  const healthy = (): boolean => net.sim.now > 1_000 && isHealthy(net.check())
  const runMs = options.runMs ?? 60_000
  const ok = await net.sim.runUntilAsync(healthy, { timeoutMs: runMs, checkEveryMs: 100 })
  const healthyAtMs = ok ? net.sim.now : null
  await net.sim.runForAsync(runMs - net.sim.now)
  return { scenario: 'composite-join', nodes: options.nodes, healthyAtMs, check: net.check(), falseDeaths: falseDeaths(), network: net.sim.report() }
}

export interface CompositeMassKillResult {
  readonly scenario: 'composite-mass-kill'
  readonly nodes: number
  readonly killed: number
  /** True when killed nodes' connections never time out, so only SWIM can notice them. */
  readonly silent: boolean
  /** Virtual ms after the kill until no survivor held a dead peer in its active view. */
  readonly deadNeighboursGoneAfterMs: number | null
  /** Virtual ms after the kill until survivors formed one healthy component. */
  readonly connectedAfterMs: number | null
  /** Virtual ms after the kill until every survivor's active view held activeViewSize live peers. */
  readonly refilledAfterMs: number | null
  /** SWIM `member-dead` events about survivors (false positives) after the kill. */
  readonly falseDeaths: number
  readonly check: OverlayCheck
  readonly network: SimReport
}

/**
 * Joins N nodes, lets passive views fill for `warmupMs` (three shuffle periods by default), kills
 * `fraction` of them at once and watches for `observeMs`. With `silent`, the killed nodes'
 * connections do not time out: no peer-down and no failed dials, only silence. `swim` replaces
 * the SWIM_LAN configuration (for example to compare Lifeguard off).
 */
export async function compositeMassKillScenario(options: {
  seed: number | string; nodes: number; fraction: number; silent?: boolean; warmupMs?: number; observeMs?: number; swim?: SwimConfig
}): Promise<CompositeMassKillResult> {
  const silent = options.silent ?? false
  const net = membershipJoinThroughOneContact({
    seed: options.seed, nodes: options.nodes, ...(silent ? { connectionTimeoutMs: null } : {}),
    ...(options.swim === undefined ? {} : { swim: options.swim }),
  })
  await net.sim.runForAsync(options.warmupMs ?? 90_000)
  const victims = shuffled(net.sim.forkRng('mass-kill'), net.sim.aliveIds()).slice(0, Math.round(options.nodes * options.fraction))
  const killedAt = net.sim.now
  for (const id of victims) net.sim.kill(id)
  const falseDeaths = countFalseDeaths(net)
  let goneAfterMs: number | null = null
  let connectedAfterMs: number | null = null
  let refilledAfterMs: number | null = null
  const observeMs = options.observeMs ?? 60_000
  while (net.sim.now - killedAt < observeMs && (goneAfterMs === null || connectedAfterMs === null || refilledAfterMs === null)) {
    await net.sim.runForAsync(100)
    const elapsed = net.sim.now - killedAt
    if (goneAfterMs === null && net.deadNeighbours() === 0) goneAfterMs = elapsed
    if (connectedAfterMs === null && isHealthy(net.check())) connectedAfterMs = elapsed
    if (refilledAfterMs === null && net.refilled()) refilledAfterMs = elapsed
  }
  return {
    scenario: 'composite-mass-kill', nodes: options.nodes, killed: victims.length, silent,
    deadNeighboursGoneAfterMs: goneAfterMs, connectedAfterMs, refilledAfterMs, falseDeaths: falseDeaths(),
    check: net.check(), network: net.sim.report(),
  }
}

/** Counts, from now on, SWIM deaths declared about nodes that are alive at that moment. */
function countFalseDeaths(net: MembershipNetwork): () => number {
  let count = 0
  net.sim.on('emit', (e) => {
    if (e.event.type === 'member-dead' && net.sim.isAlive(e.event.peer)) count++
  })
  return () => count
}
