/**
 * The node's coordinator service (SPEC.md section 9): `@saorsa-gossip/coordinator` on the node's pubsub
 * driver, membership's neighbour events and the transport's direct messages (FOAF goes to connected
 * neighbours only, so nothing is dialled), with the advert cache kept at `<home>/coordinators.cbor`.
 * Its verified adverts are also where the node finds `rendezvous`-role servers and bootstrap contacts.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import {
  COORDINATOR_LAN, COORDINATOR_LOCAL, COORDINATOR_WAN, MAX_ADVERT_HINTS, MAX_PEER_RECORD_HINTS, ROLES, createCoordinator, type Coordinator, type CoordinatorConfig,
  type CoordinatorTransport, type NatClass, type Role,
} from '@saorsa-gossip/coordinator'
import type { Membership } from '@saorsa-gossip/membership'
import type { PubSub } from '@saorsa-gossip/pubsub'
import type { Transport } from '@saorsa-gossip/transport'
import { InvalidParametersError, type PeerId } from '@saorsa-gossip/types'
import type { PresetName } from './config/node-config.ts'
import type { DirectApi } from './direct.ts'

export interface NodeCoordinatorOptions {
  /**
   * Publish a signed advert with these roles (a coordinator, `saorsa-coordinator`); absent for
   * ordinary nodes, which still check, cache and forward the adverts of others.
   */
  readonly roles?: readonly Role[]
  /** The NAT class the advert states (default 'unknown' until NAT traversal measures it). */
  readonly nat?: NatClass
  /** Replaces the preset the node's `preset` selects (COORDINATOR_LOCAL / LAN / WAN). */
  readonly config?: CoordinatorConfig
}

const PRESETS = { local: COORDINATOR_LOCAL, lan: COORDINATOR_LAN, wan: COORDINATOR_WAN } as const
/** Coordinator contacts `join` tries after the cached peers: more than one in case some went away. */
export const CACHED_COORDINATOR_CONTACTS = 8

/** Throws InvalidParametersError naming the option for a role outside ROLES or a repeated one. */
export function checkRoles(roles: readonly string[], name = 'coordinator.roles'): Role[] {
  const seen = new Set<string>()
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new InvalidParametersError(`${name}: unknown role '${role}' (known: ${ROLES.join(', ')})`)
    if (seen.has(role)) throw new InvalidParametersError(`${name}: role '${role}' given twice`)
    seen.add(role)
  }
  return [...seen] as Role[]
}

export function createNodeCoordinator(parts: {
  readonly identity: Identity
  readonly backend: SignatureBackend
  readonly pubsub: PubSub
  readonly membership: Membership
  readonly transport: Transport
  readonly direct: DirectApi
  readonly preset: PresetName
  readonly home?: string
  /** The addresses our advert and peer record carry (announced, else bound). */
  readonly addresses: readonly string[]
  readonly options: NodeCoordinatorOptions
}): Coordinator {
  const { direct, transport, options } = parts
  const roles = options.roles === undefined ? undefined : checkRoles(options.roles)
  const foafTransport: CoordinatorTransport = {
    handleDirect: (protocol, handler) => direct.handle(protocol, (request, context) => handler(request, context)),
    unhandle: (protocol) => direct.unhandle(protocol),
    connectionTo: (peer) => transport.connectionTo(peer),
  }
  return createCoordinator(
    {
      config: options.config ?? PRESETS[parts.preset],
      // The wire caps hints (10 per advert, 8 per record): the first addresses are the announced ones.
      addresses: parts.addresses.slice(0, MAX_PEER_RECORD_HINTS),
      ...(parts.home === undefined ? {} : { home: parts.home }),
      ...(roles === undefined || roles.length === 0 ? {} : { advertise: { roles, addresses: parts.addresses.slice(0, MAX_ADVERT_HINTS), nat: options.nat ?? 'unknown' } }),
    },
    { identity: parts.identity, backend: parts.backend, pubsub: parts.pubsub, transport: foafTransport, membership: parts.membership },
  )
}

/** The `rendezvous`-role publishers of verified, live adverts: the rendezvous client's servers. */
export function rendezvousServersOf(coordinator: () => Coordinator | undefined): { rendezvousPeers(): Iterable<PeerId> } {
  return { rendezvousPeers: () => (coordinator()?.adverts({ role: 'rendezvous' }) ?? []).map((e) => e.advert.peerId) }
}

/**
 * The servers the application named (if any) first, then those coordinator adverts announce, each
 * once: naming a server adds to what the overlay advertises rather than hiding it.
 */
export function withAdvertisedServers(
  named: { rendezvousPeers(): Iterable<PeerId> } | undefined, advertised: { rendezvousPeers(): Iterable<PeerId> },
): { rendezvousPeers(): Iterable<PeerId> } {
  if (named === undefined) return advertised
  return {
    * rendezvousPeers() {
      const seen = new Set<string>()
      for (const source of [named, advertised]) {
        for (const peer of source.rendezvousPeers()) {
          if (seen.has(peer.toHex())) continue
          seen.add(peer.toHex())
          yield peer
        }
      }
    },
  }
}
