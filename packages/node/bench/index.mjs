/**
 * Benchmark: Saorsa Gossip (createNode over TCP with the post-quantum channel and ML-DSA-65 origin
 * signatures) against js-libp2p + @chainsafe/libp2p-gossipsub on the same harness (scenario.mjs):
 * same node count, random topology, payload, publish rate, one process per run, loopback TCP, wire
 * bytes counted at the socket level for both. Run with `node scripts/bench.mjs node [--quick]`.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const scenario = fileURLToPath(new URL('./scenario.mjs', import.meta.url))

async function measure(stack, nodes, mode, quick) {
  const args = [scenario, stack, String(nodes), mode, ...(quick ? ['quick'] : [])]
  // A 100-node run's fixed waits (warm-up up to 60 s, 12 s, 5 s idle, 13 s measured, up to 40 s
  // eventual) already come to 130 s; overlay formation on one event loop has taken 20-115 s.
  const { stdout } = await run(process.execPath, args, { timeout: 330_000, maxBuffer: 1 << 20 })
  const line = stdout.trim().split('\n').pop()
  return JSON.parse(line)
}

/** Rates tried per node count, up to well past where either stack stops keeping up on this machine. */
const SWEEPS = [[20, [10, 20, 40, 60, 80]], [50, [3, 6, 10, 15, 20]]]

/** Whether a run kept up: every delivery made, none refused, p99 under 1 s. */
const keptUp = (r) => r.deliveryRatio === 1 && r.refused === 0 && r.p99 < 1000

/** Publishes at each rate in turn and stops after the first rate the stack does not keep up with. */
async function sweep(stack, nodes, rates, quick) {
  const runs = []
  for (const rate of rates) {
    const r = await measure(stack, nodes, `rate=${rate}`, quick)
    runs.push({ rate, ...r })
    if (!keptUp(r)) break
  }
  const best = runs.filter(keptUp).map((r) => r.rate)
  return { runs, highest: best.length === 0 ? 0 : Math.max(...best) }
}

const f = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a')
const ratio = (ours, theirs) => (Number.isFinite(ours) && Number.isFinite(theirs) && theirs > 0 ? `${(ours / theirs).toFixed(2)}x` : 'n/a')

