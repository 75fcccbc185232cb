/**
 * `saorsa-gossip dashboard`: a live topology page of the running node (its active and passive
 * views, SWIM states of the members it knows, message rate), served locally until Ctrl-C. Reads the
 * node through its control socket on every page poll, so it shows the node's current knowledge.
 */
import { controlRequest } from '../../control/client.ts'
import type { NodeStatus, PeerInfo } from '../../status.ts'
import { parseHostPort } from '@saorsa-gossip/transport'
import { serveDashboard } from '../../dashboard/server.ts'
import { topologyOf } from '../../dashboard/snapshot.ts'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'

export const DEFAULT_DASHBOARD_ADDRESS = '127.0.0.1:9465'

export const dashboardCommand: CommandSpec<CliContext> = {
  path: ['dashboard'],
  summary: 'Serve a live topology page of the running node on localhost',
  options: {
    http: { type: 'string', description: `address of the page (default ${DEFAULT_DASHBOARD_ADDRESS}; port 0 picks one)`, valueName: 'host:port' },
  },
  details: 'The page needs no network access beyond this server. Stop with Ctrl-C.',
  async run(ctx, { values }) {
    const value = (values.http as string | undefined) ?? DEFAULT_DASHBOARD_ADDRESS
    let at: { host: string; port: number }
    try {
      at = parseHostPort(`tcp://${value}`, 'tcp')
    } catch {
      throw new UsageError(`--http must be host:port, e.g. ${DEFAULT_DASHBOARD_ADDRESS}, got '${value}'`)
    }
    const socket = ctx.layout.controlSocket
    // Fails with "no node is running" (exit 3) before a page is served that could only show an error.
    await controlRequest(socket, 'status', {}, { signal: ctx.io.interrupt })
    const snapshot = async () => {
      const [status, peers] = await Promise.all([
        controlRequest(socket, 'status', {}, { signal: ctx.io.interrupt }) as Promise<NodeStatus>,
        controlRequest(socket, 'peers', {}, { signal: ctx.io.interrupt }) as Promise<PeerInfo[]>,
      ])
      return topologyOf([{ status, peers }], Date.now())
    }
    const server = await serveDashboard(snapshot, at.host, at.port)
    try {
      if (ctx.out.json) ctx.out.event('', { event: 'dashboard', url: server.url })
      else ctx.out.progress(`topology page at ${server.url} (Ctrl-C to stop)`)
      await new Promise<void>((resolve) => {
        if (ctx.io.interrupt.aborted) return resolve()
        ctx.io.interrupt.addEventListener('abort', () => resolve(), { once: true })
      })
    } finally {
      await server.close()
    }
    return EXIT.ok
  },
}
