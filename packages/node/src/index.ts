/**
 * @packageDocumentation
 * The composition root of Saorsa Gossip: `createNode()` builds identity, post-quantum transport,
 * membership (SWIM) and pubsub (Plumtree) into one node, with a peer cache for rejoining, a pino
 * logger (silent unless asked), and the control socket the `saorsa-gossip` CLI talks to.
 *
 * @example
 * ```ts
 * import { createNode } from '@saorsa-gossip/node'
 *
 * const node = createNode({ listen: ['tcp://127.0.0.1:0'] })
 * await node.start()
 * await node.join(['tcp://192.0.2.10:7000'], { signal: AbortSignal.timeout(10_000) })
 * const inbox = node.subscribe('chat/lobby')
 * await node.publish('chat/lobby', new TextEncoder().encode('hello'))
 * for await (const m of inbox) console.log(m.origin.toShortString(), m.hops, new TextDecoder().decode(m.payload))
 * ```
 */
export { createNode, type AbortOptions, type JoinResult, type NetworkStats, type NodeEvents, type PublishResult, type SaorsaNode, type SaorsaNodeInit } from './node.ts'
export { serveDashboard, type DashboardServer } from './dashboard/server.ts'
export { topologyOf, type NodeReport, type TopologySnapshot, type SnapshotNode, type SnapshotLink, type MemberState } from './dashboard/snapshot.ts'
export { createMetrics, serveMetrics, type MetricsInit, type MetricsServer, type NodeMetrics } from './metrics.ts'
export { Subscription, type ReceivedMessage } from './subscription.ts'
export type { DirectApi, DirectOptions } from './direct.ts'
export {
  NoRouteError, ProtocolAlreadyHandledError, RequestRefusedError, RequestTimeoutError, StreamResetError,
  type DirectContext, type DirectHandler, type IncomingStream, type MessageProtocol, type StreamProtocol, type StreamWriter,
} from '@saorsa-gossip/transport'
export { loadIdentity, type LoadIdentityOptions } from './identity-store.ts'
export type { MessageJson, NodeStatus, PeerInfo, PublishResultJson, TopicTree } from './status.ts'
export * from './errors.ts'
export { writeFileAtomic } from './config/atomic-file.ts'
export { MAX_PEER_CACHE_FILE_BYTES, PeerCache, decodePeerCache, encodePeerCache, type PeerCacheEntry, type PeerCacheLoadProblem } from './config/peer-cache.ts'
export { homeLayout, resolveHome, ensureHome, type HomeLayout } from './config/paths.ts'
export { loadNodeConfig, saveNodeConfig, parseNodeConfig, type NodeConfigFile, type PresetName } from './config/node-config.ts'
export { startControlServer, type ControlHandlers, type ControlServer } from './control/server.ts'
export { controlHandlersFor } from './control/handlers.ts'
export { controlRequest, controlStream } from './control/client.ts'
export { createRootLogger, componentLogger, type Logger, type LogLevel } from './logger.ts'
