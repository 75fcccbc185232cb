/**
 * The public contract of the coordinator service (docs/architecture.md section 7, js-libp2p shape):
 * the slices of pubsub, transport and membership it runs on, its `Init` options and `Components`,
 * its typed event map, the user-query hook (SPEC.md section 9.4) and its metrics.
 */
import type { SignatureBackend } from '@saorsa-gossip/identity'
import type { Clock, PeerId, Rng, TopicId } from '@saorsa-gossip/types'
import type { AdvertCacheLoadReport } from './advert-store.ts'
import type { NatClass, Role } from './advert.ts'
import type { Signer } from './domains.ts'
import type { CachedAdvert } from './proto/advert-cache.ts'
import type { CoordinatorConfig } from './proto/config.ts'
import { FOAF_PROTOCOL } from './topics.ts'

/** FOAF messages are small control traffic: the membership stream class, ahead of broadcast payloads. */
export const FOAF_TRANSPORT_PROTOCOL = Object.freeze({ name: FOAF_PROTOCOL, streamClass: 'mship' as const })

/** What the service needs of pubsub (the PubSub driver fits). */
export interface CoordinatorPubSub {
  join(topic: TopicId): void
  addValidator(topic: TopicId, validator: (m: { readonly origin: PeerId; readonly payload: Uint8Array }) => Promise<'accept' | 'reject' | 'ignore'>): void
  removeValidator(topic: TopicId): void
  publish(topic: TopicId, data: Uint8Array): Promise<unknown>
  addEventListener(type: 'message', listener: (event: Event) => void): void
  removeEventListener(type: 'message', listener: (event: Event) => void): void
}

/** What the service needs of the transport (the node and the Transport fit). */
export interface CoordinatorTransport {
  handleDirect(protocol: typeof FOAF_TRANSPORT_PROTOCOL, handler: (request: Uint8Array, context: { readonly peer: PeerId }) => void): void
  unhandle(protocol: typeof FOAF_TRANSPORT_PROTOCOL): void
  connectionTo(peer: PeerId): { sendDirect(protocol: typeof FOAF_TRANSPORT_PROTOCOL, message: Uint8Array): Promise<void> } | undefined
}

/** Membership's neighbour events (`detail` a PeerId or `{ peer }`). */
export interface NeighborEvents {
  addEventListener(type: 'peer:up' | 'peer:down', listener: (event: Event) => void): void
  removeEventListener(type: 'peer:up' | 'peer:down', listener: (event: Event) => void): void
}

export interface CoordinatorInit {
  /** Preset (COORDINATOR_LAN by default). */
  readonly config?: CoordinatorConfig
  /** Home directory holding `coordinators.cbor`; without it the cache lives in memory only. */
  readonly home?: string
  /** Publish our advert with these roles and addresses (a coordinator); absent for ordinary nodes. */
  readonly advertise?: { readonly roles: readonly Role[]; readonly addresses: readonly string[]; readonly nat?: NatClass }
  /** Addresses for our address-book record (used when the preset enables the address book). */
  readonly addresses?: readonly string[]
}

export interface CoordinatorComponents {
  readonly identity: Signer & { readonly peerId: PeerId }
  readonly backend: SignatureBackend
  readonly pubsub: CoordinatorPubSub
  readonly transport: CoordinatorTransport
  readonly membership?: NeighborEvents
  readonly clock?: Clock
  readonly rng?: Rng
}

export interface CoordinatorEvents {
  'advert': CustomEvent<{ readonly publisher: PeerId; readonly sequence: number }>
  /** Our own advert was signed and handed to pubsub (every publish interval while we advertise). */
  'advert:published': CustomEvent<{ readonly bytes: number }>
  'coordinator:found': CustomEvent<CachedAdvert>
  'cache:loaded': CustomEvent<AdvertCacheLoadReport>
  'peer:added': CustomEvent<PeerId>
  'peer:expired': CustomEvent<PeerId>
}

/** A user query that reached this node, for the layer answering user queries (presence's FIND_USER). */
export interface UserQuery {
  readonly requester: PeerId
  readonly target: PeerId
  /** The requester's signed payload (empty when the query carried none). */
  readonly payload: Uint8Array
}

/** Returns one reply record (which also ends the query's walk here), or undefined to let it travel on. */
export type UserQueryAnswerer = (query: UserQuery) => Uint8Array | undefined

export interface CoordinatorMetrics {
  readonly cachedAdverts: number
  readonly addressBook: number
  readonly drops: Readonly<Record<string, number>>
  readonly foafHandled: number
}
