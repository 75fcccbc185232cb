/**
 * The sans-IO sync core and the pure delta-state CRDTs, for drivers, the simulator and tests
 * (docs/architecture.md section 2). Nothing here performs IO, reads a clock or draws randomness itself.
 */
export { DocSyncCore, type DocSyncInit, type DocSyncMetrics } from './sync.ts'
export { checkSyncConfig, type SyncConfig } from './config.ts'
export { DeltaLog, mergeCovers, type DeltaLogOptions } from './delta-log.ts'
export { VV_DIGEST_BYTES, satisfies, sortedEntries, vvDigest, type VersionVector } from './version-vector.ts'
export { CausalContext, dotKey, parseDotKey, type Dot } from './causal-context.ts'
export { OrSet } from './or-set.ts'
export { Hlc, compareStamps, type HlcStamp } from './hlc.ts'
export { LwwMap, joinRegisters, valuesEqual, type LwwRegister, type LwwValue } from './lww.ts'
export { PnCounter, type CounterEntry } from './pn-counter.ts'
export type {
  Bundle, BundlesMessage, Cover, DeltaMessage, DropReason, SnapshotMessage, SummaryMessage, SyncCommand, SyncEvent,
  SyncInput, SyncMessage, SyncOutbox, SyncOutput, SyncTimer, SyncedState, VvEntry, WantMessage,
} from './messages.ts'
export { DocsCore, type DocMessage, type DocTimer, type DocsCommand, type DocsEvent, type DocsInput, type DocsOutput } from './docs-core.ts'
