/**
 * Membership benchmark: SWIM + Lifeguard figures from the deterministic simulator (the scenarios of
 * packages/simulator/test/swim.sim.test.ts) and codec throughput. Simulated figures are virtual time
 * and do not depend on this machine; codec rates do (shared, noisy 2-core machine).
 */
import { performance } from 'node:perf_hooks'
import { PeerId } from '@saorsa-gossip/types'
import { decodeMembershipMessage, encodeMembershipMessage, SWIM_LAN } from '../dist/index.js'
import { HYPARVIEW_LAN } from '../dist/proto/index.js'
import { crashDetection, refutation, stallStudy, sustainedLoss } from '../../simulator/test/swim-scenarios.mjs'
import { concurrentJoinScenario, overlayMergeScenario } from '../../simulator/dist/scenarios/index.js'

const seeds = (k) => Array.from({ length: k }, (_, i) => i + 1)
const s = (ms) => (ms / 1000).toFixed(2)

function codecRate(message, ms) {
  const bytes = encodeMembershipMessage(message)
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) decodeMembershipMessage(encodeMembershipMessage(message))
    n += 100
  }
  return { size: bytes.length, perSecond: Math.round(n / ((performance.now() - start) / 1000)) }
}

export async function run({ quick = false } = {}) {
  const lines = ['### Membership (SWIM + Lifeguard)', '']
  lines.push(`LAN preset: probe ${SWIM_LAN.probeIntervalMs} ms, ack timeout ${SWIM_LAN.ackTimeoutMs} ms, helper nack after ${SWIM_LAN.nackTimeoutMs} ms, k = ${SWIM_LAN.indirectChecks}, ` +
    `gossip every ${SWIM_LAN.gossipIntervalMs} ms to ${SWIM_LAN.gossipFanout}; simulator latency 10-50 ms per link, every member knows every other.`, '')

  lines.push('| crash detection | trials | first suspicion p50 / max (s) | all live mark dead p50 / max (s) | suspicion max (s) | false deaths |')
  lines.push('|---|---|---|---|---|---|')
  for (const n of [16, 100]) {
    const r = await crashDetection({ n, seeds: seeds(quick ? 3 : n === 16 ? 12 : 6) })
    lines.push(`| N=${n} | ${r.trials} | ${s(r.firstSuspicionMs.p50)} / ${s(r.firstSuspicionMs.max)} | ${s(r.allDeadMs.p50)} / ${s(r.allDeadMs.max)} | ${s(r.suspicionMaxMs)} | ${r.falseDeaths} |`)
  }
  lines.push('')

  lines.push('| 10% symmetric loss | virtual minutes | suspicions raised (failed probes) | suspect events at all members | live members declared dead |')
  lines.push('|---|---|---|---|---|')
  for (const n of [16, 100]) {
    const r = await sustainedLoss({ n, seed: 42, lossRate: 0.1, durationMs: quick ? 60_000 : 600_000 })
    lines.push(`| N=${n} | ${r.minutes} | ${r.suspicionsRaised} | ${r.suspicionEvents} | ${r.falseDeaths} |`)
  }
  lines.push('')

  lines.push('| stalls of 2-5 s, 4 members taking turns, 5-15 s apart | seeds x episodes | false suspicions raised by the stalled member | true suspicions raised against it | running members suspecting each other | false deaths (of the stalled member) |')
  lines.push('|---|---|---|---|---|---|')
  for (const n of [16, 100]) {
    for (const lifeguard of [true, false]) {
      const seedCount = quick ? 1 : n === 16 ? 6 : 3
      const episodes = quick ? 20 : n === 16 ? 120 : 60
      const r = await stallStudy({ n, seeds: seeds(seedCount), episodes, lifeguard })
      lines.push(`| N=${n}, Lifeguard ${lifeguard ? 'on' : 'off'} | ${seedCount} x ${episodes} | ${r.byStalled} | ${r.againstStalled} | ${r.otherSuspicions} | ${r.falseDeaths} (${r.deathsOfStalled}) |`)
    }
  }
  lines.push('')
  lines.push('A false suspicion is one raised by the stalled member, during or right after its stall, about a member that was alive and answering (its own overdue timers ran before the acks queued behind them).')
  lines.push('')

  lines.push('| refutation of a planted suspicion | trials | probe periods until all see it alive, p50 / max |')
  lines.push('|---|---|---|')
  for (const n of [16, 100]) {
    const r = await refutation({ n, seeds: seeds(quick ? 2 : 5) })
    lines.push(`| N=${n} | ${r.trials} | ${r.roundsToAllAlive.p50.toFixed(2)} / ${r.roundsToAllAlive.max.toFixed(2)} |`)
  }
  lines.push('')

  const id = (n) => PeerId.fromBytes(new Uint8Array(32).fill(n))
  const full = { layer: 'swim', msg: { type: 'ping', seq: 123456, updates: Array.from({ length: 32 }, (_, i) => ({ peer: id(i), state: 'alive', incarnation: i, from: id(i + 1) })) } }
  const small = { layer: 'swim', msg: { type: 'ack', seq: 123456, updates: [] } }
  lines.push('| codec (encode + decode) | bytes | messages/s |')
  lines.push('|---|---|---|')
  for (const [name, message] of [['ack, no updates', small], ['ping, 32 updates', full]]) {
    const r = codecRate(message, quick ? 100 : 1000)
    lines.push(`| ${name} | ${r.size} | ${r.perSecond.toLocaleString('en-US')} |`)
  }
  lines.push('')
  lines.push('Method: SWIM cores on the deterministic simulator with fixed seeds (virtual time; stalls end with overdue timers before queued I/O, as in Node\'s event loop); codec rates are wall-clock on this shared machine.')
  lines.push('', ...(await mergeFigures({ quick })))
  return lines.join('\n')
}

