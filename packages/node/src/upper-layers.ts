/**
 * The upper layers a node runs over its overlay (docs/architecture.md section 7): coordinator,
 * rendezvous, groups, presence and crdt-sync, started in dependency order on the node's transport,
 * membership, pubsub and direct messages, and stopped in the reverse of what each one needs.
 * `into` is filled as each layer starts, so a failed start stops exactly the layers that started.
 */
import type { SignatureBackend, Identity } from '@saorsa-gossip/identity'
import type { NatTraversal, Transport } from '@saorsa-gossip/transport'
import type { AbortOptions } from '@saorsa-gossip/types'
import type { Rendezvous } from '@saorsa-gossip/rendezvous'
import { MAX_ADVERT_HINTS, type Coordinator } from '@saorsa-gossip/coordinator'
import type { CrdtSync } from '@saorsa-gossip/crdt-sync'
import { homeLayout } from './config/paths.ts'
import { checkRoles, createNodeCoordinator, rendezvousServersOf, withAdvertisedServers } from './coordinator.ts'
import { createNodeCrdt } from './crdt.ts'
import type { DirectMessaging } from './direct.ts'
import type { NodeGroups } from './groups.ts'
import type { Layers } from './layers.ts'
import type { Logger } from './logger.ts'
import type { SaorsaNodeInit } from './node-api.ts'
import { createNodePresence, groupsPresenceSource, type NodePresence } from './presence.ts'
import { createNodeRendezvous } from './rendezvous.ts'

/** The running upper layers; a field is set once its layer has started. */
export interface UpperLayers {
  coordinator?: Coordinator
  rendezvous?: Rendezvous
  groups?: NodeGroups
  presence?: NodePresence
  crdt?: CrdtSync
}

/** What the upper layers are built on: the node's parts once its overlay layers run. */
export interface UpperLayerParts {
  readonly init: SaorsaNodeInit
  readonly identity: Identity
  readonly backend: SignatureBackend
  readonly transport: Transport
  readonly layers: Layers
  readonly direct: DirectMessaging
  readonly nat: NatTraversal
  /** The addresses to advertise now (they change when NAT traversal learns more). */
  readonly announced: () => string[]
  /** The node's `peer:up`/`peer:down` events. */
  readonly overlay: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
  /** Ends listeners that live as long as this start. */
  readonly lifetime: AbortSignal
  /** The groups module, imported when the node starts (ts-mls would slow every CLI command otherwise). */
  readonly groupsModule: Promise<typeof import('./groups.ts')>
}

export async function startUpperLayers(into: UpperLayers, parts: UpperLayerParts, options: AbortOptions): Promise<void> {
  const { init, identity, backend, transport, layers, direct, nat, announced } = parts
  const preset = init.preset ?? 'lan'
  const home = init.home === undefined ? undefined : homeLayout(init.home)
  const coordinator = createNodeCoordinator({
    identity, backend, pubsub: layers.pubsub, membership: layers.membership, transport, direct, preset, addresses: announced(),
    options: { ...init.coordinator, nat: init.coordinator?.nat ?? nat.status().nat },
    ...(init.home === undefined ? {} : { home: init.home }),
  })
  into.coordinator = coordinator
  await coordinator.start(options)
  const roles = init.coordinator?.roles
  if (roles !== undefined && roles.length > 0 && init.coordinator?.nat === undefined) {
    // An advert states what NAT traversal measured: republish when the class or address changes.
    nat.addEventListener('nat:changed', (e) => {
      if (into.coordinator === coordinator) coordinator.advertise({ roles: checkRoles(roles), addresses: announced().slice(0, MAX_ADVERT_HINTS), nat: e.detail.nat })
    }, { signal: parts.lifetime })
  }
  const rendezvous = createNodeRendezvous({
    identity, backend, pubsub: layers.pubsub, direct, preset,
    ...(home === undefined ? {} : { storePath: home.rendezvousStoreFile }),
    options: { ...init.rendezvous, servers: withAdvertisedServers(init.rendezvous?.servers, rendezvousServersOf(() => into.coordinator)) },
  })
  into.rendezvous = rendezvous
  await rendezvous.start(options)
  const { createNodeGroups } = await parts.groupsModule
  into.groups = await createNodeGroups({
    identity, pubsub: layers.pubsub, direct, preset, rendezvous, addrs: announced, overlay: parts.overlay,
    ...(home === undefined ? {} : { directory: home.groupsDir }), options: init.groups ?? {},
  })
  await into.groups.start(options)
  const presence = createNodePresence({
    identity, backend, pubsub: layers.pubsub, membership: layers.membership, direct, preset, addrs: announced(),
    foaf: coordinator, rendezvous,
    options: { ...init.presence, groups: init.presence?.groups ?? groupsPresenceSource(() => into.groups?.groups) },
  })
  into.presence = presence
  await presence.start(options)
  const crdt = createNodeCrdt({
    peerId: identity.peerId, transport, pubsub: layers.pubsub, preset,
    ...(home === undefined ? {} : { storeDir: home.crdtDir }), groups: () => into.groups?.groups,
  })
  into.crdt = crdt.service
  await crdt.start(options)
}

/**
 * Stops what started, while the overlay is still there to carry offline beacons and withdrawals;
 * presence reads group secrets, so it stops before groups. A layer that fails to stop is logged.
 */
export async function stopUpperLayers(from: UpperLayers, log: Logger, options: AbortOptions): Promise<void> {
  try {
    await from.presence?.stop(options).catch((err: unknown) => log.warn({ err }, 'stopping presence failed'))
    await from.groups?.stop().catch((err: unknown) => log.warn({ err }, 'stopping groups failed'))
    await from.crdt?.stop().catch((err: unknown) => log.warn({ err }, 'stopping crdt-sync failed'))
    await from.rendezvous?.stop(options).catch((err: unknown) => log.warn({ err }, 'stopping rendezvous failed'))
    await from.coordinator?.stop().catch((err: unknown) => log.warn({ err }, 'stopping the coordinator failed'))
  } finally {
    delete from.presence
    delete from.groups
    delete from.crdt
    delete from.rendezvous
    delete from.coordinator
  }
}
