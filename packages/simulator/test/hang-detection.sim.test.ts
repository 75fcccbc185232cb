/**
 * A hung node (connections open, nothing answers) on the demo's configuration: 20 nodes, LOCAL
 * presets, fixed seeds. Every neighbour must evict it by probing alone. Bound: the hung node is
 * probed within one round of at most activeViewMax = 8 members (8 s at 1 s per probe), the failed
 * probe's period ends 1 s later, and the suspicion lasts at most Lifeguard's maximum, 6 x the 3 s
 * minimum = 18 s: 27 s, plus room for members inserted into a round. SWIM watches only the active
 * view, so the other neighbours suspecting the same node are seldom members of each other and
 * their confirmations seldom arrive: about a quarter of the neighbours wait the whole maximum
 * (p90 23.2 s, max 28.1 s on these seeds), the rest the minimum. Counting a helper's nack as a
 * confirmation cut the tail to 15 s here but declared live members dead under 10% loss and under
 * event-loop stalls (swim.sim.test.ts), so the maximum stays.
 */
import { describe, expect, it } from 'vitest'
import { hangDetectionScenario } from '../src/scenarios/membership-hang.ts'

describe('hang detection on the demo configuration (20 nodes, LOCAL presets)', () => {
  it('has every neighbour evict a hung node within 30 s (half of them within 8 s) on 20 seeds, with no false deaths', async () => {
    const times: number[] = []
    let falseDeaths = 0
    for (let seed = 1; seed <= 20; seed++) {
      const r = await hangDetectionScenario({ seed })
      expect(r.watchers).toBeGreaterThanOrEqual(5)
      for (const t of r.evictedAfterMs) times.push(t ?? Number.POSITIVE_INFINITY)
      falseDeaths += r.falseDeaths
      // Let the worker's event loop breathe between seeds.
      await new Promise((resolve) => setImmediate(resolve))
    }
    times.sort((a, b) => a - b)
    const p50 = times[times.length >> 1]!
    const max = times[times.length - 1]!
    console.log(`hang detection: ${times.length} neighbours, p50 ${p50} ms, p90 ${times[Math.floor(times.length * 0.9)]} ms, max ${max} ms`)
    expect(max).toBeLessThanOrEqual(30_000)
    expect(p50).toBeLessThanOrEqual(8_000)
    expect(falseDeaths).toBe(0)
  })
})
