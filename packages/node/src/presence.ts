/**
 * The node's presence service (SPEC.md section 13): `@saorsa-gossip/presence` on the node's pubsub,
 * with FIND_USER over the coordinator's FOAF user queries (section 9.4). Group secrets come from a
 * group source (the node's groups: MLS exporters) or, group by group, from a secret shared out of
 * band. Presence keeps nothing on disk: beacon sequence numbers come from the wall clock.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import { COORDINATOR_LAN, COORDINATOR_LOCAL, COORDINATOR_WAN } from '@saorsa-gossip/coordinator'
import type { Groups } from '@saorsa-gossip/groups'
import type { Membership } from '@saorsa-gossip/membership'
import {
  createPresence, PRESENCE_DEFAULT, PRESENCE_LOCAL, type FoafRouter, type Presence, type PresenceGroupSource, type UserShardLookup,
} from '@saorsa-gossip/presence'
import { SUMMARY_LIMITS, type Rendezvous } from '@saorsa-gossip/rendezvous'
import type { PubSub } from '@saorsa-gossip/pubsub'
import { InvalidParametersError, NotStartedError, toHex, type AbortOptions } from '@saorsa-gossip/types'
import type { PresetName } from './config/node-config.ts'
import type { DirectApi } from './direct.ts'

export interface NodePresenceOptions {
  /**
   * Where `node.presence.addGroup(id)` reads a group's exporter secret, epoch and roster: bind the
   * node's MLS groups here (`{ exportSecret(groupId, label, length), epoch?(groupId), members?(groupId) }`).
   * Without it, groups are added with an explicit group, e.g. `sharedSecretGroup(secret)`.
   */
  readonly groups?: PresenceGroupSource
  /**
   * Also provide this node's PeerId as an IDENTITY target on its rendezvous shard (SPEC.md section 11),
   * with its addresses, so FIND_USER finds it when no friend of a friend does. Default false: the
   * summary tells anyone who asks that this PeerId is online and where, which presence's beacons
   * otherwise tell group members only.
   */
  readonly discoverable?: boolean
}

/** The presence layer and the lifecycle of what it runs on. */
export interface NodePresence {
  readonly layer: Presence
  start(options?: AbortOptions): Promise<void>
  stop(options?: AbortOptions): Promise<void>
}

/**
 * Beacons at the local preset show start, stop and expiry within seconds; LAN and WAN use the
 * design's 5-minute beacons. FIND_USER waits as long as the coordinator's FOAF queries do.
 */
const PRESETS = {
  local: { config: PRESENCE_LOCAL, coordinator: COORDINATOR_LOCAL },
  lan: { config: PRESENCE_DEFAULT, coordinator: COORDINATOR_LAN },
  wan: { config: PRESENCE_DEFAULT, coordinator: COORDINATOR_WAN },
} as const

export function createNodePresence(parts: {
  readonly identity: Identity
  readonly backend: SignatureBackend
  readonly pubsub: PubSub
  readonly membership: Membership
  readonly direct: DirectApi
  readonly preset: PresetName
  /** Addresses put into beacons and FIND_USER answers. */
  readonly addrs: readonly string[]
  /** FIND_USER's route: the node's coordinator service (its FOAF user queries, SPEC 9.4). */
  readonly foaf: FoafRouter
  /** FIND_USER's fallback, and where a discoverable node provides its identity. */
  readonly rendezvous: Rendezvous
  readonly options: NodePresenceOptions
}): NodePresence {
  const preset = PRESETS[parts.preset]
  const { foaf } = parts
  const layer = createPresence(
    { config: preset.config, find: { timeoutMs: preset.coordinator.foaf.queryTimeoutMs }, addrs: parts.addrs.slice(0, 8) },
    {
      peerId: parts.identity.peerId, pubsub: parts.pubsub, foaf, rendezvous: rendezvousUserLookup(parts.rendezvous),
      ...(parts.options.groups === undefined ? {} : { groups: parts.options.groups }),
    },
  )
  return {
    layer,
    async start(options = {}) {
      layer.start(options)
      if (parts.options.discoverable === true) {
        parts.rendezvous.provide(parts.identity.peerId.bytes, { capabilities: ['IDENTITY'], addressHints: parts.addrs.slice(0, SUMMARY_LIMITS.maxAddressHints) })
      }
    },
    async stop(options = {}) {
      await layer.stop(options)
    },
  }
}

/**
 * The node's MLS groups as presence's group source: a presence group named by an MLS group id in hex
 * (or a unique prefix of at least 8 hex digits) is keyed by that group's exporter, follows its epochs
 * and counts its roster as the members.
 */
export function groupsPresenceSource(groups: () => Groups | undefined): PresenceGroupSource {
  const resolve = (name: string): { groups: Groups; id: Uint8Array } => {
    const g = groups()
    if (g === undefined) throw new NotStartedError('the node is not running')
    const key = name.toLowerCase()
    const matches = /^[0-9a-f]{8,}$/.test(key) ? g.list().filter((id) => toHex(id).startsWith(key)) : []
    if (matches.length !== 1) {
      throw new InvalidParametersError(matches.length === 0
        ? `group: no MLS group of this node has an id starting '${name}' (or give the group's shared secret)`
        : `group: '${name}' matches ${matches.length} groups; give more hex digits`)
    }
    return { groups: g, id: matches[0]! }
  }
  return {
    exportSecret: (name, label, length) => { const r = resolve(name); return r.groups.exportSecret(r.id, label, length) },
    epoch: (name) => { const r = resolve(name); return r.groups.epoch(r.id) },
    members: (name) => { const r = resolve(name); return r.groups.members(r.id) },
  }
}

/**
 * FIND_USER's rendezvous fallback: the addresses in an IDENTITY summary for the user's PeerId on its
 * shard, signed by that same PeerId (anyone may provide a target, only the user can sign as itself).
 */
export function rendezvousUserLookup(rendezvous: Rendezvous): UserShardLookup {
  return {
    async findUser(target, options = {}) {
      for await (const summary of rendezvous.seek(target.bytes, { capability: 'IDENTITY', ...(options.signal === undefined ? {} : { signal: options.signal }) })) {
        if (summary.provider.equals(target) && summary.addressHints.length > 0) return summary.addressHints
      }
      return undefined
    },
  }
}
