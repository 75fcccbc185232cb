/**
 * `saorsa-gossip dashboard`: a live topology page of the running node (its active and passive
 * views, SWIM states of the members it knows, its topics' eager trees, the coordinators and groups
 * it knows, message rate), served locally until Ctrl-C. Reads the
 * node through its control socket on every page poll, so it shows the node's current knowledge.
 */
import { controlRequest } from '../../control/client.ts'
import type { NodeStatus, PeerInfo, TopicTree } from '../../status.ts'
import { parseHostPort } from '@saorsa-gossip/transport'
import { serveDashboard } from '../../dashboard/server.ts'
import { topologyOf, type SnapshotCoordinator, type SnapshotGroup } from '../../dashboard/snapshot.ts'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'

export const DEFAULT_DASHBOARD_ADDRESS = '127.0.0.1:9465'
/** The page lists what fits beside the graph; a node may cache hundreds of adverts. */
const MAX_PAGE_COORDINATORS = 32
const MAX_PAGE_GROUPS = 16

/** The node's groups with their members (one `groups.members` call per group, at most MAX_PAGE_GROUPS). */
async function groupsOf(ask: <T>(method: string, params?: Record<string, unknown>) => Promise<T>): Promise<SnapshotGroup[]> {
  const groups = (await ask<Array<{ groupId: string; epoch: number }>>('groups.list')).slice(0, MAX_PAGE_GROUPS)
  return Promise.all(groups.map(async (g) => ({
    groupId: g.groupId, epoch: g.epoch,
    members: (await ask<Array<{ peerId: string }>>('groups.members', { group: g.groupId })).map((m) => m.peerId),
  })))
}

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
    const ask = <T>(method: string, params: Record<string, unknown> = {}) =>
      controlRequest(socket, method, params, { signal: ctx.io.interrupt }) as Promise<T>
    const snapshot = async () => {
      const [status, peers, trees, coordinators, groups] = await Promise.all([
        ask<NodeStatus>('status'), ask<PeerInfo[]>('peers'), ask<TopicTree[]>('pubsub.trees'),
        ask<SnapshotCoordinator[]>('coordinator.list', { limit: MAX_PAGE_COORDINATORS }), groupsOf(ask),
      ])
      return topologyOf([{ status, peers, trees, coordinators, groups }], Date.now())
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
