/**
 * Crash-safe small-file writes, shared by every layer through `@saorsa-gossip/types/fs` and
 * re-exported here for the node's public API (`writeFileAtomic`).
 */
export { writeFileAtomic, type AtomicWriteOptions } from '@saorsa-gossip/types/fs'
