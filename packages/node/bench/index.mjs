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
  const { stdout } = await run(process.execPath, args, { timeout: 180_000, maxBuffer: 1 << 20 })
  const line = stdout.trim().split('\n').pop()
  return JSON.parse(line)
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
  const satNodes = 20
  const satOurs = await measure('saorsa', satNodes, 'saturation', quick)
  const satTheirs = await measure('libp2p', satNodes, 'saturation', quick)

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
  lines.push(
    '',
    `Saturation (${satNodes} nodes, closed loop: 16 messages in flight, a message counts when every node has it; ${quick ? 3 : 6} s):`,
    '',
    '| stack | fully delivered msg/s | delivery | p50 ms | p99 ms | CPU s |',
    '|---|---|---|---|---|---|',
    ...[satOurs, satTheirs].map((r) => `| ${r.stack} | ${f(r.throughput, 1)} | ${(r.deliveryRatio * 100).toFixed(2)}% | ${f(r.p50)} | ${f(r.p99)} | ${f(r.cpuSeconds, 2)} |`),
    `| **saorsa / libp2p** | ${ratio(satOurs.throughput, satTheirs.throughput)} | | ${ratio(satOurs.p50, satTheirs.p50)} | ${ratio(satOurs.p99, satTheirs.p99)} | ${ratio(satOurs.cpuSeconds, satTheirs.cpuSeconds)} |`,
  )
  return lines.join('\n')
}

export { runBench as run }
