/**
 * @packageDocumentation
 * The composition root of Saorsa Gossip.
 */
export * from './errors.ts'
export { writeFileAtomic } from './config/atomic-file.ts'
export { PeerCache, decodePeerCache, encodePeerCache, type PeerCacheEntry } from './config/peer-cache.ts'
export { homeLayout, resolveHome, ensureHome, type HomeLayout } from './config/paths.ts'
export { loadNodeConfig, saveNodeConfig, parseNodeConfig, type NodeConfigFile } from './config/node-config.ts'
export { startControlServer, type ControlHandlers, type ControlServer } from './control/server.ts'
export { controlRequest, controlStream } from './control/client.ts'
export { createRootLogger, componentLogger, type Logger, type LogLevel } from './logger.ts'
