/**
 * `runForAsync` / `runUntilAsync`: the same events in the same order as `runFor` / `runUntil`, and
 * a hand-back of the event loop at least once per slice of wall time, also when a scenario steps in
 * many short calls with slow checks in between.
 */
import { describe, expect, it } from 'vitest'
import { joinThroughOneContact } from '../src/scenarios/hyparview-network.ts'
import { isHealthy } from '../src/invariants.ts'

function busy(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) { /* a slow synchronous check */ }
}

describe('Simulator async runs', () => {
  it('process the same events as the synchronous runs even when they yield every 256 events', async () => {
    const sync = joinThroughOneContact({ seed: 5, nodes: 150 })
    const async = joinThroughOneContact({ seed: 5, nodes: 150 })
    const syncHealthy = sync.sim.runUntil(() => sync.sim.now > 1_000 && isHealthy(sync.check()), { timeoutMs: 20_000 })
    const asyncHealthy = await async.sim.runUntilAsync(() => async.sim.now > 1_000 && isHealthy(async.check()), { timeoutMs: 20_000, sliceMs: 0 })
    expect(asyncHealthy).toBe(syncHealthy)
    expect(async.sim.now).toBe(sync.sim.now)
    sync.sim.runFor(15_000)
    await async.sim.runForAsync(15_000, { sliceMs: 0 })
    expect(async.sim.traceHash()).toBe(sync.sim.traceHash())
    expect(async.sim.report()).toEqual(sync.sim.report())
  })

  it('hand the event loop back within a slice when a scenario steps in short calls with slow checks between them', async () => {
    const net = joinThroughOneContact({ seed: 6, nodes: 100 })
    let last = performance.now()
    let longestGap = 0
    const ticker = setInterval(() => {
      longestGap = Math.max(longestGap, performance.now() - last)
      last = performance.now()
    }, 5)
    try {
      // 40 steps of 25 ms of checks: one stretch of a second if only the time inside a call counted.
      for (let step = 0; step < 40; step++) {
        await net.sim.runForAsync(50, { sliceMs: 100 })
        busy(25)
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    } finally {
      clearInterval(ticker)
    }
    expect(longestGap).toBeGreaterThan(100)
    expect(longestGap).toBeLessThan(500)
  })
})
