#!/usr/bin/env node
/**
 * One benchmark scenario in its own process (so CPU and memory figures belong to one stack):
 * `node scenario.mjs <stack> <nodes> <mode> [quick]`, stack `saorsa` or `libp2p`, mode `latency`
 * (200/N msg/s), `rate=<msg/s>` (the same open loop at a given rate, for the rate sweep),
 * `saturation` (closed loop) or `connections` (open connections per node for 45 s after readiness,
 * no publishing). Builds a random topology (each node links to `DEGREE` random earlier nodes), waits
 * for the overlay to form, publishes 1 KiB payloads from random nodes, and prints one JSON result
 * line. After the measured phase every mode but `connections` waits up to 40 s more and reports
 * which deliveries were still missing 10 s and 40 s later (`eventual`): slow is allowed, lost is not.
 */
import { wireBytes } from './wire-bytes.mjs'

const [stackName, nodesArg, mode = 'latency', quickArg] = process.argv.slice(2)
const N = Number(nodesArg)
const quick = quickArg === 'quick'
export const DEGREE = 4
const PAYLOAD_BYTES = 1024
// Publish rate scales with 1/N so every run asks the one process for the same ~200 deliveries per
// second (10 msg/s at 20 nodes, 4 at 50, 2 at 100): one process simulates every node on a shared
// 2-core machine, so the load must stay well below one core for either stack or the figures measure
// queueing in the simulation rather than the protocols (saturation has its own mode).
const fixedRate = mode.startsWith('rate=') ? Number(mode.slice(5)) : undefined
if (fixedRate !== undefined && !(fixedRate > 0)) throw new RangeError(`mode ${mode}: expected rate=<positive msg/s>`)
const RATE_PER_S = fixedRate ?? Math.max(1, Math.round(200 / N))
// Past one anti-entropy round of the LAN preset (30 s), the repair of last resort: a delivery still
// missing then was lost, not late. The run stops waiting as soon as nothing is missing.
const EVENTUAL_MS = 40_000
const EVENTUAL_FIRST_MS = 10_000
const PUBLISH_S = quick ? 4 : 10
const DRAIN_MS = 3000
const TOPIC = 'bench'

// Deterministic topology and publisher choice (mulberry32).
let seed = 0x5eed + N
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

let peakRss = 0
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 50)

const published = new Map() // index -> { t, delivered: Set, complete }
const WARMUP_BASE = 0xffff0000
const warmupDelivered = new Map() // warm-up index -> Set of receiving nodes
let duplicates = 0
const latencies = []
const onMessage = (node, payload) => {
  if (payload.length < 4) return
  const index = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0)
  if (index >= WARMUP_BASE) {
    warmupDelivered.get(index)?.add(node)
    return
  }
  const rec = published.get(index)
  if (rec === undefined) return
  if (rec.delivered.has(node)) {
    duplicates++
    return
  }
  rec.delivered.add(node)
  latencies.push(performance.now() - rec.t)
  if (rec.delivered.size === N - 1) rec.complete?.()
}

