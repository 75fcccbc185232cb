/**
 * Simulator benchmark: wall time and processed events per second for HyParView overlays of
 * 1,000 and 10,000 nodes (join through one contact, 60 virtual seconds), plus the mass-kill
 * and churn figures of the reliability plan. Virtual-time results are deterministic per seed.
 */
import { joinScenario, massKillScenario, churnScenario } from '../dist/index.js'
import { compositeMassKillScenario } from '../dist/scenarios/index.js'
import { SWIM_LAN } from '@saorsa-gossip/membership/proto'

const timed = async (fn) => {
  const start = performance.now()
  const result = await fn()
  return { result, wallMs: performance.now() - start }
}
/** One after another, so each scenario's wall time is its own. */
const inTurn = async (items, fn) => {
  const out = []
  for (const item of items) out.push(await fn(item))
  return out
}
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const sec = (ms) => (ms === null ? 'not reached' : `${(ms / 1000).toFixed(1)} s`)

export async function run({ quick }) {
  const sizes = quick ? [200, 1_000] : [1_000, 10_000]
  const joinRows = await inTurn(sizes, async (nodes) => {
    const { result, wallMs } = await timed(() => joinScenario({ seed: 1, nodes, runMs: 60_000 }))
    const events = result.network.processedEvents
    return `| ${fmt(nodes)} | ${sec(result.healthyAtMs)} | ${result.check.components} | ${result.check.isolated} | ` +
      `${result.check.asymmetricEdges} | ${(wallMs / 1000).toFixed(1)} s | ${fmt(events)} | ${fmt(events / (wallMs / 1000))} | ` +
      `${result.network.perNodePerSecond.messages.mean.toFixed(2)} | ${fmt(result.network.perNodePerSecond.bytes.mean)} |`
  })
  const killNodes = quick ? 300 : 1_000
  const killRows = await inTurn([0.5, 0.8, 0.95], async (fraction) => {
    const { result, wallMs } = await timed(() => massKillScenario({ seed: 1, nodes: killNodes, fraction, observeMs: 60_000 }))
    return `| ${Math.round(fraction * 100)}% of ${fmt(killNodes)} | ${sec(result.connectedAfterMs)} | ${sec(result.refilledAfterMs)} | ` +
      `${result.check.components} | ${result.check.isolated} | ${(wallMs / 1000).toFixed(1)} s |`
  })
  // Composite core (HyParView watched by SWIM): the same kills, and a silent kill only SWIM can notice.
  const compositeSeeds = quick ? [1] : [1, 2, 3]
  const compositeCases = [
    { label: '50%, connection timeout', fraction: 0.5, observeMs: 30_000 },
    { label: '80%, connection timeout', fraction: 0.8, observeMs: 40_000 },
    { label: '50%, silent, Lifeguard on', fraction: 0.5, silent: true, observeMs: 160_000 },
    { label: '50%, silent, Lifeguard off', fraction: 0.5, silent: true, observeMs: 60_000, swim: { ...SWIM_LAN, lifeguard: false } },
  ]
  const compositeRows = await inTurn(compositeCases, async ({ label, ...scenario }) => {
    const runs = await inTurn(compositeSeeds, (seed) => timed(() => compositeMassKillScenario({ seed, nodes: killNodes, ...scenario })))
    const list = (pick) => runs.map((r) => sec(pick(r.result))).join(' / ')
    const wall = runs.reduce((s, r) => s + r.wallMs, 0)
    return `| ${label} | ${list((r) => r.deadNeighboursGoneAfterMs)} | ${list((r) => r.refilledAfterMs)} | ` +
      `${runs.reduce((s, r) => s + r.result.falseDeaths, 0)} | ${(wall / 1000).toFixed(1)} s |`
  })
  const churnMinutes = quick ? 3 : 10
  const churn = await timed(() => churnScenario({ seed: 1, nodes: killNodes, minutes: churnMinutes }))
  return `### Simulator: HyParView overlays (packages/simulator)

Join storm through one contact (all joins within the first second), 60 virtual seconds, seed 1,
links 10-50 ms, LAN preset (active 8/12, passive 64/128, shuffle 30 s).

| nodes | healthy after | components | isolated | asymmetric edges | wall time | events | events/s | msgs/node/s | bytes/node/s (estimated) |
|---|---|---|---|---|---|---|---|---|---|
${joinRows.join('\n')}

Mass kill after a 90 s warm-up; failure is noticed through a 2 s connection timeout (peer-down), not SWIM.
"Connected" = survivors form one component, symmetric views, nobody isolated, no dead neighbour;
"refilled" = every survivor holds min(8, survivors - 1) live active peers.

| killed | connected after | refilled after | components at 60 s | isolated at 60 s | wall time |
|---|---|---|---|---|---|
${killRows.join('\n')}

Composite membership core (HyParView watched by SWIM with the LAN preset), ${fmt(killNodes)} nodes, the same
warm-up, seeds ${compositeSeeds.join(', ')}. "Silent": killed nodes' connections never time out, so only SWIM's
probes find them.

| killed | dead neighbours gone after (per seed) | refilled after (per seed) | false deaths | wall time |
|---|---|---|---|---|
${compositeRows.join('\n')}

Churn: ${fmt(killNodes)} nodes, 5% leave (half crash, half leave gracefully) and 5% join per virtual minute for
${churnMinutes} minutes, sampled every 5 s: ${churn.result.samples} samples, at most ${churn.result.maxIsolated} isolated nodes and
${churn.result.maxComponents} component(s) in any sample; ${(churn.wallMs / 1000).toFixed(1)} s wall.

Method: one process, \`node scripts/bench.mjs simulator\`; wall times on a shared, noisy 2-core machine
(virtual-time figures are exact and reproducible with \`npx pnpm@10 sim <scenario> --seed 1\`).`
}
