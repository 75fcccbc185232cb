/**
 * The node's presence service (SPEC.md section 13): `@saorsa-gossip/presence` on the node's pubsub,
 * with FIND_USER over the coordinator's FOAF user queries (section 9.4). Group secrets come from a
 * group source (the node's groups: MLS exporters) or, group by group, from a secret shared out of
 * band. Presence keeps nothing on disk: beacon sequence numbers come from the wall clock.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import {
  COORDINATOR_LAN, COORDINATOR_LOCAL, COORDINATOR_WAN, createCoordinator, FOAF_TRANSPORT_PROTOCOL, type Coordinator, type CoordinatorPubSub,
} from '@saorsa-gossip/coordinator'
import type { Membership } from '@saorsa-gossip/membership'
import {
  createPresence, PRESENCE_DEFAULT, PRESENCE_LOCAL, type FoafRouter, type Presence, type PresenceGroupSource,
} from '@saorsa-gossip/presence'
import type { PubSub } from '@saorsa-gossip/pubsub'
import { InvalidParametersError, type AbortOptions } from '@saorsa-gossip/types'
import type { PresetName } from './config/node-config.ts'
import type { DirectApi } from './direct.ts'

export interface NodePresenceOptions {
  /**
   * Where `node.presence.addGroup(id)` reads a group's exporter secret, epoch and roster: bind the
   * node's MLS groups here (`{ exportSecret(groupId, label, length), epoch?(groupId), members?(groupId) }`).
   * Without it, groups are added with an explicit group, e.g. `sharedSecretGroup(secret)`.
   */
  readonly groups?: PresenceGroupSource
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
  /**
   * FIND_USER's route: the node's coordinator service. Until the node runs one, a coordinator
   * limited to FOAF (no pubsub topic, no advert, no address book) is started here for it.
   */
  readonly foaf?: FoafRouter
  readonly options: NodePresenceOptions
}): NodePresence {
  const preset = PRESETS[parts.preset]
  const own: Coordinator | undefined = parts.foaf === undefined ? foafCoordinator(parts, preset.coordinator) : undefined
  const foaf = parts.foaf ?? own!
  const layer = createPresence(
    { config: preset.config, find: { timeoutMs: preset.coordinator.foaf.queryTimeoutMs }, addrs: parts.addrs.slice(0, 8) },
    { peerId: parts.identity.peerId, pubsub: parts.pubsub, foaf, ...(parts.options.groups === undefined ? {} : { groups: parts.options.groups }) },
  )
  return {
    layer,
    async start(options = {}) {
      await own?.start(options)
      layer.start(options)
    },
    async stop(options = {}) {
      // The offline beacons go out first, while pubsub still carries them.
      await layer.stop(options)
      await own?.stop()
    },
  }
}

/**
 * The coordinator service limited to routing FOAF queries: it joins no pubsub topic (the adverts and
 * the address book are the coordinator layer's, which the node does not run yet), so it caches no
 * advert and publishes nothing; FIND_USER's user queries travel and are answered as on a full one.
 */
function foafCoordinator(
  parts: { identity: Identity; backend: SignatureBackend; membership: Membership; direct: DirectApi },
  config: typeof COORDINATOR_LAN,
): Coordinator {
  const { direct } = parts
  const noTopics: CoordinatorPubSub = {
    join: () => undefined,
    addValidator: () => undefined,
    removeValidator: () => undefined,
    publish: () => Promise.reject(new InvalidParametersError('this coordinator routes FOAF only and publishes nothing')),
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  }
  return createCoordinator(
    { config: { ...config, addressBook: { ...config.addressBook, enabled: false } } },
    {
      identity: parts.identity, backend: parts.backend, pubsub: noTopics, membership: parts.membership,
      transport: {
        handleDirect: (protocol, handler) => direct.handle(protocol, (request, context) => handler(request, { peer: context.peer })),
        unhandle: (protocol) => direct.unhandle(protocol),
        connectionTo: (peer) => ({ sendDirect: (protocol: typeof FOAF_TRANSPORT_PROTOCOL, message: Uint8Array) => direct.send(peer, protocol, message) }),
      },
    },
  )
}
