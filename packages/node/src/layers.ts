/**
 * Wires the layer packages together for one node: transport -> membership -> pubsub. This file is
 * the only place that knows the layers' factories, so `node.ts` stays about lifecycle and policy.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import { createMembership, IDLE_CONNECTIONS_LAN, IDLE_CONNECTIONS_WAN, type IdleConnectionConfig, type Membership } from '@saorsa-gossip/membership'
import { createPubSub, type AsyncVerifier, type PubSub } from '@saorsa-gossip/pubsub'
import type { Transport } from '@saorsa-gossip/transport'
import { throwIfAborted, type MessageId, type PeerId, type TopicId } from '@saorsa-gossip/types'
import type { PresetName } from './config/node-config.ts'
import { componentLogger, type Logger } from './logger.ts'
import { STACK_PRESETS, onNeighborDown, onNeighborUp, type PubSubSide } from './proto/stack.ts'
import type { PeerInfo } from './status.ts'

/** When a connection to a non-neighbour closes unused, as the membership presets of the same names (their reasons are there). */
const IDLE_BY_PRESET: Record<PresetName, IdleConnectionConfig> = { local: IDLE_CONNECTIONS_LAN, lan: IDLE_CONNECTIONS_LAN, wan: IDLE_CONNECTIONS_WAN }

export interface Contact {
  peerId?: PeerId
  addrs: string[]
}

export interface LayersInit {
  transport: Transport
  identity: Identity
  backend: SignatureBackend
  /** Checks pubsub origin signatures off the event loop; without it they are checked inline. */
  verifier?: AsyncVerifier
  preset: PresetName
  /** Addresses announced to peers (default: the transport's listen addresses). */
  announce?: readonly string[]
  /** Keeps publish sequence numbers restart-safe (`<home>/sequence.cbor`); without it they come from the wall clock. */
  sequenceFile?: string
  logger: Logger
  /** A neighbour entered (up) or left the active view; `addrs` are its dialable addresses. */
  onNeighbor(peer: PeerId, up: boolean, addrs: readonly string[]): void
  /** A neighbour joined (up) or left this node's tree for `topic` (iroh-gossip's NeighborUp / NeighborDown). */
  onTopicPeer(topic: TopicId, peer: PeerId, up: boolean): void
}

export interface Layers {
  readonly membership: Membership
  readonly pubsub: PubSub
  start(): Promise<void>
  /** Tries `groups` in order (cached peers, then bootstrap); resolves with the number of live neighbours. */
  join(groups: Contact[][], options: { signal?: AbortSignal; onGroupFailed?: (group: Contact[]) => void }): Promise<number>
  /** Joins the topic's tree without a reader (deliveries arrive as pubsub 'message' events). */
  joinTopic(topic: TopicId): void
  publish(topic: TopicId, payload: Uint8Array, options: { signal?: AbortSignal }): Promise<{ id: MessageId | undefined; sentTo: number; outcome: string }>
  peers(): PeerInfo[]
  viewSizes(): { active: number; passive: number }
  counters(): { duplicates: number; signatureChecks: number; dropped: Record<string, number> }
  /** Dialable addresses of `peer` when this node reached it by dialling. */
  addrsOf(peer: PeerId): string[]
  stop(options: { signal?: AbortSignal }): Promise<void>
}

/** How long a successful dial may take to show up as a member before join reports zero neighbours. */
const JOIN_SETTLE_MS = 15_000

