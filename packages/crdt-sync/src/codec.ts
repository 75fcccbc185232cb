/**
 * CRDT sync wire codec (SPEC.md section 12): every message is one CBOR map whose `k` field names its
 * kind and whose `d` field is the 32-byte document id. Each channel accepts only its own kinds and
 * has its own cap, checked before parsing: the document topic carries `delta`, the request protocol
 * `summary`, `want` and `bundles`, the bulk stream `snapshot`. Covers and deps must be sorted by
 * origin without repeats, so a hostile bundle cannot name an origin twice. Throws only DecodeError.
 */
import { DecodeError, PeerId, decodeCbor, encodeCbor, fromHex, schema as s, type Schema, type TopicId } from '@saorsa-gossip/types'
import { CRDT_LIMITS } from './limits.ts'
import type { Bundle, Cover, SyncMessage, VvEntry } from './proto/messages.ts'

export type SyncChannel = 'topic' | 'request' | 'bulk'

export interface SyncFrame {
  readonly doc: TopicId
  readonly msg: SyncMessage
}

/**
 * A frame of a document bound to a group: the plain frame's bytes sealed under the document key of
 * group epoch `epoch` (SPEC.md 12.7). Only its document id is in the clear, for routing.
 */
export interface SealedFrame {
  readonly doc: TopicId
  readonly sealed: { readonly epoch: number; readonly nonce: Uint8Array; readonly ciphertext: Uint8Array }
}

/** ChaCha20-Poly1305 nonce and tag lengths (RFC 8439). */
export const SEALED_NONCE_BYTES = 12
export const SEALED_TAG_BYTES = 16

const CHANNEL_KINDS: Record<SyncChannel, readonly string[]> = {
  topic: ['delta'],
  request: ['summary', 'want', 'bundles'],
  bulk: ['snapshot'],
}

export const CHANNEL_CAPS: Record<SyncChannel, number> = {
  topic: CRDT_LIMITS.maxDeltaPayloadBytes + 2 * 1024,
  request: CRDT_LIMITS.maxControlFrameBytes,
  bulk: CRDT_LIMITS.maxSnapshotBytes + 1024 * 1024,
}

const seqSchema = s.uint()
const originSchema: Schema<string> = s.withItemBound((v, path) => s.peerId()(v, path).toHex(), 1)

function tuple<T extends unknown[]>(...items: { [K in keyof T]: Schema<T[K]> }): Schema<T> {
  return s.withItemBound((value, path) => {
    if (!Array.isArray(value) || value.length !== items.length) throw new DecodeError(`expected array of ${items.length}`, path)
    return items.map((item, i) => item(value[i], `${path}[${i}]`)) as T
  }, 1 + items.reduce((n: number, item) => n + s.itemBound(item as Schema<unknown>), 0))
}

/** A list of entries whose first element (origin hex) is strictly increasing. */
function sortedByOrigin<T extends readonly [string, ...number[]]>(item: Schema<T>, max: number, min = 0): Schema<T[]> {
  const list = s.array(item, { max, min })
  return s.withItemBound((value, path) => {
    const out = list(value, path)
    for (let i = 1; i < out.length; i++) {
      if (!(out[i - 1]![0] < out[i]![0])) throw new DecodeError('origins not strictly increasing', `${path}[${i}]`)
    }
    return out
  }, s.itemBound(list))
}

const vvSchema = sortedByOrigin<VvEntry>(tuple<[string, number]>(originSchema, s.uint({ min: 1 })), CRDT_LIMITS.maxWriters)

const coverTuple = tuple<[string, number, number]>(originSchema, seqSchema, seqSchema)
const coverSchema = sortedByOrigin<Cover>(s.withItemBound((v, path) => {
  const c = coverTuple(v, path)
  if (c[1] >= c[2]) throw new DecodeError('cover range is empty (from >= to)', path)
  return c
}, s.itemBound(coverTuple)), CRDT_LIMITS.maxWriters, 1)

function bundleSchema(maxPayload: number): Schema<Bundle> {
  return s.transform(
    s.object({ c: coverSchema, e: vvSchema, p: s.bytes({ max: maxPayload }) }),
    (w): Bundle => {
      const covered = new Set(w.c.map(([o]) => o))
      if (w.e.some(([o]) => covered.has(o))) throw new DecodeError('a dependency names a covered origin', 'e')
      return { cover: w.c, deps: w.e, payload: w.p }
    },
  )
}

const doc = s.topicId()

const frameSchema = s.variant('k', {
  sealed: s.transform(
    s.object({
      k: s.literal('sealed'), d: doc, e: s.uint(), n: s.bytes({ length: SEALED_NONCE_BYTES }),
      c: s.bytes({ min: SEALED_TAG_BYTES, max: CHANNEL_CAPS.bulk }),
    }),
    (w): SealedFrame => ({ doc: w.d, sealed: { epoch: w.e, nonce: w.n, ciphertext: w.c } }),
  ),
  delta: s.transform(
    s.object({ k: s.literal('delta'), d: doc, b: bundleSchema(CRDT_LIMITS.maxDeltaPayloadBytes) }),
    (w): SyncFrame => {
      if (w.b.cover.length !== 1) throw new DecodeError('a delta covers exactly one origin', 'b.c')
      return { doc: w.d, msg: { type: 'delta', bundle: w.b } }
    },
  ),
  summary: s.transform(
    s.object({ k: s.literal('summary'), d: doc, h: s.bytes({ length: 16 }), n: s.uint({ max: CRDT_LIMITS.maxWriters }) }),
    (w): SyncFrame => ({ doc: w.d, msg: { type: 'summary', digest: w.h, entries: w.n } }),
  ),
  want: s.transform(
    s.object({ k: s.literal('want'), d: doc, v: vvSchema }),
    (w): SyncFrame => ({ doc: w.d, msg: { type: 'want', vv: w.v } }),
  ),
  bundles: s.transform(
    s.object({ k: s.literal('bundles'), d: doc, b: s.array(bundleSchema(CRDT_LIMITS.maxControlFrameBytes), { min: 1, max: CRDT_LIMITS.maxBundlesPerMessage }) }),
    (w): SyncFrame => ({ doc: w.d, msg: { type: 'bundles', bundles: w.b } }),
  ),
  snapshot: s.transform(
    s.object({ k: s.literal('snapshot'), d: doc, v: vvSchema, s: s.bytes({ max: CRDT_LIMITS.maxSnapshotBytes }) }),
    (w): SyncFrame => ({ doc: w.d, msg: { type: 'snapshot', vv: w.v, state: w.s } }),
  ),
})

