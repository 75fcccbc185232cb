/**
 * Named HyParView scenarios from the reliability plan (section 3.3): a join storm through one
 * contact, a simultaneous mass kill, and steady churn. Each returns plain JSON (no wall-clock
 * figures) so two runs with the same seed can be diffed byte for byte.
 */
import { shuffled } from '@saorsa-gossip/types'
import { joinThroughOneContact } from './hyparview-network.ts'
import type { HyParViewNetwork } from './hyparview-network.ts'
import { isHealthy } from '../invariants.ts'
import type { OverlayCheck } from '../invariants.ts'
import type { SimReport } from '../stats.ts'

export interface JoinResult {
  readonly scenario: 'join'
  readonly nodes: number
  /** Virtual ms from the first join until the overlay was healthy, or null if it never was. */
  readonly healthyAtMs: number | null
  readonly check: OverlayCheck
  readonly passiveViewSizes: Readonly<Record<string, number>>
  readonly network: SimReport
}

/** N nodes join through node 0 within one second; then the overlay runs for `runMs` in total. */
export async function joinScenario(options: { seed: number | string; nodes: number; runMs?: number }): Promise<JoinResult> {
  const net = joinThroughOneContact({ seed: options.seed, nodes: options.nodes })
  const healthy = (): boolean => net.sim.now > 1_000 && isHealthy(net.check())
  const runMs = options.runMs ?? 60_000
  const ok = await net.sim.runUntilAsync(healthy, { timeoutMs: runMs, checkEveryMs: options.nodes > 2_000 ? 1_000 : 100 })
  const healthyAtMs = ok ? net.sim.now : null
  await net.sim.runForAsync(runMs - net.sim.now)
  return {
    scenario: 'join', nodes: options.nodes, healthyAtMs, check: net.check(),
    passiveViewSizes: histogram(net.sim.aliveIds().map((id) => net.core(id).passiveView().length)), network: net.sim.report(),
  }
}

export interface MassKillResult {
  readonly scenario: 'mass-kill'
  readonly nodes: number
  readonly killed: number
  /** Virtual ms after the kill until survivors formed one healthy component (symmetric, no isolated, no dead neighbour). */
  readonly connectedAfterMs: number | null
  /** Virtual ms after the kill until every survivor's active view held activeViewSize live peers. */
  readonly refilledAfterMs: number | null
  readonly check: OverlayCheck
  readonly network: SimReport
}

/**
 * Joins N nodes, lets passive views fill for `warmupMs` (three shuffle periods by default), then
 * kills `fraction` of them at once and watches for `observeMs`.
 */
export async function massKillScenario(options: {
  seed: number | string; nodes: number; fraction: number; warmupMs?: number; observeMs?: number
}): Promise<MassKillResult> {
  const net = joinThroughOneContact({ seed: options.seed, nodes: options.nodes })
  await net.sim.runForAsync(options.warmupMs ?? 90_000)
  const victims = shuffled(net.sim.forkRng('mass-kill'), net.sim.aliveIds()).slice(0, Math.round(options.nodes * options.fraction))
  const killedAt = net.sim.now
  for (const id of victims) net.sim.kill(id)
  let connectedAfterMs: number | null = null
  let refilledAfterMs: number | null = null
  const observeMs = options.observeMs ?? 60_000
  while (net.sim.now - killedAt < observeMs && (connectedAfterMs === null || refilledAfterMs === null)) {
    await net.sim.runForAsync(100)
    if (connectedAfterMs === null && isHealthy(net.check())) connectedAfterMs = net.sim.now - killedAt
    if (refilledAfterMs === null && net.refilled()) refilledAfterMs = net.sim.now - killedAt
  }
  return {
    scenario: 'mass-kill', nodes: options.nodes, killed: victims.length, connectedAfterMs, refilledAfterMs,
    check: net.check(), network: net.sim.report(),
  }
}

export interface ChurnResult {
  readonly scenario: 'churn'
  readonly nodes: number
  readonly minutes: number
  readonly left: number
  readonly joined: number
  readonly samples: number
  /** Largest number of isolated nodes seen in any sample (nodes that joined at least 5 s earlier). */
  readonly maxIsolated: number
  /** Largest number of connected components seen in any sample. */
  readonly maxComponents: number
  readonly check: OverlayCheck
  readonly network: SimReport
}

/**
 * After a warm-up, `rate` of the nodes leave and as many new ones join per virtual minute, at
 * seeded random moments: half of the leavers crash, half leave gracefully. Newcomers join through
 * a random live node. The overlay is sampled every `sampleEveryMs`.
 */
export async function churnScenario(options: {
  seed: number | string; nodes: number; minutes: number; rate?: number; warmupMs?: number; sampleEveryMs?: number
}): Promise<ChurnResult> {
  const net = joinThroughOneContact({ seed: options.seed, nodes: options.nodes })
  await net.sim.runForAsync(options.warmupMs ?? 90_000)
  const rng = net.sim.forkRng('churn')
  const perMinute = Math.round(options.nodes * (options.rate ?? 0.05))
  const sampleEvery = options.sampleEveryMs ?? 5_000
  let left = 0
  let joined = 0
  let samples = 0
  let maxIsolated = 0
  let maxComponents = 0
  for (let minute = 0; minute < options.minutes; minute++) {
    const start = net.sim.now
    for (let k = 0; k < perMinute; k++) {
      net.sim.at(start + rng.nextInt(60_000), () => {
        const alive = net.sim.aliveIds()
        const leaver = alive[rng.nextInt(alive.length)]!
        if (rng.nextInt(2) === 0) net.sim.kill(leaver)
        else {
          // The leave is handled first (same virtual ms, earlier sequence), then the process exits.
          net.sim.command(leaver, { type: 'leave' })
          net.sim.at(net.sim.now, () => net.sim.kill(leaver))
        }
        left++
      })
      net.sim.at(start + rng.nextInt(60_000), () => {
        const alive = net.sim.aliveIds()
        const contact = alive[rng.nextInt(alive.length)]!
        net.join(net.addNode(), [contact])
        joined++
      })
    }
    for (let t = 0; t < 60_000; t += sampleEvery) {
      await net.sim.runForAsync(sampleEvery)
      const check = net.check(5_000)
      samples++
      maxIsolated = Math.max(maxIsolated, check.isolated)
      maxComponents = Math.max(maxComponents, check.components)
    }
  }
  // The final check waits one second more, so a reply or DISCONNECT still in flight (a one-sided edge for
  // one link latency) is not counted as an asymmetry; the churn events all fell inside the minutes.
  await net.sim.runForAsync(1_000)
  return {
    scenario: 'churn', nodes: options.nodes, minutes: options.minutes, left, joined, samples, maxIsolated, maxComponents,
    check: net.check(), network: net.sim.report(),
  }
}


function histogram(values: readonly number[]): Record<string, number> {
  const counts = new Map<number, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  const out: Record<string, number> = {}
  for (const k of [...counts.keys()].sort((a, b) => a - b)) out[String(k)] = counts.get(k)!
  return out
}