const stackModule = await import(stackName === 'libp2p' ? './libp2p-stack.mjs' : './saorsa-stack.mjs')
const setupStart = performance.now()
const stack = await stackModule.createStack({ count: N, topic: TOPIC, onMessage })
process.stderr.write(`started after ${Math.round(performance.now() - setupStart)} ms\n`)
for (let i = 1; i < N; i++) {
  const targets = new Set()
  const want = Math.min(i, DEGREE)
  while (targets.size < want) targets.add(Math.floor(rand() * i))
  // Joins wait for their first neighbour; in the connections mode one slow join (tens of seconds on
  // a loaded machine) must not hold up the rest, so joins start 100 ms apart and run concurrently.
  if (mode === 'connections') {
    void stack.link(i, [...targets])
    await sleep(100)
  } else await stack.link(i, [...targets])
}
process.stderr.write(`linked after ${Math.round(performance.now() - setupStart)} ms\n`)
const readyDeadline = performance.now() + 45_000
while (stack.readyCount() < N && performance.now() < readyDeadline) await sleep(100)
const ready = stack.readyCount()
process.stderr.write(`ready ${ready}/${N} after ${Math.round(performance.now() - setupStart)} ms\n`)
await sleep(2000) // let the overlay settle (two gossipsub heartbeats; HyParView shuffles)
const setupMs = performance.now() - setupStart
// Open connections per node: mean and max of all, and of those that go to no neighbour.
const connectionCensus = () => {
  const per = stack.connections?.()
  if (per === undefined || per.length === 0) return undefined
  const open = per.map((c) => c.open)
  const other = per.map((c) => Math.max(0, c.open - c.neighbours))
  const mean = (xs) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10
  return { mean: mean(open), max: Math.max(...open), nonNeighbourMean: mean(other), nonNeighbourMax: Math.max(...other) }
}
const connectionsAtReady = connectionCensus()
const readyAt = performance.now()
if (mode === 'connections') {
  // Open connections over the 45 s after readiness with nobody publishing: the overlay forms, then
  // the connections a node opened for short membership exchanges should close once idle.
  const samples = [{ sAfterReady: 0, ...connectionsAtReady }]
  for (let k = 1; k <= 9; k++) {
    await sleep(readyAt + k * 5000 - performance.now())
    samples.push({ sAfterReady: k * 5, ...connectionCensus() })
  }
  process.stdout.write(`${JSON.stringify({ stack: stackModule.name, nodes: N, mode, ready, setupMs: Math.round(setupMs), samples })}\n`)
  await Promise.race([stack.close(), sleep(5000)])
  process.exit(0)
}

let nextIndex = 0
let refused = 0
const publishOne = async () => {
  const index = nextIndex++
  const payload = new Uint8Array(PAYLOAD_BYTES)
  for (let k = 4; k < PAYLOAD_BYTES; k += 4) payload[k] = (index * 31 + k) & 0xff
  new DataView(payload.buffer).setUint32(0, index)
  const rec = { t: performance.now(), delivered: new Set(), complete: undefined }
  published.set(index, rec)
  const from = Math.floor(rand() * N)
  rec.delivered.add(from)
  try {
    await stack.publish(from, payload)
  } catch (err) {
    // A publish refused with back-pressure was never accepted: it is not a message to deliver.
    if (err?.name === 'PublishBackpressureError') {
      published.delete(index)
      refused++
    }
    throw err
  }
  return rec
}

// Warm-up, identical for both stacks and not measured: one message from every node, so the
// figures describe the steady state. (Plumtree prunes its tree on the first duplicates, and each
// link carries an origin's 1,952-byte ML-DSA public key with that origin's first message;
// gossipsub's mesh is already formed by the heartbeat and its Ed25519 keys ride in the peer id.)
for (let k = 0; k < N; k++) {
  const payload = new Uint8Array(PAYLOAD_BYTES)
  new DataView(payload.buffer).setUint32(0, WARMUP_BASE + k)
  warmupDelivered.set(WARMUP_BASE + k, new Set([k]))
  await stack.publish(k, payload).catch(() => {})
  await sleep(50)
}
// Wait until the warm-up has reached everyone (bounded), so what follows is the steady state.
const warmupDeadline = performance.now() + 60_000
const warmupDone = () => [...warmupDelivered.values()].every((set) => set.size === N)
while (!warmupDone() && performance.now() < warmupDeadline) await sleep(100)
// Then let the overlay finish forming: HyParView fills views towards 8 in 10 s maintenance rounds,
// and each new topic link starts with a 3.8 KiB anti-entropy sketch each way, which is formation
// cost, not idle cost (measured: up to 15 KB/s per node in the window where a 20-node overlay grows).
await sleep(12_000)
// Background traffic with nobody publishing (membership probes and gossip, heartbeats, anti-entropy),
// over 5 s: longer than one SWIM probe period and gossipsub heartbeat, shorter than the 30 s
// HyParView shuffle and anti-entropy periods, so those show up pro rata across nodes.
const IDLE_MS = 5000
const idleBytes0 = wireBytes()
await sleep(IDLE_MS)
const idleBytesPerNodePerS = (wireBytes() - idleBytes0) / (IDLE_MS / 1000) / N

