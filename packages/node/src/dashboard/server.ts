/**
 * The live topology page: a local HTTP server with one self-contained HTML page (no external
 * assets, no network beyond this server) that polls `/snapshot.json` once a second and redraws.
 */
import { createServer } from 'node:http'
import type { TopologySnapshot } from './snapshot.ts'
import { DASHBOARD_HTML } from './page.ts'

export interface DashboardServer {
  /** `http://host:port/` */
  readonly url: string
  close(): Promise<void>
}

/** Serves the page at `/` and `snapshot()` as JSON at `/snapshot.json` (port 0 picks one). */
export async function serveDashboard(snapshot: () => Promise<TopologySnapshot>, host: string, port: number): Promise<DashboardServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET') {
      res.writeHead(405).end()
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" }).end(DASHBOARD_HTML)
    } else if (path === '/snapshot.json') {
      snapshot().then((s) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(s))
      }, (err: unknown) => {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }))
      })
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => { server.off('error', reject); resolve() })
  })
  const bound = server.address() as { address: string; port: number }
  const shown = bound.address.includes(':') ? `[${bound.address}]` : bound.address
  return {
    url: `http://${shown}:${bound.port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