/** The merge check of packages/simulator/test/membership-merge.sim.test.ts, as a table. */
export async function mergeFigures({ quick = false } = {}) {
  const lines = ['#### Overlays formed apart (HyParView contacts and merge check)', '',
    'Composite core, LAN preset (merge check every 30 s; the second ask of a contact has high priority, the others low), links 10-50 ms, 30 s of forming before the learning, 100 s in all.', '']
  lines.push('| scenario | seeds | components before | one component after (per seed) | bridge edges at the end | extra NEIGHBOR requests/node/min |')
  lines.push('|---|---|---|---|---|---|')
  const mergeSeeds = seeds(quick ? 1 : 4)
  const merges = []
  for (const seed of mergeSeeds) merges.push(await overlayMergeScenario({ seed, nodesPerOverlay: 500, formMs: 30_000, observeMs: 70_000 }))
  const baseline = await overlayMergeScenario({ seed: 1, nodesPerOverlay: 500, formMs: 30_000, observeMs: 70_000, hyparview: { ...HYPARVIEW_LAN, mergeIntervalMs: 0 } })
  const neighbors = (r) => r.network.perKind['hyparview:neighbor']?.count ?? 0
  const extraPerNodeMin = (neighbors(merges[0]) - neighbors(baseline)) / 1_000 / (100_000 / 60_000)
  lines.push(`| 2 x 500 joined apart, then one node of each learns the other | ${mergeSeeds.join(', ')} | ${merges.map((r) => r.componentsBefore).join(' / ')} | ` +
    `${merges.map((r) => (r.mergedAfterMs === null ? 'never' : `${s(r.mergedAfterMs)} s`)).join(' / ')} | ${merges.map((r) => r.bridgeEdges).join(' / ')} | ${extraPerNodeMin.toFixed(3)} |`)
  lines.push(`| the same without the merge check | 1 | ${baseline.componentsBefore} | ${baseline.mergedAfterMs === null ? 'never (100 s)' : `${s(baseline.mergedAfterMs)} s`} | ${baseline.bridgeEdges} | 0 |`)
  const joinSeeds = seeds(quick ? 2 : 6)
  const joins = []
  for (const seed of joinSeeds) joins.push(await concurrentJoinScenario({ seed, nodes: 100, contactsPerNode: 4, groups: [94, 6], runMs: 120_000 }))
  const splitJoin = await concurrentJoinScenario({ seed: 1, nodes: 100, contactsPerNode: 4, groups: [94, 6], runMs: 120_000, hyparview: { ...HYPARVIEW_LAN, mergeIntervalMs: 0 } })
  lines.push(`| 100 nodes join at once, 4 contacts each, first contacts in groups of 94 + 6 | ${joinSeeds.join(', ')} | ${joins.map((r) => r.firstContactGroups).join(' / ')} (first-contact groups) | ` +
    `${joins.map((r) => (r.oneComponentAtMs === null ? 'never' : `${s(r.oneComponentAtMs)} s`)).join(' / ')} (from the joins) | n/a | n/a |`)
  lines.push(`| the same without the merge check | 1 | ${splitJoin.firstContactGroups} | ${splitJoin.oneComponentAtMs === null ? `never (${splitJoin.check.components} components at 120 s)` : `${s(splitJoin.oneComponentAtMs)} s`} | n/a | 0 |`)
  lines.push('')
  lines.push('Virtual time with fixed seeds (packages/simulator/src/scenarios/membership-merge.ts; asserted in membership-merge.sim.test.ts). ' +
    'Extra NEIGHBOR requests: seed 1 against the same run without the merge check, over all 1,000 nodes and the whole 100 s.')
  return lines
}
