import { describe, it, expect, afterEach } from 'vitest'
import { PassThrough } from 'node:stream'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { createNode, type SaorsaNode } from '../src/node.ts'
import { createMetrics, serveMetrics } from '../src/metrics.ts'
import { main } from '../src/cli/main.ts'
import type { CliIO } from '../src/cli/context.ts'
import { EXIT } from '../src/cli/exit-codes.ts'

// Prometheus metrics: the library registry over two in-memory nodes, and the daemon's --metrics
// endpoint scraped over HTTP (port 0, loopback).

const running: SaorsaNode[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** `name{labels} value` lines of a text exposition as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const cut = line.lastIndexOf(' ')
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)))
  }
  return out
}

describe('createMetrics', () => {
  it('serves deliveries, duplicates, views, SWIM states, handshakes and bytes in Prometheus text', async () => {
    const net = createMemoryNetwork()
    const [a, b] = [0, 1].map((i) => createNode({ carriers: [net.carrier()], listen: [`mem://m${i}`], preset: 'local' }))
    for (const n of [a!, b!]) {
      await n.start()
      running.push(n)
    }
    await b!.join(a!.listenAddrs())
    await until('neighbours', () => a!.status().activePeers === 1 && b!.status().activePeers === 1)
    const inbox = b!.subscribe('m')[Symbol.asyncIterator]()
    await a!.publish('m', new TextEncoder().encode('x'))
    await inbox.next()
    const server = await serveMetrics(createMetrics(b!), '127.0.0.1', 0)
    try {
      const res = await fetch(server.url)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      const text = await res.text()
      expect(text).toContain('# TYPE saorsa_gossip_deliveries_total counter')
      const s = samples(text)
      expect(s.get('saorsa_gossip_deliveries_total')).toBe(1)
      expect(s.get('saorsa_gossip_duplicates_total')).toBe(0)
      expect(s.get('saorsa_gossip_view_peers{view="active"}')).toBe(1)
      expect(s.get('saorsa_gossip_members{state="alive"}')).toBe(1)
      expect(s.get('saorsa_gossip_members{state="suspect"}')).toBe(0)
      // Both nodes may dial each other while joining, so one or two connections, each a handshake.
      expect(s.get('saorsa_gossip_connections')).toBeGreaterThanOrEqual(1)
      expect(s.get('saorsa_gossip_handshakes_total')).toBeGreaterThanOrEqual(s.get('saorsa_gossip_connections')!)
      expect(s.get('saorsa_gossip_handshake_failures_total')).toBe(0)
      expect(s.get('saorsa_gossip_transport_drops_total{reason="unknown-protocol"}')).toBe(0)
      expect(s.get('saorsa_gossip_received_bytes_total')).toBeGreaterThan(3309)
      // By class and protocol: the published message (a 3,309-byte signature) came in as pubsub frames,
      // membership talk as mship frames, and the frame bytes never exceed the record bytes.
      const pubsubIn = s.get('saorsa_gossip_frame_bytes_total{direction="received",class="pubsub",protocol="/saorsa/pubsub/1"}')
      expect(pubsubIn).toBeGreaterThan(3309)
      expect(s.get('saorsa_gossip_frames_total{direction="sent",class="mship",protocol="/saorsa/membership/1"}')).toBeGreaterThan(0)
      const framesIn = [...s].filter(([k]) => k.startsWith('saorsa_gossip_frame_bytes_total{direction="received"')).reduce((a, [, v]) => a + v, 0)
      expect(framesIn).toBeLessThanOrEqual(s.get('saorsa_gossip_received_bytes_total')!)
      expect([...s.keys()].some((k) => k.includes('(unknown)'))).toBe(false)
      expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404)
    } finally {
      await server.close()
    }
  })
})

describe('network join --metrics', () => {
  it('serves the scrape endpoint while the daemon runs, and exits 2 on a malformed address', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-metrics-'))
    dirs.push(home)
    const stdout = new PassThrough()
    let out = ''
    stdout.on('data', (d) => { out += d })
    const stop = new AbortController()
    const io: CliIO = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: { SAORSA_GOSSIP_PASSPHRASE: 'metrics test passphrase' }, interrupt: stop.signal }
    const daemon = main(['--home', home, '--json', 'network', 'join', '--bind', 'tcp://127.0.0.1:0', '--preset', 'local', '--metrics', '127.0.0.1:0'], io)
    try {
      await until('the metrics event', () => out.includes('"event":"metrics"'))
      const { url } = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: string; url: string }).find((e) => e.event === 'metrics')!
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
      const text = await (await fetch(url)).text()
      expect(samples(text).get('saorsa_gossip_view_peers{view="active"}')).toBe(0)
    } finally {
      stop.abort()
      expect(await daemon).toBe(EXIT.ok)
    }
    const err = new PassThrough()
    let errText = ''
    err.on('data', (d) => { errText += d })
    expect(await main(['--home', home, 'network', 'join', '--metrics', 'localhost'], { ...io, stderr: err, interrupt: new AbortController().signal })).toBe(EXIT.usage)
    expect(errText.split('\n')[0]).toBe("error: --metrics must be host:port, e.g. 127.0.0.1:9464, got 'localhost'")
  })
})
