/**
 * The node's rendezvous service (SPEC.md section 11): `@saorsa-gossip/rendezvous` on the node's
 * pubsub driver and direct messages (which dial a peer they are not connected to), with the
 * store kept at `<home>/rendezvous.cbor` on a serving node. Kept out of `node.ts` so the node stays
 * a list of services.
 */
import { verifySignature, type Identity, type SignatureBackend } from '@saorsa-gossip/identity'
import type { PubSub } from '@saorsa-gossip/pubsub'
import {
  createRendezvous, RENDEZVOUS_LAN, RENDEZVOUS_LOCAL, RENDEZVOUS_WAN, shardOf, shardTopicName, type Rendezvous, type RendezvousTransport,
} from '@saorsa-gossip/rendezvous'
import { fromHex, TopicId, type PeerId } from '@saorsa-gossip/types'
import type { PresetName } from './config/node-config.ts'
import type { DirectApi } from './direct.ts'

export interface NodeRendezvousOptions {
  /** Hold the `rendezvous` role: keep summaries registered with this node and answer for them (default false). */
  readonly serve?: boolean
  /** Peers holding the `rendezvous` role (coordinator adverts); else call `node.rendezvous.setServers`. */
  readonly servers?: { rendezvousPeers(): Iterable<PeerId> }
}

const PRESETS = { local: RENDEZVOUS_LOCAL, lan: RENDEZVOUS_LAN, wan: RENDEZVOUS_WAN } as const

export function createNodeRendezvous(parts: {
  readonly identity: Identity
  readonly backend: SignatureBackend
  readonly pubsub: PubSub
  readonly direct: DirectApi
  readonly preset: PresetName
  readonly storePath?: string
  readonly options: NodeRendezvousOptions
}): Rendezvous {
  const { direct } = parts
  const transport: RendezvousTransport = {
    handleDirect: (protocol, handler) => direct.handle(protocol, handler),
    unhandle: (protocol) => direct.unhandle(protocol),
    connectionTo: (peer) => ({
      request: (protocol, message, options) => direct.request(peer, protocol, message, options),
      sendDirect: (protocol, message, options) => direct.send(peer, protocol, message, options),
    }),
  }
  const serve = parts.options.serve ?? false
  return createRendezvous(
    { config: { ...PRESETS[parts.preset], serve }, ...(serve && parts.storePath !== undefined ? { storePath: parts.storePath } : {}) },
    {
      identity: parts.identity, pubsub: parts.pubsub, transport,
      verify: (pk, domain, body, sig) => verifySignature(pk, domain, body, sig, parts.backend),
      ...(parts.options.servers === undefined ? {} : { servers: parts.options.servers }),
    },
  )
}

/**
 * Hex ids of the shard topics the node is on because it provides a target there (its key-package
 * record at least): rendezvous plumbing, like the coordinator's topics, not topics the application joined.
 */
export function providedShardTopics(rendezvous: Rendezvous | undefined): Set<string> {
  return new Set((rendezvous?.isStarted === true ? rendezvous.providing() : []).map((t) => TopicId.fromName(shardTopicName(shardOf(fromHex(t)))).toHex()))
}
