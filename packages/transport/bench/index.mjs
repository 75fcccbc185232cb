/**
 * Transport benchmark: handshake time, round trip and throughput (1 KB, 64 KB, 1 MB messages) of the
 * secure channel over each carrier (tcp, mem, and wt when the package exports it), measured side by side
 * with plain node:tls (TLS 1.3, self-signed P-256 certificate) in the same process and run, plus 200
 * concurrent connections with memory per connection. Both ends run in this one process and event loop.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, connect } from 'node:tls'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import * as transport from '../dist/index.js'
import { xwingDecapsulate, xwingEncapsulate, xwingKeygen } from '../dist/channel/xwing.js'
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js'

const { createTransport, createTcpCarrier, createMemoryNetwork } = transport
/** The WebTransport carrier is an optional entry point; it is benchmarked when present. */
const wt = await import('../dist/webtransport/index.js').catch(() => undefined)

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc')

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
const fmt = (x, digits = 1) => (x === undefined ? 'n/a' : x.toFixed(digits))

function carriersFor(name) {
  if (name === 'tcp') return { a: createTcpCarrier(), b: createTcpCarrier(), addr: 'tcp://127.0.0.1:0' }
  if (name === 'mem') {
    const net = createMemoryNetwork()
    return { a: net.carrier(), b: net.carrier(), addr: `mem://bench-${Math.random().toString(36).slice(2)}` }
  }
  return { a: wt.createWebTransportCarrier(), b: wt.createWebTransportCarrier(), addr: 'wt://127.0.0.1:0' }
}

const ECHO = { name: '/bench/echo/1', streamClass: 'mship' }
const PUBSUB = { name: '/bench/pubsub/1', streamClass: 'pubsub' }
const BULK = { name: '/bench/bulk/1', maxBytes: 64 * 1024 * 1024 }

/**
 * Every client dials from one loopback address, a single source to the edge, whose per-source
 * handshake rate and connection cap (SPEC.md 5.7) would refuse most dials here: the servers lift
 * them, since these figures measure what a handshake and a connection cost.
 */
const UNLIMITED_EDGE = {
  maxPendingHandshakesPerSource: 256, handshakesPerSecondPerSource: 1000, handshakeBurstPerSource: 1000,
  handshakesPerSecond: 1000, handshakeBurst: 1000, maxConnectionsPerSource: 256,
}

/** A connected secure channel over one carrier: handshake and RTT measured at set-up, throughput per round. */
async function secureChannel(name, opts) {
  const { a, b, addr } = carriersFor(name)
  const server = createTransport({ identity: opts.serverId, carriers: [b], maxPendingHandshakes: 256, edge: UNLIMITED_EDGE })
  const client = createTransport({ identity: opts.clientId, carriers: [a] })
  const bound = await server.listen(addr)
  const handshakes = []
  for (let i = 0; i < opts.handshakes + 3; i++) {
    const t0 = performance.now()
    const conn = await client.dial(bound, { expectedPeer: server.peerId })
    if (i >= 3) handshakes.push(performance.now() - t0) // the first three warm up the JIT
    await conn.close()
  }
  const conn = await client.dial(bound, { expectedPeer: server.peerId })
  let onEcho
  server.handle(ECHO, (m, c) => { void c.send(ECHO, m) })
  client.handle(ECHO, () => onEcho())
  const rtts = []
  const probe = new Uint8Array(100)
  for (let i = 0; i < opts.rtts; i++) {
    const t0 = performance.now()
    await new Promise((resolve) => { onEcho = resolve; void conn.send(ECHO, probe) })
    rtts.push(performance.now() - t0)
  }
  return {
    handshake: median(handshakes),
    rtt: median(rtts) * 1000,
    /** MB/s for `total` bytes in messages of `size`: pubsub up to 64 KB, one bulk stream per message (4 in flight) above. */
    async throughput(size, total) {
      const bulk = size > 65_536
      const count = Math.ceil(total / size)
      let received = 0
      let done
      const finished = new Promise((resolve) => { done = resolve })
      const count1 = (n) => { received += n; if (received >= count * size) done() }
      if (bulk) server.handleStream(BULK, (stream) => { void (async () => { for await (const chunk of stream) count1(chunk.length) })() })
      else server.handle(PUBSUB, (m) => count1(m.length))
      const t0 = performance.now()
      const inFlight = new Set()
      for (let i = 0; i < count; i++) {
        if (bulk) {
          const p = conn.openStream(BULK).then(async (w) => { await w.write(new Uint8Array(size).fill(7)); await w.close() })
          inFlight.add(p)
          void p.then(() => inFlight.delete(p))
          if (inFlight.size >= 4) await Promise.race(inFlight)
        } else await conn.send(PUBSUB, new Uint8Array(size).fill(7))
      }
      await finished
      server.unhandle(bulk ? BULK : PUBSUB)
      return (count * size) / ((performance.now() - t0) / 1000) / 1e6
    },
    async close() {
      await client.close()
      await server.close()
      await a.close()
      await b.close()
    },
  }
}

