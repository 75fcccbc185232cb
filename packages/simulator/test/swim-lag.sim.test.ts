/**
 * SWIM with starved members on the simulator's overloaded-node model (`service-queue.ts`): their
 * timers fire on time while every message they receive waits in a queue, the case Lifeguard's
 * late-timer check cannot see. Their drivers report the queue's wait as 'local-lag' every 100 ms
 * (the membership service's LagMonitor default), which widens their SWIM timeouts. Asserted: the
 * honest-but-slow members declare nobody dead and are not declared dead, and a member that really
 * crashes is still declared dead by every live member within the bound the lag widening allows.
 */
import { describe, expect, it } from 'vitest'
import type { PeerId } from '@saorsa-gossip/types'
import { Swim, SWIM_LAN, suspicionMinTimeoutMs, type SwimCommand, type SwimMessage, type SwimTimer, type SwimEvent } from '@saorsa-gossip/membership/proto'
import { Simulator, simPeerId } from '../src/index.ts'

const N = 16
const SLOW = 4
/**
 * Virtual ms each received message costs a starved member. At 100 ms the queue stays under 1 s and
 * plain timeouts cope; from 120 ms on, without the lag input, the starved members' false suspicions
 * add gossip to their queues until the wait runs away (18-26 s) and hundreds of false deaths follow.
 */
const COST_MS = 135
const LAG_SAMPLE_MS = 100

interface Outcome {
  /** Deaths declared of members that never crashed. */
  falseDeaths: number
  /** Suspicions the starved members raised themselves about members that never crashed. */
  suspicionsBySlow: number
  /** Largest queue wait a starved member had (ms). */
  maxLagMs: number
  /** From the crash until the last live member marked the victim dead (ms); Infinity if one never did. */
  crashToAllDeadMs: number
}

async function starvedCluster(seed: number, reportLag: boolean): Promise<Outcome> {
  const sim = new Simulator<SwimMessage, SwimTimer, SwimCommand, SwimEvent>({ seed, latencyMs: [10, 50], kindOf: (m) => m.type })
  const ids = Array.from({ length: N }, (_, i) => simPeerId(i))
  const swims = new Map<string, Swim>()
  for (const id of ids) {
    const swim = new Swim(id, SWIM_LAN, sim.forkRng(id.toHex()))
    swims.set(id.toHex(), swim)
    sim.addNode(id, swim)
  }
  for (const id of ids) for (const other of ids) if (!other.equals(id)) sim.command(id, { type: 'add-member', peer: other })
  const slow = ids.slice(0, SLOW)
  const slowKeys = new Set(slow.map((id) => id.toHex()))
  for (const id of slow) sim.overload(id, (input) => (input.type === 'recv' ? COST_MS : 0))
  let maxLagMs = 0
  const sample = (): void => {
    for (const id of slow) {
      const lagMs = sim.serviceQueue(id)?.waitMs ?? 0
      maxLagMs = Math.max(maxLagMs, lagMs)
      if (reportLag && sim.isAlive(id)) sim.command(id, { type: 'local-lag', lagMs })
    }
    sim.at(sim.now + LAG_SAMPLE_MS, sample)
  }
  sim.at(LAG_SAMPLE_MS, sample)

  const victim = ids[N - 1]!
  let crashed = false
  let falseDeaths = 0
  let suspicionsBySlow = 0
  sim.on('emit', (e: { node: PeerId; event: SwimEvent }) => {
    const innocent = !(crashed && e.event.peer.equals(victim))
    if (e.event.type === 'member-dead' && innocent) falseDeaths++
    if (e.event.type === 'member-suspect' && innocent && e.event.by.equals(e.node) && slowKeys.has(e.node.toHex())) suspicionsBySlow++
  })
  await sim.runForAsync(120_000)
  crashed = true
  const crashAt = sim.now
  sim.kill(victim)
  const live = ids.filter((id) => !id.equals(victim))
  const allDead = (): boolean => live.every((id) => swims.get(id.toHex())!.member(victim)?.state === 'dead')
  await sim.runUntilAsync(allDead, { timeoutMs: 120_000, checkEveryMs: 50 })
  return { falseDeaths, suspicionsBySlow, maxLagMs, crashToAllDeadMs: allDead() ? sim.now - crashAt : Infinity }
}

describe('SWIM with starved members that report their lag', () => {
  it('declares no honest member dead, and a crashed member dead within the widened bound', async () => {
    const min = suspicionMinTimeoutMs(SWIM_LAN.suspicionAlpha, N, SWIM_LAN.probeIntervalMs)
    // The crash-detection bound of swim.sim.test.ts (longest Lifeguard suspicion plus 3 s), plus one
    // lag cap each for the period, the ack wait and the suspicion of a starved observer.
    const bound = min * SWIM_LAN.suspicionBeta + 3000 + 3 * SWIM_LAN.maxLagWideningMs
    // Measured (seeds 1-3): with the lag input, queue waits peak at 1.6-2.2 s, 0 false deaths, 0-1
    // false suspicions by the starved members, the crash seen dead by all in 6.9-9.3 s; without it,
    // 467-497 false deaths and 64-68 false suspicions per run.
    for (const seed of [1, 2, 3]) {
      const on = await starvedCluster(seed, true)
      const off = await starvedCluster(seed, false)
      expect(on.maxLagMs).toBeGreaterThan(SWIM_LAN.ackTimeoutMs)
      expect(on.falseDeaths).toBe(0)
      expect(on.crashToAllDeadMs).toBeLessThanOrEqual(bound)
      expect(on.suspicionsBySlow).toBeLessThanOrEqual(2)
      // The same load without the input: the scenario does starve SWIM.
      expect(off.falseDeaths).toBeGreaterThan(0)
      expect(off.suspicionsBySlow).toBeGreaterThan(10 * Math.max(1, on.suspicionsBySlow))
    }
  })
})
