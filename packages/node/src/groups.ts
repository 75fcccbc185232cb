/**
 * The node's MLS groups (SPEC.md section 10): `@saorsa-gossip/groups` on the node's pubsub (group
 * topics behind validators) and direct messages (key packages, catch-up commits, Welcomes over bulk
 * streams, dialling a peer the node is not connected to). State lives in `<home>/groups/`, sealed
 * under a key derived from the node's identity; a node without a home keeps it in a temp directory
 * removed on stop, since a fresh identity could never reopen it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Identity } from '@saorsa-gossip/identity'
import {
  COMMIT_LOG_LAN, COMMIT_LOG_LOCAL, COMMIT_LOG_WAN, COMMITS_PROTOCOL, createGroups, GROUPS_PROTOCOL, groupsPubSub, groupsTransport,
  WELCOME_PROTOCOL, type Groups, type SuiteChoice,
} from '@saorsa-gossip/groups'
import type { PubSub } from '@saorsa-gossip/pubsub'
import type { PresetName } from './config/node-config.ts'
import type { DirectApi } from './direct.ts'

export interface NodeGroupsOptions {
  /** Suite of the groups this node creates: `'saorsa'` (default, post-quantum 0xF165) or a standard ts-mls suite name. */
  readonly suite?: SuiteChoice
}

/** Commit settle windows follow the node's timing preset: one machine, a LAN, or WAN round trips. */
const COMMIT_LOGS = { local: COMMIT_LOG_LOCAL, lan: COMMIT_LOG_LAN, wan: COMMIT_LOG_WAN } as const

/** The groups service and what `stop` must clean up after it. */
export interface NodeGroups {
  readonly groups: Groups
  stop(): Promise<void>
}

export async function createNodeGroups(parts: {
  readonly identity: Identity
  readonly pubsub: PubSub
  readonly direct: DirectApi
  readonly preset: PresetName
  /** `<home>/groups`; undefined for a node without a home. */
  readonly directory?: string
  readonly options: NodeGroupsOptions
}): Promise<NodeGroups> {
  const { direct } = parts
  const ephemeral = parts.directory === undefined ? await mkdtemp(join(tmpdir(), 'saorsa-gossip-groups-')) : undefined
  const transport = groupsTransport({
    handleDirect: (protocol, handler) => direct.handle(protocol, handler),
    handleStream: (protocol, handler) => direct.handleStream(protocol, handler),
    // The node dials a peer it has no connection to (direct.ts), so an invitee need not be a neighbour.
    connectionTo: (peer) => ({
      request: (protocol, message, options) => direct.request(peer, protocol, message, options),
      openStream: (protocol, options) => direct.openStream(peer, protocol, options),
    }),
  })
  const groups = createGroups(
    {
      directory: parts.directory ?? ephemeral!, commitLog: COMMIT_LOGS[parts.preset],
      ...(parts.options.suite === undefined ? {} : { suite: parts.options.suite }),
    },
    { identity: parts.identity, pubsub: groupsPubSub(parts.pubsub), transport },
  )
  return {
    groups,
    async stop() {
      await groups.stop()
      // The node's handler table outlives a stop; a later start registers a fresh service.
      for (const protocol of [GROUPS_PROTOCOL, WELCOME_PROTOCOL, COMMITS_PROTOCOL]) direct.unhandle(protocol)
      if (ephemeral !== undefined) await rm(ephemeral, { recursive: true, force: true })
    },
  }
}
