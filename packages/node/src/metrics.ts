/**
 * Prometheus metrics of a node (prom-client): a registry the application can mount, filled at scrape
 * time from the node's own counters, and a tiny HTTP endpoint for the daemon (`--metrics`). Names
 * follow the Prometheus conventions: `saorsa_gossip_` prefix, `_total` on counters, units as suffixes.
 * RMR (relative message redundancy) is `duplicates_total / deliveries_total` over any window.
 */
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Registry } from 'prom-client'
import type { SaorsaNode } from './node.ts'

export interface MetricsInit {
  /** Register into this registry (e.g. the application's own); default a fresh one. */
  registry?: Registry
  /** Label added to every series, e.g. `{ node: 'a' }` when one process runs several nodes. */
  labels?: Record<string, string>
}

export interface NodeMetrics {
  readonly registry: Registry
  /** The text exposition format (what `/metrics` serves). */
  text(): Promise<string>
}

const SWIM_STATES = ['alive', 'suspect', 'dead'] as const

/** A registry whose series are read from `node` on every scrape (no per-message cost). */
export function createMetrics(node: SaorsaNode, init: MetricsInit = {}): NodeMetrics {
  const registry = init.registry ?? new Registry()
  if (init.labels !== undefined) registry.setDefaultLabels(init.labels)
  const registers = [registry]
  // A counter whose value is a running total kept by the node: reset then set on each collect.
  const total = (name: string, help: string, read: () => number) => new Counter({
    name, help, registers,
    collect() {
      this.reset()
      this.inc(read())
    },
  })
  const byLabel = (name: string, help: string, label: string, read: () => Record<string, number>, kind: 'counter' | 'gauge') => {
    const Metric = kind === 'counter' ? Counter : Gauge
    return new Metric({
      name, help, labelNames: [label], registers,
      collect() {
        this.reset()
        for (const [value, n] of Object.entries(read())) (this as Counter<string>).inc({ [label]: value }, n)
      },
    })
  }
  total('saorsa_gossip_messages_published_total', 'Messages this node published.', () => node.status().published)
  total('saorsa_gossip_deliveries_total', 'Messages delivered to this node\'s subscribers (first copies).', () => node.status().delivered)
  total('saorsa_gossip_duplicates_total', 'Duplicate message copies received; RMR = duplicates_total / deliveries_total.', () => node.status().duplicates)
  total('saorsa_gossip_signature_checks_total', 'ML-DSA-65 origin signature verifications.', () => node.status().signatureChecks)
  byLabel('saorsa_gossip_pubsub_drops_total', 'Pubsub messages dropped, by reason.', 'reason', () => node.status().dropped, 'counter')
  byLabel('saorsa_gossip_transport_drops_total', 'Transport frames dropped, by reason.', 'reason', () => node.networkStats().drops, 'counter')
  total('saorsa_gossip_handshakes_total', 'Post-quantum handshakes completed (both directions).', () => node.networkStats().handshakes)
  total('saorsa_gossip_handshake_failures_total', 'Inbound handshakes that failed (bad input or timeout).', () => node.networkStats().failedHandshakes)
  total('saorsa_gossip_refused_connections_total', 'Inbound connections refused at the connection or pending-handshake cap.', () => node.networkStats().refusedPipes)
  total('saorsa_gossip_sent_bytes_total', 'Encrypted record bytes sent over every connection.', () => node.networkStats().bytesSent)
  total('saorsa_gossip_received_bytes_total', 'Encrypted record bytes received over every connection.', () => node.networkStats().bytesReceived)
  // Frame bytes and counts by direction, stream class and protocol; series are bounded by the transport
  // (MAX_TRAFFIC_SERIES), and a name no local code uses is reported as '(unknown)'.
  const trafficLabels = ['direction', 'class', 'protocol'] as const
  for (const [name, help, field] of [
    ['saorsa_gossip_frame_bytes_total', 'Frame bytes (headers included, record overhead excluded) by direction, stream class and protocol.', 'bytes'],
    ['saorsa_gossip_frames_total', 'Frames by direction, stream class and protocol.', 'frames'],
  ] as const) {
    new Counter({
      name, help, labelNames: trafficLabels, registers,
      collect() {
        this.reset()
        for (const e of node.networkStats().traffic) this.inc({ direction: e.direction, class: e.class, protocol: e.protocol }, e[field])
      },
    })
  }
  new Gauge({
    name: 'saorsa_gossip_connections', help: 'Open authenticated connections.', registers,
    collect() {
      this.set(node.networkStats().connections)
    },
  })
  byLabel('saorsa_gossip_view_peers', 'HyParView view sizes (active, passive).', 'view', () => {
    const s = node.status()
    return { active: s.activePeers, passive: s.passivePeers }
  }, 'gauge')
  byLabel('saorsa_gossip_members', 'Members known to SWIM, by state.', 'state', () => {
    const counts: Record<string, number> = Object.fromEntries(SWIM_STATES.map((s) => [s, 0]))
    for (const p of node.peers()) if (p.health !== undefined) counts[p.health] = (counts[p.health] ?? 0) + 1
    return counts
  }, 'gauge')
  return { registry, text: () => registry.metrics() }
}

export interface MetricsServer {
  /** `http://host:port/metrics` */
  readonly url: string
  close(): Promise<void>
}

/** Serves `GET /metrics` on `host:port` (port 0 picks one). Anything else is 404. */
export async function serveMetrics(metrics: NodeMetrics, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end()
      return
    }
    metrics.text().then((body) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body)
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => { server.off('error', reject); resolve() })
  })
  const bound = server.address() as { address: string; port: number }
  const shown = bound.address.includes(':') ? `[${bound.address}]` : bound.address
  return {
    url: `http://${shown}:${bound.port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
