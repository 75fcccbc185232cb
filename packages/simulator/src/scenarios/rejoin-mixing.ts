/**
 * HyParView (DSN 2007) overlay quality scenarios: quick restarts that rejoin through the contact
 * they joined through seconds before (inside its JOIN rate limit), and the mixing of the active
 * graph after a join storm through one contact, measured as shortest-path lengths over time.
 */
import type { PeerId } from '@saorsa-gossip/types'
import { checkOverlay } from '../invariants.ts'
import type { OverlayCheck } from '../invariants.ts'
import { pathStats } from '../paths.ts'
import type { PathStats } from '../paths.ts'
import { joinThroughOneContact } from './hyparview-network.ts'
import type { HyParViewConfig } from '@saorsa-gossip/membership/proto'

export interface RestartRejoinResult {
  readonly scenario: 'restart-rejoin'
  readonly nodes: number
  readonly restarted: number
  /** Virtual ms from each restarted node's JOIN until its active view first held a peer (null: never). */
  readonly rejoinMs: ReadonlyArray<number | null>
  /** The overlay `observeMs` after the restarts. */
  readonly check: OverlayCheck
}

/**
 * N nodes join through node 0 within 1 s; at `killAtMs` `restarts` random nodes are killed, and
 * `downMs` later each restarts with empty views and joins through node 0 again (within node 0's
 * JOIN rate limit when `killAtMs + downMs` is below it). Watched for `observeMs` after the restarts.
 */
export async function restartRejoinScenario(options: {
  seed: number | string; nodes: number; restarts: number; killAtMs?: number; downMs?: number; observeMs?: number
  config?: HyParViewConfig
}): Promise<RestartRejoinResult> {
  const net = joinThroughOneContact({ seed: options.seed, nodes: options.nodes, ...(options.config ? { config: options.config } : {}) })
  const contact = net.sim.aliveIds()[0]!
  await net.sim.runForAsync(options.killAtMs ?? 3_000)
  const rng = net.sim.forkRng('restarts')
  const candidates = net.sim.aliveIds().filter((id) => !id.equals(contact))
  const victims: PeerId[] = []
  while (victims.length < options.restarts && candidates.length > 0) victims.push(candidates.splice(rng.nextInt(candidates.length), 1)[0]!)
  for (const id of victims) net.sim.kill(id)
  await net.sim.runForAsync(options.downMs ?? 2_500)
  const joinedAt = net.sim.now
  for (const id of victims) {
    net.restart(id)
    net.join(id, [contact])
  }
  const rejoinMs: Array<number | null> = victims.map(() => null)
  const observeMs = options.observeMs ?? 20_000
  while (net.sim.now - joinedAt < observeMs) {
    await net.sim.runForAsync(10)
    victims.forEach((id, i) => {
      if (rejoinMs[i] === null && net.core(id).activeView().length > 0) rejoinMs[i] = net.sim.now - joinedAt
    })
  }
  return { scenario: 'restart-rejoin', nodes: options.nodes, restarted: victims.length, rejoinMs, check: net.check() }
}

export interface MixingResult {
  readonly scenario: 'mixing'
  readonly nodes: number
  /** Path statistics of the active graph at each requested virtual time. */
  readonly samples: ReadonlyArray<{ readonly atMs: number; readonly meanDegree: number } & PathStats>
  readonly check: OverlayCheck
}

/** N nodes join through node 0 within 1 s; the active graph's path lengths are measured at `atMs`. */
export async function mixingScenario(options: {
  seed: number | string; nodes: number; atMs: readonly number[]; config?: HyParViewConfig; sources?: number
}): Promise<MixingResult> {
  const net = joinThroughOneContact({ seed: options.seed, nodes: options.nodes, ...(options.config ? { config: options.config } : {}) })
  const samples: Array<MixingResult['samples'][number]> = []
  for (const atMs of [...options.atMs].sort((a, b) => a - b)) {
    await net.sim.runForAsync(atMs - net.sim.now)
    const views = net.views()
    let degrees = 0
    for (const view of views.values()) degrees += view.length
    samples.push({ atMs, meanDegree: degrees / views.size, ...pathStats(views, options.sources ?? 50) })
  }
  return { scenario: 'mixing', nodes: options.nodes, samples, check: checkOverlay(net.views(), { minSize: 1, maxSize: net.config.activeViewMax }) }
}
