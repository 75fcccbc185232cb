/**
 * Presets for crdt-sync. Every number states its reason; `CRDT_LOCAL` shortens timers for tests and
 * single-machine demos only.
 */
import { checkSyncConfig, type SyncConfig } from './proto/config.ts'

export const CRDT_WAN: SyncConfig = checkSyncConfig({
  // Saorsa design value: one round per 30 s keeps the background cost of an idle document at one
  // ~90-byte summary per neighbour-pair per half minute, while deltas themselves travel at once.
  antiEntropyIntervalMs: 30_000,
  // A lost `want` is asked again after 2 s: above a WAN round trip plus a busy peer's queueing,
  // below the point where a user notices a stale document (gossipsub's IWANT follow-up is 3 s).
  gapRetryMs: 2_000,
  // 1,024 parked bundles / 4 MiB: more than a burst of keystrokes arriving ahead of their past,
  // small enough that a hostile sender cannot grow memory past a few MiB per document.
  maxPendingBundles: 1_024,
  maxPendingBytes: 4 * 1024 * 1024,
  // Delta groups of 256: B4's 259,778 edits become ~1,000 log entries; a peer behind by a few edits
  // receives at most 255 extra edits merged (a few hundred bytes with Yjs), measured in the benchmark.
  logGroupSize: 256,
  // 16 MiB of deltas per document: the whole B4 history (6.3 MB of per-edit updates before merging)
  // stays servable as deltas; older history goes to peers as a snapshot.
  logBudgetBytes: 16 * 1024 * 1024,
  // Replies above 64 KiB go as a snapshot over a bulk stream: a document's full state is then about
  // as small as its missing deltas merged, and one pubsub-sized frame stays the unit of request/response.
  maxBundleBytes: 64 * 1024,
  // After learning something by anti-entropy, open rounds with 2 other neighbours at once. With one,
  // a chain of such rounds dies at the first lost message or in-sync peer, and 100 replicas under
  // 10% loss left ~12% behind after the first round past a heal (4 rounds in all); with two, the
  // spread outlives losses and needs at most 3 (test/convergence.test.ts). In sync it costs nothing.
  spreadFanout: 2,
})

/** Same as WAN: anti-entropy cost is per document and does not depend on link latency. */
export const CRDT_LAN: SyncConfig = CRDT_WAN

/** Tests and demos on one machine: rounds every second so convergence is visible at once. */
export const CRDT_LOCAL: SyncConfig = checkSyncConfig({ ...CRDT_WAN, antiEntropyIntervalMs: 1_000, gapRetryMs: 200 })