export function createLayers(init: LayersInit): Layers {
  const { transport } = init
  const log = componentLogger(init.logger, 'membership')
  const membership = createMembership({
    transport, config: { ...STACK_PRESETS[init.preset].membership, idleConnections: IDLE_BY_PRESET[init.preset] }, ...(init.announce === undefined ? {} : { addrs: init.announce }),
  })
  // Neighbour events reach pubsub through the rules of the shipped stack (./proto/stack.ts), as in the
  // simulator, so pubsub gets no membership component of its own.
  const pubsub = createPubSub({ config: STACK_PRESETS[init.preset].pubsub, ...(init.sequenceFile === undefined ? {} : { sequenceFile: init.sequenceFile }) }, {
    transport, identity: init.identity, backend: init.backend, ...(init.verifier === undefined ? {} : { verifier: init.verifier }),
  })
  const pubsubSide: PubSubSide = {
    learnKey: (peer, key) => pubsub.learnKey(peer, key), peerUp: (peer) => pubsub.neighborUp(peer), peerDown: (peer) => pubsub.neighborDown(peer),
  }

  const neighborAddrs = new Map<string, readonly string[]>()
  membership.addEventListener('peer:up', (e) => {
    log.debug({ peer: e.detail.peer.toShortString(), addrs: e.detail.addrs }, 'neighbour up')
    neighborAddrs.set(e.detail.peer.toHex(), e.detail.addrs)
    init.onNeighbor(e.detail.peer, true, e.detail.addrs)
    onNeighborUp(pubsubSide, e.detail.peer, transport.connectionTo(e.detail.peer)?.remotePublicKey)
  })
  membership.addEventListener('peer:down', (e) => {
    log.debug({ peer: e.detail.peer.toShortString() }, 'neighbour down')
    neighborAddrs.delete(e.detail.peer.toHex())
    init.onNeighbor(e.detail.peer, false, e.detail.addrs)
    onNeighborDown(pubsubSide, e.detail.peer)
  })
  membership.addEventListener('peer:suspect', (e) => log.info({ peer: e.detail.peer.toShortString() }, 'peer suspected'))
  membership.addEventListener('peer:dead', (e) => log.info({ peer: e.detail.peer.toShortString() }, 'peer declared dead'))
  pubsub.addEventListener('topic:peer-up', (e) => init.onTopicPeer(e.detail.topic, e.detail.peer, true))
  pubsub.addEventListener('topic:peer-down', (e) => init.onTopicPeer(e.detail.topic, e.detail.peer, false))

  const alive = () => membership.neighbors()
  /** The dial succeeded; the peer becomes a member when the connection event reaches membership. */
  const firstPeer = (signal?: AbortSignal) => new Promise<void>((resolve) => {
    if (alive().length > 0) return resolve()
    const done = () => {
      clearTimeout(timer)
      membership.removeEventListener('peer:up', done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, JOIN_SETTLE_MS)
    membership.addEventListener('peer:up', done)
    signal?.addEventListener('abort', done, { once: true })
  })

  return {
    membership,
    pubsub,
    async start() {
      await membership.start()
      pubsub.start()
    },
    async join(groups, options) {
      // Every contact stays known, not only the group that answers: the membership layer redials
      // them while this node is isolated and its merge check keeps separately formed overlays joined.
      membership.addContacts(groups.flatMap((group) => group.flatMap((c) => c.addrs)))
      let lastError: unknown
      for (const group of groups) {
        const addrs = group.flatMap((c) => c.addrs)
        if (addrs.length === 0) continue
        throwIfAborted(options.signal)
        try {
          await membership.join(addrs, options.signal === undefined ? {} : { signal: options.signal })
          await firstPeer(options.signal)
          return alive().length
        } catch (err) {
          if (options.signal?.aborted === true) throw err
          lastError = err
          options.onGroupFailed?.(group)
          log.info({ err: (err as Error).message, contacts: group.length }, 'join attempt failed')
        }
      }
      if (lastError !== undefined) log.warn({ err: (lastError as Error).message }, 'join failed')
      return alive().length
    },
    joinTopic(topic) {
      pubsub.join(topic)
    },
    async publish(topic, payload, options) {
      const r = await pubsub.publish(topic, payload, options)
      return { id: r.id, sentTo: r.peers, outcome: r.outcome }
    },
    peers() {
      const health = new Map(membership.members().map((m) => [m.peer.toHex(), m.state]))
      const active = membership.neighbors()
      const activeKeys = new Set(active.map((p) => p.toHex()))
      const out: PeerInfo[] = active.map((p) => {
        const h = health.get(p.toHex())
        return { peerId: p.toHex(), view: 'active', addrs: addrsOf(p), ...(h === undefined ? {} : { health: h }) }
      })
      // Members outside the active view: recently dead peers kept so their death spreads.
      for (const m of membership.members()) {
        if (!activeKeys.has(m.peer.toHex())) out.push({ peerId: m.peer.toHex(), view: 'connected', addrs: addrsOf(m.peer), health: m.state })
      }
      return out
    },
    viewSizes() {
      const m = membership.metrics()
      return { active: m.neighbors, passive: m.passive }
    },
    counters() {
      const dropped: Record<string, number> = {}
      for (const [reason, n] of Object.entries(pubsub.core.drops)) if (n > 0 && reason !== 'duplicate') dropped[reason] = n
      for (const [reason, n] of Object.entries(pubsub.driverDrops)) if (n > 0) dropped[`driver:${reason}`] = n
      return { duplicates: pubsub.core.drops.duplicate, signatureChecks: pubsub.core.verifications, dropped }
    },
    addrsOf,
    async stop(options) {
      pubsub.stop()
      // HyParView DISCONNECT to every neighbour; the transport flushes it when it closes.
      if (membership.isStarted) await membership.leave(options)
      await membership.stop(options)
    },
  }

  function addrsOf(peer: PeerId): string[] {
    const announced = neighborAddrs.get(peer.toHex())
    if (announced !== undefined && announced.length > 0) return [...announced]
    const conn = transport.connectionTo(peer)
    return conn !== undefined && conn.direction === 'outbound' ? [conn.remoteAddr] : []
  }
}
