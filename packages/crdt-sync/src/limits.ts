/**
 * Caps on everything crdt-sync decodes from the network or from storage (SPEC.md section 12.4). Each
 * states its reason: too small breaks honest peers, too large lets a hostile one allocate for free.
 */
import { LIMITS } from '@saorsa-gossip/types'

export const CRDT_LIMITS = Object.freeze({
  /** Writers per document a version vector may name: far above a collaborative document's authors, and a full vector (41 bytes each) fits one 80 KiB message. */
  maxWriters: 1_024,
  /** A published delta rides in one pubsub payload; 2 KiB is left for the bundle's own fields. */
  maxDeltaPayloadBytes: LIMITS.maxPayloadBytes - 2 * 1024,
  /** Bundles per reply: the log is merged into groups, so a reply rarely holds more than a few. */
  maxBundlesPerMessage: 64,
  /** A sync-protocol message (summary, want, bundles) travels as one pubsub-class message of the transport. */
  maxControlFrameBytes: LIMITS.maxPubsubFrameBytes,
  /** A snapshot travels on a bulk stream; 64 MiB bounds what a joining replica will accept. */
  maxSnapshotBytes: 64 * 1024 * 1024,
  /** Elements, keys or counter entries in one CRDT payload: a quarter million, within maxCrdtItems. */
  maxCrdtEntries: 250_000,
  /** CBOR data items in one CRDT payload or state: cbor-x spends ~60 bytes of heap per item, so 1 M items bound a hostile payload to ~60 MB. */
  maxCrdtItems: 1_000_000,
  /** Dots naming one OR-Set element (one per concurrent add that is still live). */
  maxDotsPerElement: 4_096,
  /** Length of an OR-Set element or a map key (UTF-16 code units, as JS counts). */
  maxKeyLength: 1_024,
  /** A register value (text or bytes). */
  maxValueBytes: 60 * 1024,
  /** Length of a document name. */
  maxDocNameBytes: LIMITS.maxTopicNameBytes,
})