function makeCert() {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'))
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }
  } catch {
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The same measurements over plain node:tls (TLS 1.3, default cipher choice). */
async function tlsBaseline(opts, pem) {
  let onData = () => {}
  const server = createServer({ key: pem.key, cert: pem.cert }, (socket) => {
    socket.setNoDelay(true)
    socket.on('data', (d) => onData(socket, d))
    socket.on('error', () => {})
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  const dial = () => new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: pem.cert, servername: 'localhost' }, () => resolve(s))
    s.on('error', reject)
  })
  const handshakes = []
  for (let i = 0; i < opts.handshakes + 3; i++) {
    const t0 = performance.now()
    const s = await dial()
    if (i >= 3) handshakes.push(performance.now() - t0)
    s.destroy()
  }
  const client = await dial()
  client.setNoDelay(true)
  onData = (socket, d) => socket.write(d)
  const rtts = []
  const probe = Buffer.alloc(100)
  for (let i = 0; i < opts.rtts; i++) {
    const t0 = performance.now()
    await new Promise((resolve) => {
      let got = 0
      const h = (d) => { got += d.length; if (got >= 100) { client.off('data', h); resolve() } }
      client.on('data', h)
      client.write(probe)
    })
    rtts.push(performance.now() - t0)
  }
  return {
    handshake: median(handshakes),
    rtt: median(rtts) * 1000,
    cipher: client.getCipher()?.name,
    async throughput(size, total) {
      const count = Math.ceil(total / size)
      let received = 0
      let done
      const finished = new Promise((resolve) => { done = resolve })
      onData = (_s, d) => { received += d.length; if (received >= count * size) done() }
      const t0 = performance.now()
      for (let i = 0; i < count; i++) {
        if (!client.write(Buffer.alloc(size, 7))) await new Promise((resolve) => client.once('drain', resolve))
      }
      await finished
      return (count * size) / ((performance.now() - t0) / 1000) / 1e6
    },
    async close() {
      client.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

async function concurrent(count) {
  const carrier = createTcpCarrier()
  const server = createTransport({ identity: Identity.generate(), carriers: [carrier], maxPendingHandshakes: 256, edge: UNLIMITED_EDGE })
  const addr = await server.listen('tcp://127.0.0.1:0')
  server.handle(ECHO, (m, c) => { void c.send(ECHO, m) })
  const clientIds = Array.from({ length: count }, () => Identity.generate())
  gc()
  const before = process.memoryUsage()
  const t0 = performance.now()
  const clients = clientIds.map((identity) => createTransport({ identity, carriers: [createTcpCarrier()] }))
  let echoed = 0
  const conns = await Promise.all(clients.map(async (client) => {
    const conn = await client.dial(addr, { expectedPeer: server.peerId })
    await new Promise((resolve) => { client.handle(ECHO, () => { echoed++; resolve() }); void conn.send(ECHO, new Uint8Array(64)) })
    return conn
  }))
  const elapsed = performance.now() - t0
  gc()
  const after = process.memoryUsage()
  const result = {
    connected: conns.length, echoed, elapsed, serverConnections: server.connections().length,
    heapPerConn: (after.heapUsed - before.heapUsed) / count / 1024,
    rssPerConn: (after.rss - before.rss) / count / 1024,
  }
  await Promise.all(clients.map((c) => c.close()))
  await server.close()
  await carrier.close()
  return result
}

/**
 * The handshake's KEM work (one keygen, one encapsulation, one decapsulation: what a handshake costs
 * both ends together) with our X-Wing (`channel/xwing.ts`: native X25519 and SHA-3, noble ML-KEM-768)
 * and with noble's `ml_kem768_x25519`; rounds interleave the two, ms per operation, median of rounds.
 */
function xwingComparison(rounds, perRound) {
  const impls = {
    ours: { keygen: () => xwingKeygen(), encapsulate: (pk) => xwingEncapsulate(pk), decapsulate: (ct, sk) => xwingDecapsulate(ct, sk) },
    noble: ml_kem768_x25519,
  }
  const samples = { ours: { keygen: [], encapsulate: [], decapsulate: [] }, noble: { keygen: [], encapsulate: [], decapsulate: [] } }
  for (let round = 0; round < rounds + 1; round++) {
    for (const [name, kem] of Object.entries(impls)) {
      const keys = kem.keygen()
      const { cipherText } = kem.encapsulate(keys.publicKey)
      const time = (f) => {
        const t0 = performance.now()
        for (let i = 0; i < perRound; i++) f()
        return (performance.now() - t0) / perRound
      }
      const k = time(() => kem.keygen())
      const e = time(() => kem.encapsulate(keys.publicKey))
      const d = time(() => kem.decapsulate(cipherText, keys.secretKey))
      if (round === 0) continue // JIT warm-up
      samples[name].keygen.push(k)
      samples[name].encapsulate.push(e)
      samples[name].decapsulate.push(d)
    }
  }
  const per = (name) => {
    const ops = Object.fromEntries(Object.entries(samples[name]).map(([op, xs]) => [op, median(xs)]))
    return { ...ops, total: ops.keygen + ops.encapsulate + ops.decapsulate }
  }
  return { ours: per('ours'), noble: per('noble') }
}

export async function run({ quick = false } = {}) {
  const backend = await loadMlDsa65Backend()
  const opts = {
    handshakes: quick ? 10 : 40,
    rtts: quick ? 100 : 1000,
    sizes: quick ? [[1024, 4e6], [65_536, 16e6], [1_048_576, 16e6]] : [[1024, 8e6], [65_536, 48e6], [1_048_576, 64e6]],
    rounds: quick ? 1 : 3,
    serverId: Identity.generate(),
    clientId: Identity.generate(),
  }
  const names = ['tcp', 'mem']
  if (typeof wt?.createWebTransportCarrier === 'function') names.push('wt')
  const pem = makeCert()
  const channels = {}
  for (const name of names) channels[name] = await secureChannel(name, opts)
  const tls = pem === undefined ? undefined : await tlsBaseline(opts, pem)
  // Throughput rounds interleave all carriers and TLS, so background load hits them alike; median of the rounds.
  const subjects = { ...channels, ...(tls ? { tls } : {}) }
  const samples = {}
  for (const [size, total] of opts.sizes) {
    for (let round = 0; round < opts.rounds; round++) {
      for (const [key, subject] of Object.entries(subjects)) {
        ;((samples[key] ??= {})[size] ??= []).push(await subject.throughput(size, total))
      }
    }
  }
  const summarise = (key) => ({
    handshake: subjects[key].handshake,
    rtt: subjects[key].rtt,
    throughput: Object.fromEntries(opts.sizes.map(([size]) => [size, median(samples[key][size])])),
  })
  const results = Object.fromEntries(names.map((n) => [n, summarise(n)]))
  const tlsResult = tls ? summarise('tls') : undefined
  for (const subject of Object.values(subjects)) await subject.close()
  const many = await concurrent(quick ? 50 : 200)
  const xwing = xwingComparison(quick ? 2 : 5, quick ? 10 : 40)

  const cols = [...names, ...(tls ? ['TLS 1.3 (node:tls)'] : [])]
  const all = [...names.map((n) => results[n]), ...(tlsResult ? [tlsResult] : [])]
  const ratio = (r, size) => (tlsResult ? ` (${(r.throughput[size] / tlsResult.throughput[size]).toFixed(2)}x)` : '')
  const lines = [
    '### @saorsa-gossip/transport',
    '',
    `Secure channel (X-Wing (ML-KEM-768 + X25519) + ML-DSA-65 handshake with the \`${backend.name}\` signature backend, ChaCha20-Poly1305 records) per carrier, next to plain TLS 1.3 over TCP (cipher ${tls?.cipher ?? 'n/a'}) in the same run. Ratios in brackets are throughput relative to TLS.`,
    '',
    `| metric | ${cols.join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    `| handshake p50 (ms) | ${all.map((r) => fmt(r.handshake, 2)).join(' | ')} |`,
    `| round trip p50, 100 B (µs) | ${all.map((r) => fmt(r.rtt, 0)).join(' | ')} |`,
    ...[[1024, '1 KB'], [65_536, '64 KB'], [1_048_576, '1 MB']].map(([size, label]) =>
      `| throughput ${label} messages (MB/s) | ${names.map((n) => `${fmt(results[n].throughput[size], 0)}${ratio(results[n], size)}`).join(' | ')}${tlsResult ? ` | ${fmt(tlsResult.throughput[size], 0)}` : ''} |`),
    '',
    `| ${many.connected} concurrent TCP connections (one process, both ends) | value |`,
    '|---|---|',
    `| handshaken and echoed | ${many.connected} / ${many.echoed} (server holds ${many.serverConnections}) |`,
    `| time to dial all and get every echo (ms) | ${fmt(many.elapsed, 0)} |`,
    `| heap per connection, both ends (KiB) | ${fmt(many.heapPerConn, 1)} |`,
    `| RSS per connection, both ends (KiB) | ${fmt(many.rssPerConn, 1)} |`,
    '',
    `Method: one process, both ends on one event loop; p50 of ${opts.handshakes} handshakes (fresh connection, \`expectedPeer\` set) and ${opts.rtts} echoed 100-byte mship messages; throughput (median of ${opts.rounds} interleaved rounds) sends ${opts.sizes.map(([s, t]) => `${t / 1e6} MB in ${s >= 1e6 ? '1 MB bulk streams (4 in flight)' : s === 1024 ? '1 KB pubsub messages' : '64 KB pubsub messages'}`).join(', ')} and stops the clock when the receiver has all bytes; TLS streams the same bytes with \`write\`/\`drain\`. Memory is the heap and RSS delta after GC around ${many.connected} client transports (each its own identity) connected to one server. The machine is shared and noisy: compare ratios within a run.`,
  ]
  const xwingRow = (label, op) => `| ${label} | ${fmt(xwing.ours[op], 2)} | ${fmt(xwing.noble[op], 2)} | ${(xwing.ours[op] / xwing.noble[op]).toFixed(2)}x |`
  lines.push(
    '',
    'Handshake KEM work, X-Wing (ML-KEM-768 + X25519): ours (`channel/xwing.ts`, X25519 and SHA-3 from node:crypto, ML-KEM-768 from @noble/post-quantum) against @noble/post-quantum\'s `ml_kem768_x25519` (all pure JS), byte-identical outputs; ms per operation, median of interleaved rounds.',
    '',
    '| operation (ms) | ours | noble | ours / noble |',
    '|---|---|---|---|',
    xwingRow('keygen (initiator)', 'keygen'),
    xwingRow('encapsulate (responder)', 'encapsulate'),
    xwingRow('decapsulate (initiator)', 'decapsulate'),
    xwingRow('per handshake, both ends', 'total'),
  )
  if (!tls) lines.push('', 'The TLS baseline was skipped: the openssl CLI is not available to create a certificate.')
  return lines.join('\n')
}
