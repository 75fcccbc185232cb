/**
 * Relay benchmark (docs/benchmarks.md, "Circuit relay"): three transports on loopback TCP in one
 * process, a relay with its byte and time budgets lifted, and a client reaching a reserved peer
 * through it. Handshake time, round trip and throughput of 64 KB messages, relayed next to direct.
 * Run: `node packages/transport/bench/relay.mjs` after a build (about 20 s).
 */
import { cpus, totalmem } from 'node:os'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createCircuitCarrier, createTcpCarrier, createTransport, formatCircuitAddress, RELAY_DEFAULTS, serveRelay } from '../dist/index.js'

await loadMlDsa65Backend()
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const PUBSUB = { name: '/bench/pubsub/1', streamClass: 'pubsub' }
const ECHO = { name: '/bench/echo/1', streamClass: 'mship' }
const MB = 32
const CHUNK = 64 * 1024

const relay = createTransport({ identity: Identity.generate(), maxPendingHandshakes: 256 })
const relayAddr = await relay.listen('tcp://127.0.0.1:0')
const service = serveRelay(relay, { ...RELAY_DEFAULTS, circuitBytesPerDirection: Number.MAX_SAFE_INTEGER, circuitDurationMs: 3_600_000 })
const ends = [0, 1].map(() => {
  const circuit = createCircuitCarrier()
  const t = createTransport({ identity: Identity.generate(), carriers: [createTcpCarrier(), circuit] })
  circuit.attach(t)
  return { t, circuit }
})
const [a, b] = ends
const direct = await b.t.listen('tcp://127.0.0.1:0')
const viaRelay = await b.t.listen(formatCircuitAddress({ relay: relay.peerId, target: b.t.peerId, relayAddr }))
let received = 0
let onBytes = () => {}
b.t.handle(PUBSUB, (m) => { received += m.length; onBytes() })
b.t.handle(ECHO, (m, c) => { void c.send(ECHO, m) })
let onEcho = () => {}
a.t.handle(ECHO, () => onEcho())

async function measure(addr) {
  const handshakes = []
  for (let i = 0; i < 13; i++) {
    const t0 = performance.now()
    const c = await a.t.dial(addr)
    if (i >= 3) handshakes.push(performance.now() - t0)
    await c.close()
  }
  const conn = await a.t.dial(addr)
  const rtts = []
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now()
    await new Promise((resolve) => { onEcho = resolve; void conn.send(ECHO, new Uint8Array(100)) })
    rtts.push((performance.now() - t0) * 1000)
  }
  const rounds = []
  for (let r = 0; r < 3; r++) {
    received = 0
    const total = MB * 1024 * 1024
    const done = new Promise((resolve) => { onBytes = () => { if (received >= total) resolve() } })
    const t0 = performance.now()
    for (let sent = 0; sent < total; sent += CHUNK) await conn.send(PUBSUB, new Uint8Array(CHUNK))
    await done
    rounds.push(total / 1e6 / ((performance.now() - t0) / 1000))
  }
  await conn.close()
  return { handshake: median(handshakes), rtt: median(rtts), mbps: median(rounds) }
}

const d = await measure(direct)
const r = await measure(viaRelay)
const cpu = cpus()
console.log(`| metric | direct TCP | through the relay |
|---|---|---|
| handshake p50 (ms) | ${d.handshake.toFixed(1)} | ${r.handshake.toFixed(1)} |
| round trip p50, 100 B (µs) | ${d.rtt.toFixed(0)} | ${r.rtt.toFixed(0)} |
| throughput 64 KB messages (MB/s) | ${d.mbps.toFixed(0)} | ${r.mbps.toFixed(0)} (${(r.mbps / d.mbps).toFixed(2)}x) |

relay forwarded ${(service.counters.bytesForwarded / 1e6).toFixed(0)} MB; ${cpu.length} x ${cpu[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`)
service.stop()
for (const e of ends) { await e.t.close(); await e.circuit.close() }
await relay.close()
