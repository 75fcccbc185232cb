/**
 * A partition that outlasts SWIM's failure detection, with the composite membership core and
 * HYPARVIEW_LAN: 1,000 nodes cut into two random halves of 500 for 60 s. Each half declares the
 * other dead and rebuilds its views alone; after the heal, reconnection to failed neighbours (after
 * Serf's reconnect, SPEC 6.2) joins the halves again.
 */
import { describe, it, expect } from 'vitest'
import { HYPARVIEW_LAN } from '@saorsa-gossip/membership/proto'
import { partitionHealScenario } from '../src/scenarios/membership-merge.ts'

const healthy = { components: 1, isolated: 0, asymmetricEdges: 0, danglingEdges: 0, outOfBounds: 0 }

/**
 * Bound: every node that lost a neighbour across the cut asks one of its due failed neighbours at
 * each merge tick (every 30 s). A failed neighbour asked in vain during the partition waits one,
 * then two intervals, so a node's next ask after the heal comes within two intervals, and with
 * hundreds of such nodes the first accepted ask (one bridge suffices) comes far sooner.
 */
const HEAL_BOUND_MS = 2 * HYPARVIEW_LAN.mergeIntervalMs + 1_000

describe('membership partition: 1,000 nodes cut in two halves for 60 s', () => {
  it.each([1, 2])('reconnect into one healthy component within two merge intervals of the heal (seed %d)', async (seed) => {
    const result = await partitionHealScenario({ seed, nodes: 1_000, warmupMs: 95_000, partitionMs: 60_000, observeMs: 120_000 })
    console.log(`membership partition 60 s seed ${seed}: ${JSON.stringify({ ...result, network: undefined })}`)
    expect(result.componentsAtHeal).toBe(2)
    expect(result.crossEdgesAtHeal).toBe(0)
    expect(result.oneComponentAfterMs).not.toBeNull()
    expect(result.oneComponentAfterMs!).toBeLessThanOrEqual(HEAL_BOUND_MS)
    expect(result.healthyAfterMs).not.toBeNull()
    expect(result.check).toMatchObject({ nodes: 1_000, ...healthy })
  }, 300_000)
})