const connectionsBeforePublish = { ...connectionCensus(), sAfterReady: Math.round((performance.now() - readyAt) / 1000) }
const churn0 = stack.churn?.() ?? 0
const swim0 = stack.swim?.()
const bytes0 = wireBytes()
const cpu0 = process.cpuUsage()
const t0 = performance.now()
if (mode === 'latency' || fixedRate !== undefined) {
  const interval = 1000 / RATE_PER_S
  for (let k = 0; k < RATE_PER_S * PUBLISH_S; k++) {
    const due = t0 + k * interval
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    void publishOne().catch(() => {})
  }
  const drainUntil = performance.now() + DRAIN_MS
  while (performance.now() < drainUntil && [...published.values()].some((r) => r.delivered.size < N)) await sleep(50)
} else {
  // Closed loop: WINDOW messages in flight; one completes when every node has it or after 2 s.
  const WINDOW = 16
  const until = t0 + (quick ? 3000 : 6000)
  const worker = async () => {
    while (performance.now() < until) {
      const rec = await publishOne().catch(() => undefined)
      // Refused (back-pressure) or failed: back off instead of spinning on the event loop.
      if (rec === undefined) {
        await sleep(20)
        continue
      }
      if (rec.delivered.size < N) {
        await new Promise((resolve) => {
          rec.complete = resolve
          setTimeout(resolve, 2000)
        })
      }
    }
  }
  await Promise.all(Array.from({ length: WINDOW }, worker))
}
const elapsedS = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
const bytes = wireBytes() - bytes0
const deliveries = [...published.values()].reduce((s, r) => s + r.delivered.size - 1, 0)
const expected = published.size * (N - 1)
// Not measured: how many of the deliveries still missing now arrive within EVENTUAL_MS (repair and
// anti-entropy at work), so a slow delivery is told apart from a lost one.
const eventualStart = performance.now()
const stillMissing = () => [...published.values()].reduce((s, r) => s + N - r.delivered.size, 0)
while (stillMissing() > 0 && performance.now() < eventualStart + EVENTUAL_FIRST_MS) await sleep(100)
const missingAfter10s = stillMissing()
while (stillMissing() > 0 && performance.now() < eventualStart + EVENTUAL_MS) await sleep(100)
const eventual = { missingAtEnd: expected - deliveries, missingAfter10s, missingAfter40s: stillMissing() }
clearInterval(sampler)
peakRss = Math.max(peakRss, process.memoryUsage().rss)

const complete = [...published.values()].filter((r) => r.delivered.size === N).length
latencies.sort((a, b) => a - b)
const pct = (p) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))])
const result = {
  stack: stackModule.name, nodes: N, mode, ready, setupMs: Math.round(setupMs),
  messages: published.size, refused, deliveries, expected, duplicates,
  deliveryRatio: expected === 0 ? 0 : deliveries / expected,
  eventual,
  p50: pct(50), p95: pct(95), p99: pct(99),
  bytesPerDelivery: deliveries === 0 ? NaN : bytes / deliveries,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMiB: peakRss / 2 ** 20,
  idleBytesPerNodePerS,
  throughput: complete / elapsedS,
  churn: (stack.churn?.() ?? 0) - churn0,
  swim: swim0 === undefined ? undefined : { suspected: stack.swim().suspected - swim0.suspected, dead: stack.swim().dead - swim0.dead },
  connectionsAtReady,
  connectionsBeforePublish,
  connectionsAtEnd: { ...connectionCensus(), sAfterReady: Math.round((performance.now() - readyAt) / 1000) },
  dropped: stack.dropped?.(),
}
process.stdout.write(`${JSON.stringify(result)}\n`)
await Promise.race([stack.close(), sleep(5000)])
process.exit(0)