/** Decodes a plain frame received on `channel`; a kind that belongs to another channel, or a sealed frame, is a DecodeError. */
export function decodeSyncFrame(bytes: Uint8Array, channel: SyncChannel): SyncFrame {
  const frame = decodeWireFrame(bytes, channel)
  if ('sealed' in frame) throw new DecodeError('sealed frame where a plain one was expected', 'k')
  return frame
}

/** Decodes a plain or sealed frame received on `channel` (a sealed frame is accepted on every channel). */
export function decodeWireFrame(bytes: Uint8Array, channel: SyncChannel): SyncFrame | SealedFrame {
  const frame = decodeCbor(bytes, frameSchema, { maxBytes: CHANNEL_CAPS[channel] })
  if ('sealed' in frame) return frame
  if (!CHANNEL_KINDS[channel].includes(frame.msg.type)) throw new DecodeError(`kind '${frame.msg.type}' is not accepted on the ${channel} channel`, 'k')
  return frame
}

export function encodeSealedFrame(frame: SealedFrame): Uint8Array {
  const { epoch, nonce, ciphertext } = frame.sealed
  return encodeCbor({ k: 'sealed', d: frame.doc.bytes, e: epoch, n: nonce, c: ciphertext })
}

/**
 * The rule for a message on a document's topic (SPEC.md 12.2 "Trust"): a `delta` of that document
 * whose one cover entry is the pubsub origin's own changes. `wrong-origin` is a delta carrying
 * someone else's changes. The service and the shipped stack both apply this function.
 */
export function topicDeltaVerdict(topic: TopicId, origin: PeerId, frame: SyncFrame): 'accept' | 'reject' | 'wrong-origin' {
  if (!frame.doc.equals(topic) || frame.msg.type !== 'delta') return 'reject'
  return frame.msg.bundle.cover[0]![0] === origin.toHex() ? 'accept' : 'wrong-origin'
}

/** The channel a message travels on. */
export function channelOf(msg: SyncMessage): SyncChannel {
  return msg.type === 'delta' ? 'topic' : msg.type === 'snapshot' ? 'bulk' : 'request'
}

export function encodeSyncFrame(frame: SyncFrame): Uint8Array {
  const d = frame.doc.bytes
  const msg = frame.msg
  switch (msg.type) {
    case 'delta': return encodeCbor({ k: 'delta', d, b: bundleWire(msg.bundle) })
    case 'summary': return encodeCbor({ k: 'summary', d, h: msg.digest, n: msg.entries })
    case 'want': return encodeCbor({ k: 'want', d, v: vvWire(msg.vv) })
    case 'bundles': return encodeCbor({ k: 'bundles', d, b: msg.bundles.map(bundleWire) })
    case 'snapshot': return encodeCbor({ k: 'snapshot', d, v: vvWire(msg.vv), s: msg.state })
  }
}

const vvWire = (vv: readonly VvEntry[]) => vv.map(([o, n]) => [fromHex(o), n])
const bundleWire = (b: Bundle) => ({ c: b.cover.map(([o, f, t]) => [fromHex(o), f, t]), e: vvWire(b.deps), p: b.payload })

/** A record of the replica log file (SPEC.md section 12.5): an applied bundle, or a snapshot. */
export type StoreRecord =
  | { readonly type: 'bundle'; readonly bundle: Bundle }
  | { readonly type: 'snapshot'; readonly vv: readonly VvEntry[]; readonly state: Uint8Array }

const recordSchema = s.variant('k', {
  b: s.transform(s.object({ k: s.literal('b'), b: bundleSchema(CRDT_LIMITS.maxSnapshotBytes) }), (w): StoreRecord => ({ type: 'bundle', bundle: w.b })),
  s: s.transform(s.object({ k: s.literal('s'), v: vvSchema, s: s.bytes({ max: CRDT_LIMITS.maxSnapshotBytes }) }), (w): StoreRecord => ({ type: 'snapshot', vv: w.v, state: w.s })),
})

export function encodeStoreRecord(record: StoreRecord): Uint8Array {
  return record.type === 'bundle'
    ? encodeCbor({ k: 'b', b: bundleWire(record.bundle) })
    : encodeCbor({ k: 's', v: vvWire(record.vv), s: record.state })
}

export function decodeStoreRecord(bytes: Uint8Array): StoreRecord {
  return decodeCbor(bytes, recordSchema, { maxBytes: CRDT_LIMITS.maxSnapshotBytes + 1024 * 1024 })
}

/** PeerId of a hex origin (for callers that hold origins as hex). */
export const originPeer = (origin: string): PeerId => PeerId.fromHex(origin)
