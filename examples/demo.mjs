#!/usr/bin/env node
/**
 * `npx pnpm@10 demo`: a real Saorsa Gossip network on this machine. Ten nodes, each in its own
 * worker thread, talk over loopback TCP through the post-quantum channel (ML-KEM-768 + ML-DSA-65),
 * form a HyParView overlay watched by SWIM, and broadcast ML-DSA-65-signed messages with Plumtree.
 * Then two nodes crash and one hangs; the survivors detect both kinds of failure, repair the
 * overlay, and keep delivering. Prints a check line for every claim; exits 0 only if all held.
 * With `--dashboard [host:port]` (default 127.0.0.1:9465) it also serves the live topology page of
 * the ten nodes and, after the checks, keeps the network up until Ctrl-C so the page can be watched.
 */
import { Worker } from 'node:worker_threads'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serveDashboard, topologyOf } from '@saorsa-gossip/node'
import { STEPS } from './demo-steps/index.mjs'

const NODES = 10
const TOPIC = 'demo/news'
const started = performance.now()
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const failures = []
const check = (label, ok) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}`)
  if (!ok) failures.push(label)
}
async function until(probe, timeoutMs) {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (probe()) return true
    await sleep(50)
  }
  return probe()
}
const pct = (xs, p) => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}

// ---- nodes -------------------------------------------------------------------------------------
const nodes = []
const published = new Map() // index -> { at, from }
const deliveries = new Map() // index -> Map(node -> { at, hops })
function spawnNode(i) {
  const worker = new Worker(new URL('./demo-worker.mjs', import.meta.url))
  // `neighbours`: the current active view as announced by peer:up / peer:down events.
  const node = { i, worker, alive: true, peerId: '', addr: '', joined: false, neighbours: new Set(), down: new Map(), errors: [], status: undefined, stopped: false }
  worker.on('message', (m) => {
    switch (m.type) {
      case 'up': node.peerId = m.peerId; node.addr = m.addr; break
      case 'joined': node.joined = true; break
      case 'peer-up': node.neighbours.add(m.peer); break
      case 'peer-down': node.neighbours.delete(m.peer); node.down.set(m.peer, m.at); break
      case 'published': published.get(m.index).at = m.at; break
      case 'message': {
        let d = deliveries.get(m.index)
        if (d === undefined) deliveries.set(m.index, (d = new Map()))
        if (!d.has(i)) d.set(i, { at: m.at, hops: m.hops })
        break
      }
      case 'status': node.status = m.status; break
      case 'report': node.report = m.report; break
      case 'stopped': node.stopped = true; break
      case 'error': node.errors.push(`${m.command}: ${m.message}`); break
    }
  })
  worker.on('error', (err) => node.errors.push(String(err)))
  nodes.push(node)
  return node
}

console.log(`Saorsa Gossip demo: ${NODES} nodes on loopback TCP, post-quantum channel, signed broadcast\n`)
for (let i = 0; i < NODES; i++) spawnNode(i)

// ---- optional topology page --------------------------------------------------------------------
const dashboardFlag = process.argv.indexOf('--dashboard')
let dashboard
if (dashboardFlag !== -1) {
  const value = process.argv[dashboardFlag + 1]?.startsWith('--') === false ? process.argv[dashboardFlag + 1] : '127.0.0.1:9465'
  const cut = value.lastIndexOf(':')
  // Each poll asks every running worker for its views; a hung or crashed node does not answer and
  // appears only as its neighbours see it (suspect, then dead).
  dashboard = await serveDashboard(async () => {
    const asked = nodes.filter((n) => n.alive && !n.stopped)
    for (const n of asked) { n.report = undefined; n.worker.postMessage({ type: 'report' }) }
    await until(() => asked.every((n) => n.report !== undefined), 300)
    return topologyOf(asked.filter((n) => n.report !== undefined).map((n) => n.report), Date.now())
  }, value.slice(0, cut), Number(value.slice(cut + 1)))
  console.log(`topology page: ${dashboard.url}\n`)
}
const allUp = await until(() => nodes.every((n) => n.addr !== ''), 20_000)
check(`${NODES} nodes started, each with its own ML-DSA-65 identity (${elapsed()})`, allUp)
for (const n of nodes.slice(0, 3)) console.log(`       node ${n.i}  ${n.peerId.slice(0, 16)}  ${n.addr}`)
console.log('       ...')

// Node 0 is the bootstrap; the others join through it and one other earlier node.
console.log(`\nconnecting ${NODES - 1} nodes to bootstrap node 0...`)
for (const n of nodes.slice(1)) {
  const other = nodes[1 + Math.floor(Math.random() * Math.max(1, n.i - 1))]
  n.worker.postMessage({ type: 'join', addrs: [nodes[0].addr, ...(other !== undefined && other !== n ? [other.addr] : [])] })
}
const joined = await until(() => nodes.slice(1).every((n) => n.joined), 35_000)
await until(() => nodes.every((n) => n.neighbours.size >= 2), 5_000)
check(`every node joined the overlay (${elapsed()}); neighbours per node: ${nodes.map((n) => n.neighbours.size).join(' ')}`, joined)

// ---- broadcast ---------------------------------------------------------------------------------
for (const n of nodes) n.worker.postMessage({ type: 'subscribe', topic: TOPIC })
await sleep(500)
let nextIndex = 0
async function broadcastRound(label, senders, count, receivers) {
  const indices = []
  for (let k = 0; k < count; k++) {
    const index = nextIndex++
    const from = senders[k % senders.length]
    published.set(index, { at: undefined, from: from.i })
    from.worker.postMessage({ type: 'publish', topic: TOPIC, index })
    indices.push(index)
    await sleep(40)
    if (k % 10 === 9) summary(label, indices, receivers)
  }
  const expected = (index) => receivers.filter((r) => r.i !== published.get(index).from).length
  const done = () => indices.every((ix) => (deliveries.get(ix)?.size ?? 0) >= expected(ix) && published.get(ix).at !== undefined)
  await until(done, 10_000)
  return summary(label, indices, receivers, true)
}
function summary(label, indices, receivers, final = false) {
  let delivered = 0
  let expected = 0
  const latencies = []
  const hops = []
  for (const ix of indices) {
    const pub = published.get(ix)
    const got = deliveries.get(ix) ?? new Map()
    for (const r of receivers) {
      if (r.i === pub.from) continue
      expected++
      const d = got.get(r.i)
      if (d === undefined) continue
      delivered++
      hops.push(d.hops)
      if (pub.at !== undefined) latencies.push(Math.max(0, d.at - pub.at))
    }
  }
  const line = `  ${final ? '=>' : '..'} ${label}: ${indices.length} published, ${delivered}/${expected} delivered, ` +
    `latency p50 ${pct(latencies, 50).toFixed(1)} ms p95 ${pct(latencies, 95).toFixed(1)} ms, ` +
    `hops mean ${(hops.reduce((a, b) => a + b, 0) / Math.max(1, hops.length)).toFixed(2)} max ${Math.max(0, ...hops)}`
  console.log(line)
  return { delivered, expected }
}

console.log(`\nbroadcasting from 4 nodes (${elapsed()})`)
const round1 = await broadcastRound('round 1', nodes.slice(0, 4), 40, nodes)
check(`every message reached every other node (${round1.delivered}/${round1.expected})`, round1.delivered === round1.expected)
await reportRedundancy(nodes)

/** Plumtree redundancy from the nodes' own counters: duplicate payload copies per delivery (RMR). */
async function reportRedundancy(group) {
  for (const n of group) n.status = undefined
  for (const n of group) n.worker.postMessage({ type: 'status' })
  await until(() => group.every((n) => n.status !== undefined), 3_000)
  const sum = (k) => group.reduce((a, n) => a + (n.status?.[k] ?? 0), 0)
  const delivered = sum('delivered')
  const duplicates = sum('duplicates')
  console.log(`       redundancy so far: ${duplicates} duplicate payload copies for ${delivered} deliveries ` +
    `(RMR ${(duplicates / Math.max(1, delivered)).toFixed(2)}; ${sum('signatureChecks')} signature checks)`)
}

// ---- failure -----------------------------------------------------------------------------------
// Two nodes crash (their sockets close), one hangs (sockets stay open, nothing answers): the first
// kind is seen by the transport, the second only by SWIM's probes and suspicion.
// Victims: the best-connected nodes other than the bootstrap, so the failures hurt.
const byDegree = nodes.slice(1).sort((a, b) => b.neighbours.size - a.neighbours.size)
const crashed = byDegree.slice(0, 2)
const hung = byDegree[2]
const victims = [hung, ...crashed]
const survivors = nodes.filter((n) => !victims.includes(n))
const watchersOf = (vs) => survivors.flatMap((s) => vs.filter((v) => s.neighbours.has(v.peerId)).map((v) => ({ s, v })))
const detectedWithin = (pairs, since) => pairs.map(({ s, v }) => (s.down.get(v.peerId) ?? NaN) - since).filter(Number.isFinite)

console.log(`\ncrashing 2 nodes (${crashed.map((v) => v.peerId.slice(0, 8)).join(', ')}) and hanging 1 (${hung.peerId.slice(0, 8)}) (${elapsed()})`)
for (const s of survivors) s.down.clear()
const crashWatch = watchersOf(crashed)
const hangWatch = watchersOf([hung])
const crashedAt = performance.timeOrigin + performance.now()
for (const v of crashed) {
  v.alive = false
  await v.worker.terminate()
}
const crashSeen = await until(() => crashWatch.every(({ s, v }) => s.down.has(v.peerId)), 15_000)
check(`crash: all ${crashWatch.length} survivor links to the crashed nodes went down ` +
  `(within ${Math.max(0, ...detectedWithin(crashWatch, crashedAt)).toFixed(0)} ms)`, crashSeen)

// The node stays frozen past the deadline below (the process exit ends it), so it cannot come back
// and answer before every watcher decided. The deadline is SWIM's bound on the LOCAL preset: the
// hung node is probed within one round of at most 8 neighbours (8 s), the failed probe's period
// ends 1 s later, and a watcher that hears no other watcher's suspicion waits Lifeguard's maximum,
// 18 s (about a quarter of them do: the simulator's hang-20 scenario, 28 s at most on 20 seeds).
// 45 s leaves room for Lifeguard slowing a watcher's probing when its own event loop runs late.
hung.worker.postMessage({ type: 'freeze', ms: 60_000 })
const hungAt = performance.timeOrigin + performance.now()
const hangSeen = await until(() => hangWatch.every(({ s, v }) => s.down.has(v.peerId)), 45_000)
const hangMs = detectedWithin(hangWatch, hungAt)
for (const { s } of hangWatch.filter(({ s, v }) => !s.down.has(v.peerId))) console.log(`       node ${s.i} still lists it: neighbours ${s.neighbours.size}`)
check(`hang: SWIM probes declared the unresponsive node dead at all ${hangWatch.length} of its neighbours ` +
  `(after ${Math.min(...hangMs).toFixed(0)}-${Math.max(...hangMs).toFixed(0)} ms; its sockets never closed)`, hangSeen && hangWatch.length > 0)

// Repair: HyParView refills active views from the passive views; every survivor has neighbours again.
const repaired = await until(() => {
  for (const s of survivors) s.worker.postMessage({ type: 'status' })
  return survivors.every((s) => (s.status?.activePeers ?? 0) >= 1)
}, 10_000)
check(`overlay repaired: active neighbours per survivor ${survivors.map((s) => s.status?.activePeers ?? 0).join(' ')}`, repaired)

console.log(`\nbroadcasting from survivors (${elapsed()})`)
const round2 = await broadcastRound('round 2', survivors.slice(0, 4), 30, survivors)
check(`after the failures every message reached every survivor (${round2.delivered}/${round2.expected})`, round2.delivered === round2.expected)
await reportRedundancy(survivors)

// ---- shutdown ----------------------------------------------------------------------------------
if (dashboard !== undefined) {
  console.log(`\nthe network stays up for the topology page at ${dashboard.url}; Ctrl-C to finish`)
  await new Promise((resolve) => process.once('SIGINT', resolve))
  await dashboard.close()
}
for (const s of survivors) s.worker.postMessage({ type: 'stop' })
await until(() => survivors.every((s) => s.stopped), 5_000)
const errors = nodes.flatMap((n) => n.errors.map((e) => `node ${n.i}: ${e}`))
check('no node reported an error', errors.length === 0)
for (const e of errors.slice(0, 5)) console.log(`       ${e}`)
await Promise.all(survivors.map((s) => s.worker.terminate()))

// The upper layers, each on its own small network of nodes (./demo-steps/). The suite runs each step
// on its own (test/demo-steps.test.ts), so its run of this file sets SAORSA_DEMO_STEPS=0 to skip them.
for (const step of process.env.SAORSA_DEMO_STEPS === '0' ? [] : STEPS) {
  console.log(`\n${step.title} (${elapsed()})`)
  const home = await mkdtemp(join(tmpdir(), 'saorsa-demo-'))
  try {
    await step.run({ check, log: (line) => console.log(`       ${line}`), home })
  } catch (err) {
    check(`${step.title}: ran to the end (${err instanceof Error ? err.message : String(err)})`, false)
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

console.log(failures.length === 0 ? `\nall checks held (${elapsed()})` : `\n${failures.length} check(s) failed (${elapsed()})`)
process.exit(failures.length === 0 ? 0 : 1)