export async function runBench({ quick = false } = {}) {
  const sizes = quick ? [20] : [20, 50, 100]
  const rows = []
  for (const nodes of sizes) {
    const ours = await measure('saorsa', nodes, 'latency', quick)
    const theirs = await measure('libp2p', nodes, 'latency', quick)
    rows.push({ nodes, ours, theirs })
  }
  const saturation = []
  for (const nodes of quick ? [20] : [20, 50, 100]) {
    saturation.push({ nodes, ours: await measure('saorsa', nodes, 'saturation', quick), theirs: await measure('libp2p', nodes, 'saturation', quick) })
  }
  const sweeps = []
  for (const [nodes, rates] of quick ? [[20, [20, 60]]] : SWEEPS) {
    sweeps.push({ nodes, ours: await sweep('saorsa', nodes, rates, quick), theirs: await sweep('libp2p', nodes, rates, quick) })
  }

  const lines = [
    '### Node: Saorsa Gossip vs js-libp2p gossipsub',
    '',
    `Same harness for both (bench/scenario.mjs): one process per run, N nodes on loopback TCP (each listening on its own 127.0.0.x), ` +
      'each node joins through up to 4 random earlier nodes, then one unmeasured warm-up message from every node, then 1 KiB payloads from random publishers ' +
      `at 200/N msg/s (the same ~200 deliveries per second for every N, well below one core for both stacks) for ${quick ? 4 : 10} s, plus up to 3 s to drain. ` +
      'Saorsa: createNode with the PQ channel (ML-KEM-768 + ML-DSA-65), HyParView + SWIM (LAN preset: 1 s probes, 500 ms ack timeout, because up to 100 nodes share one event loop), Plumtree, an ML-DSA-65 signature (3,309 bytes) on every message. ' +
      'libp2p 2.10.0 + @chainsafe/libp2p-gossipsub 14.1.2 with Noise, Yamux, StrictSign Ed25519, gossipsub defaults plus a fastMsgIdFn (duplicates dropped before verification, as our stack does) and the IP-colocation penalty off (every dial leaves from 127.0.0.1). "Ready" = nodes with at least one overlay/mesh neighbour before the warm-up. ' +
      'Wire bytes: everything written to every TCP socket of the process during the measured phase (control traffic included), divided by deliveries; "idle" is the same count over 5 s with nobody publishing, starting 12 s after every warm-up message reached every node (one HyParView maintenance round, so overlay formation is not counted: while a small overlay is still growing, each new topic link opens with a 3.8 KiB anti-entropy sketch each way). CPU and peak RSS are for the whole process. ' +
      'The machine is shared and noisy (2 cores): compare the ratios from the same run, not absolute figures.',
    '',
    '| nodes | stack | ready | delivery | p50 ms | p95 ms | p99 ms | wire bytes / delivery | idle bytes/s per node | CPU s | peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const { nodes, ours, theirs } of rows) {
    for (const r of [ours, theirs]) {
      lines.push(`| ${nodes} | ${r.stack} | ${r.ready}/${r.nodes} | ${(r.deliveryRatio * 100).toFixed(2)}% | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.bytesPerDelivery)} | ${f(r.idleBytesPerNodePerS)} | ${f(r.cpuSeconds, 2)} | ${f(r.peakRssMiB)} |`)
    }
    lines.push(`| ${nodes} | **saorsa / libp2p** | | | ${ratio(ours.p50, theirs.p50)} | ${ratio(ours.p95, theirs.p95)} | ${ratio(ours.p99, theirs.p99)} | ${ratio(ours.bytesPerDelivery, theirs.bytesPerDelivery)} | ${ratio(ours.idleBytesPerNodePerS, theirs.idleBytesPerNodePerS)} | ${ratio(ours.cpuSeconds, theirs.cpuSeconds)} | ${ratio(ours.peakRssMiB, theirs.peakRssMiB)} |`)
  }
  const missing = (r) => `${r.eventual.missingAtEnd} / ${r.eventual.missingAfter10s} / ${r.eventual.missingAfter40s ?? '-'}`
  lines.push(
    '',
    `Saturation (closed loop: 16 messages in flight, a message counts when every node has it, or after 2 s; ${quick ? 3 : 6} s). ` +
      '"Missing" is deliveries not made when the window closed / still not made 10 s / 40 s later:',
    '',
    '| nodes | stack | fully delivered msg/s | delivery | missing | p50 ms | p99 ms | wire bytes / delivery | CPU s | peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|',
  )
  for (const { nodes, ours, theirs } of saturation) {
    for (const r of [ours, theirs]) {
      lines.push(`| ${nodes} | ${r.stack} | ${f(r.throughput, 1)} | ${(r.deliveryRatio * 100).toFixed(2)}% | ${missing(r)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.bytesPerDelivery)} | ${f(r.cpuSeconds, 2)} | ${f(r.peakRssMiB)} |`)
    }
    lines.push(`| ${nodes} | **saorsa / libp2p** | ${ratio(ours.throughput, theirs.throughput)} | | | ${ratio(ours.p50, theirs.p50)} | ${ratio(ours.p99, theirs.p99)} | ${ratio(ours.bytesPerDelivery, theirs.bytesPerDelivery)} | ${ratio(ours.cpuSeconds, theirs.cpuSeconds)} | ${ratio(ours.peakRssMiB, theirs.peakRssMiB)} |`)
  }
  lines.push(
    '',
    `Rate sweep (open loop at a fixed rate for ${quick ? 4 : 10} s, up to 3 s to drain; each stack stops at the first rate it does not keep up with: ` +
      'every delivery made, no publish refused, p99 under 1 s):',
    '',
    '| nodes | stack | msg/s | delivery | refused | missing | p50 ms | p99 ms | wire bytes / delivery | CPU s |',
    '|---|---|---|---|---|---|---|---|---|---|',
  )
  for (const { nodes, ours, theirs } of sweeps) {
    for (const s of [ours, theirs]) {
      for (const r of s.runs) {
        lines.push(`| ${nodes} | ${r.stack} | ${r.rate} | ${(r.deliveryRatio * 100).toFixed(2)}% | ${r.refused} | ${missing(r)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.bytesPerDelivery)} | ${f(r.cpuSeconds, 2)} |`)
      }
    }
  }
  lines.push('', '| nodes | highest rate kept up, saorsa | libp2p | saorsa / libp2p |', '|---|---|---|---|')
  for (const { nodes, ours, theirs } of sweeps) lines.push(`| ${nodes} | ${ours.highest} | ${theirs.highest} | ${ratio(ours.highest, theirs.highest)} |`)
  return lines.join('\n')
}

export { runBench as run }
