/**
 * Overlays that form apart, with the composite membership core and HYPARVIEW_LAN: two overlays of
 * 500 joined separately merge once one node of each learns of the other, and 100 nodes that join at
 * once with several contacts each end up in one overlay although their first contacts alone would
 * split them (as 94 + 6 nodes did on loopback before contacts were kept). With the merge check off
 * the same seeds never become one overlay, so the check is what joins them. Groups can still meet
 * without it (an isolated node redials all its contacts): of seeds 1-12, five ended with fewer
 * components than first-contact groups, none with one.
 */
import { describe, it, expect } from 'vitest'
import { HYPARVIEW_LAN } from '@saorsa-gossip/membership/proto'
import { concurrentJoinScenario, overlayMergeScenario } from '../src/scenarios/membership-merge.ts'

const healthy = { components: 1, isolated: 0, asymmetricEdges: 0, danglingEdges: 0, outOfBounds: 0 }
const NO_MERGE = { ...HYPARVIEW_LAN, mergeIntervalMs: 0 }

/**
 * Bound: each learner's next merge tick comes within 30 s and asks the contact it learned first
 * (the least probed one). A contact whose view is full (12) refuses that low-priority ask; the next
 * tick asks again with high priority, which is always accepted. Two ticks and a round trip.
 */
const MERGE_BOUND_MS = 2 * HYPARVIEW_LAN.mergeIntervalMs + 1_000

describe('membership merge: two overlays of 500 formed apart', () => {
  it.each([1, 2, 3, 4])('merge into one healthy component within two merge ticks of one node of each learning the other (seed %d)', async (seed) => {
    // 10 s past the merge: the views settle (a swap leaves an edge one-sided for a link latency).
    const result = await overlayMergeScenario({ seed, nodesPerOverlay: 500, formMs: 30_000, observeMs: 70_000, settleMs: 10_000 })
    expect(result.componentsBefore).toBe(2)
    expect(result.mergedAfterMs).not.toBeNull()
    expect(result.mergedAfterMs!).toBeLessThanOrEqual(MERGE_BOUND_MS)
    expect(result.bridgeEdges).toBeGreaterThanOrEqual(1)
    expect(result.check).toMatchObject({ nodes: 1_000, ...healthy })
  }, 300_000)

  it('stay apart without the merge check (100 + 100 nodes)', async () => {
    const result = await overlayMergeScenario({ seed: 1, nodesPerOverlay: 100, formMs: 30_000, observeMs: 70_000, hyparview: NO_MERGE })
    expect(result.mergedAfterMs).toBeNull()
    expect(result.check.components).toBe(2)
  }, 120_000)
})

describe('membership merge: 100 nodes joining at once with four contacts each', () => {
  // The first contact is drawn from the node's group (94 + 6); the other three from everyone.
  const scenario = (seed: number, hyparview = HYPARVIEW_LAN) => concurrentJoinScenario({
    seed, nodes: 100, contactsPerNode: 4, groups: [94, 6], runMs: 120_000, sampleAtMs: [30_000, 60_000, 90_000, 120_000], hyparview,
  })

  it.each([1, 2, 3, 4, 5, 6])('form one overlay within two merge ticks and stay one (seed %d)', async (seed) => {
    const result = await scenario(seed)
    expect(result.firstContactGroups).toBeGreaterThanOrEqual(2)
    expect(result.oneComponentAtMs).not.toBeNull()
    expect(result.oneComponentAtMs!).toBeLessThanOrEqual(MERGE_BOUND_MS)
    for (const sample of result.componentsAt.filter((s) => s.atMs >= MERGE_BOUND_MS)) expect(sample.components).toBe(1)
    expect(result.check).toMatchObject({ nodes: 100, ...healthy })
  }, 60_000)

  it.each([1, 2, 3, 4, 5, 6])('never form one overlay without the merge check (seed %d)', async (seed) => {
    const result = await scenario(seed, NO_MERGE)
    expect(result.firstContactGroups).toBeGreaterThanOrEqual(2)
    expect(result.oneComponentAtMs).toBeNull()
    for (const sample of result.componentsAt) expect(sample.components).toBeGreaterThanOrEqual(2)
  }, 60_000)
})
