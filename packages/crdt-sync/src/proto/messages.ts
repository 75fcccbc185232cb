/**
 * Sync messages, timers, commands and events of the CRDT sync core as plain data. A bundle carries
 * one merged payload covering, per origin, the deltas in (from, to], plus the causal dependencies on
 * origins it does not cover (causal delivery as in Birman, Schiper, Stephenson, "Lightweight causal
 * and atomic group multicast", TOCS 1991, with delta groups per Almeida et al., JPDC 2018, section 7).
 * `../codec.ts` fixes the bytes (SPEC.md section 12).
 */
import type { CoreInput, CoreOutput, Outbox } from '@saorsa-gossip/types'

/** Origin (PeerId hex) and a sequence number. */
export type VvEntry = readonly [origin: string, seq: number]

/** Deltas of `origin` with sequence numbers in (from, to]. */
export type Cover = readonly [origin: string, from: number, to: number]

export interface Bundle {
  /** Sorted by origin, one per origin, from < to. */
  readonly cover: readonly Cover[]
  /** Needed state of origins outside `cover`: apply only when the local version vector has reached each. */
  readonly deps: readonly VvEntry[]
  /** The doc type's merged delta for everything covered. */
  readonly payload: Uint8Array
}

/** A fresh local delta, published on the document's topic. */
export interface DeltaMessage { readonly type: 'delta'; readonly bundle: Bundle }
/** Anti-entropy opening: a digest of the sender's version vector. */
export interface SummaryMessage { readonly type: 'summary'; readonly digest: Uint8Array; readonly entries: number }
/** "Here is my version vector; send me what I lack." Answer to a differing summary or a causal gap. */
export interface WantMessage { readonly type: 'want'; readonly vv: readonly VvEntry[] }
/** Missing deltas, merged, in causal order. */
export interface BundlesMessage { readonly type: 'bundles'; readonly bundles: readonly Bundle[] }
/** The whole state and the version vector it reflects, for a replica too far behind for deltas. */
export interface SnapshotMessage { readonly type: 'snapshot'; readonly vv: readonly VvEntry[]; readonly state: Uint8Array }

export type SyncMessage = DeltaMessage | SummaryMessage | WantMessage | BundlesMessage | SnapshotMessage

export type SyncTimer = { readonly type: 'anti-entropy'; readonly round: number }

export type SyncCommand =
  /** Begin periodic anti-entropy. */
  | { readonly type: 'start' }
  /** A local change: the doc type's delta payload, already applied to the local state. */
  | { readonly type: 'local'; readonly payload: Uint8Array }
  /** Run one anti-entropy round now (tests, and a fresh join). */
  | { readonly type: 'sync-now' }

export type DropReason = 'duplicate' | 'invalid-payload' | 'invalid-snapshot' | 'pending-full' | 'malformed-bundle'

export type SyncEvent =
  /** A bundle became part of the state (local or remote); storage appends it. */
  | { readonly type: 'applied'; readonly bundle: Bundle; readonly local: boolean }
  /** A snapshot was merged; storage should write a fresh snapshot. */
  | { readonly type: 'snapshot-applied'; readonly vv: readonly VvEntry[] }
  | { readonly type: 'dropped'; readonly reason: DropReason }

export type SyncInput = CoreInput<SyncMessage, SyncTimer, SyncCommand>
/** Core outputs plus `publish`: a delta for the document's topic. */
export type SyncOutput = CoreOutput<SyncMessage, SyncTimer, SyncEvent> | { readonly type: 'publish'; readonly msg: DeltaMessage }
export type SyncOutbox = Outbox<SyncOutput>

/**
 * A document's state as the sync core sees it: opaque delta payloads of one doc type. Implementations
 * live outside `proto/` (they decode payloads); they must be deterministic and idempotent.
 */
export interface SyncedState {
  /** Merges a remote delta payload; false when it is malformed (then the state is unchanged). */
  apply(payload: Uint8Array): boolean
  /** One payload with the effect of applying `payloads` in order. */
  merge(payloads: readonly Uint8Array[]): Uint8Array
  /** The whole state as one payload. */
  snapshot(): Uint8Array
}
