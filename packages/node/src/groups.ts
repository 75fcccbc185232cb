/**
 * The node's MLS groups (SPEC.md section 10): `@saorsa-gossip/groups` on the node's pubsub (group
 * topics behind validators) and direct messages (key packages, catch-up commits, Welcomes over bulk
 * streams, dialling a peer the node is not connected to, found through its key-package record on
 * rendezvous when the node knows no address for it). State lives in `<home>/groups/`, sealed
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
import type { Rendezvous } from '@saorsa-gossip/rendezvous'
import type { AbortOptions } from '@saorsa-gossip/types'
import type { PresetName } from './config/node-config.ts'
import type { DirectApi, DirectMessaging } from './direct.ts'
import { provideKeyPackageRecord, rendezvousRoute } from './groups-rendezvous.ts'

export interface NodeGroupsOptions {
  /** Suite of the groups this node creates: `'saorsa'` (default, post-quantum 0xF165) or a standard ts-mls suite name. */
  readonly suite?: SuiteChoice
  /**
   * Provide this node's key-package record on rendezvous (SPEC.md 10.3), so a peer that knows only
   * its PeerId can invite it (default true). The record tells anyone who asks that this PeerId runs
   * and where; a node that must not say so sets false and hands out key packages by hand.
   */
  readonly provideKeyPackages?: boolean
}

/** Commit settle windows follow the node's timing preset: one machine, a LAN, or WAN round trips. */
const COMMIT_LOGS = { local: COMMIT_LOG_LOCAL, lan: COMMIT_LOG_LAN, wan: COMMIT_LOG_WAN } as const

/** The groups service and what `stop` must clean up after it. */
export interface NodeGroups {
  readonly groups: Groups
  /** Starts the service, then provides the key-package record (unless turned off). */
  start(options?: AbortOptions): Promise<void>
  stop(): Promise<void>
}

export async function createNodeGroups(parts: {
  readonly identity: Identity
  readonly pubsub: PubSub
  readonly direct: DirectApi & Pick<DirectMessaging, 'reach'>
  /** Where the key-package record is provided and an unreachable invitee is looked up. */
  readonly rendezvous: Rendezvous
  /** The node's current addresses, for the record. */
  readonly addrs: () => readonly string[]
  /** The node's `peer:up`/`peer:down` events: the record is provided again on reaching the overlay. */
  readonly overlay: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
  readonly preset: PresetName
  /** `<home>/groups`; undefined for a node without a home. */
  readonly directory?: string
  readonly options: NodeGroupsOptions
}): Promise<NodeGroups> {
  const { direct } = parts
  const ephemeral = parts.directory === undefined ? await mkdtemp(join(tmpdir(), 'saorsa-gossip-groups-')) : undefined
  const route = rendezvousRoute({ rendezvous: parts.rendezvous, reach: (peer, addrs, options) => direct.reach(peer, addrs, options) })
  const transport = groupsTransport({
    handleDirect: (protocol, handler) => direct.handle(protocol, handler),
    handleStream: (protocol, handler) => direct.handleStream(protocol, handler),
    // The node dials a peer it has no connection to (direct.ts), at an address it knows or, failing
    // that, one from the peer's key-package record: an invitee need not be a neighbour or known at all.
    connectionTo: (peer) => ({
      request: (protocol, message, options) => route.via(peer, options?.signal, () => direct.request(peer, protocol, message, options)),
      openStream: (protocol, options) => route.via(peer, options?.signal, () => direct.openStream(peer, protocol, options)),
    }),
  })
  const groups = createGroups(
    {
      directory: parts.directory ?? ephemeral!, commitLog: COMMIT_LOGS[parts.preset],
      ...(parts.options.suite === undefined ? {} : { suite: parts.options.suite }),
    },
    { identity: parts.identity, pubsub: groupsPubSub(parts.pubsub), transport },
  )
  let record: ReturnType<typeof provideKeyPackageRecord> | undefined
  return {
    groups,
    async start(options) {
      await groups.start(options)
      if (parts.options.provideKeyPackages === false) return
      record = provideKeyPackageRecord({ rendezvous: parts.rendezvous, peer: parts.identity.peerId, addrs: parts.addrs, overlay: parts.overlay })
    },
    async stop() {
      record?.stop()
      await groups.stop()
      // The node's handler table outlives a stop; a later start registers a fresh service.
      for (const protocol of [GROUPS_PROTOCOL, WELCOME_PROTOCOL, COMMITS_PROTOCOL]) direct.unhandle(protocol)
      if (ephemeral !== undefined) await rm(ephemeral, { recursive: true, force: true })
    },
  }
}
