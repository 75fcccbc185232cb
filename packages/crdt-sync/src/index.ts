/**
 * @packageDocumentation
 * Local-first documents for Saorsa Gossip: delta-state CRDTs (Almeida, Shoker, Baquero, JPDC 2018)
 * — an add-wins OR-Set, last-writer-wins registers and maps on a hybrid logical clock, a PN-counter —
 * and collaborative text on Yjs, replicated by a sans-IO sync core: local deltas are published at
 * once, remote ones are applied in causal order only, and anti-entropy compares 16-byte version-vector
 * digests, then exchanges exactly the missing delta groups or a snapshot. Replicas persist in an
 * append-only log with group-committed fsync. A document opened with an MLS group is sealed on the
 * wire under a key from the group's exporter. Wire format: SPEC.md section 12.
 *
 * @example
 * ```ts
 * // The service: one pubsub topic per document, sync messages and snapshots on the transport.
 * import { createCrdtSync } from '@saorsa-gossip/crdt-sync'
 *
 * const crdt = createCrdtSync({ storeDir: '/var/lib/app/crdt' }, { peerId, transport, pubsub })
 * crdt.start()
 * const list = await crdt.open('shopping', { type: 'set' })
 * list.doc.add('milk')
 * await list.flushed()                          // durable
 * for await (const change of list.changes()) console.log(change.cover, list.doc.values())
 *
 * // Only members of an MLS group (`@saorsa-gossip/groups`) can read this one.
 * const plans = await crdt.open('plans', { type: 'map', group: session.group })
 * ```
 *
 * @example
 * ```ts
 * // One replica without IO, for drivers and tests.
 * import { PeerId, SeededRng } from '@saorsa-gossip/types'
 * import { CRDT_LOCAL, ReplicaCore, SetDoc } from '@saorsa-gossip/crdt-sync'
 *
 * const [alice, bob] = [1, 2].map((n) => PeerId.fromPublicKey(new Uint8Array(32).fill(n)))
 * const open = (self: PeerId) => new ReplicaCore({ self, doc: new SetDoc(self.toHex()), config: CRDT_LOCAL, rng: new SeededRng(1), now: () => 0 })
 * const a = open(alice)
 * const b = open(bob)
 * a.doc.add('milk')
 * for (const out of a.drain()) if (out.type === 'publish') b.handle({ type: 'recv', from: alice, msg: out.msg })
 * console.log(b.doc.values()) // ['milk']
 * ```
 */
import { CrdtSyncService, type CrdtSyncComponents, type CrdtSyncInit } from './service.ts'

export type CrdtSync = CrdtSyncService

/** Creates the crdt-sync service from options and components; `start()` it, then `open()` documents. */
export function createCrdtSync(init: CrdtSyncInit, components: CrdtSyncComponents): CrdtSync {
  return new CrdtSyncService(init, components)
}

export {
  CRDT_SNAPSHOT_PROTOCOL, CRDT_SYNC_PROTOCOL, CrdtSyncService,
  type CrdtConnection, type CrdtPubSub, type CrdtSyncComponents, type CrdtSyncInit, type CrdtSyncMetrics, type CrdtTransport,
} from './service.ts'
export { Replica, type DocFor, type ReplicaChange, type ReplicaEvents } from './replica-handle.ts'
export { CRDT_LAN, CRDT_LOCAL, CRDT_WAN } from './config.ts'
export type { SyncConfig } from './proto/config.ts'
export { CRDT_LIMITS } from './limits.ts'
export { DocTypeError, StoreError } from './errors.ts'
export { DocState, type DocType } from './docs/doc-state.ts'
export { CounterDoc, MapDoc, RegisterDoc, SetDoc } from './docs/crdt-docs.ts'
export { TextDoc, YJS_V1, YJS_V2 } from './docs/text-doc.ts'
export { ReplicaCore, type ReplicaCoreInit } from './replica.ts'
export { StoredReplica, type StoredReplicaInit } from './store/replica-store.ts'
export { LogFile, parseLog, type LoadedLog } from './store/log-file.ts'
export {
  CHANNEL_CAPS, channelOf, decodeStoreRecord, decodeSyncFrame, decodeWireFrame, encodeSealedFrame, encodeStoreRecord, encodeSyncFrame,
  SEALED_NONCE_BYTES, SEALED_TAG_BYTES, topicDeltaVerdict, type SealedFrame, type StoreRecord, type SyncChannel, type SyncFrame,
} from './codec.ts'
export { CRDT_EXPORTER_LABEL, DocCipher, type CrdtGroup } from './group-key.ts'
export { decodeLwwMap, decodeOrSet, decodePnCounter, encodeLwwMap, encodeOrSet, encodePnCounter } from './docs/payload-codec.ts'
export type { LwwValue } from './proto/lww.ts'
export type { Bundle, DropReason, SyncEvent, SyncMessage, SyncOutput, VvEntry } from './proto/messages.ts'
