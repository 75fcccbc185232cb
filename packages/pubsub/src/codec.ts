/**
 * PubSub wire codec (SPEC.md section 7): every message is one CBOR map whose `k` field names its
 * kind. The decoder checks the frame cap (LIMITS.maxPubsubFrameBytes) before parsing, bounds every
 * repeated field, copies byte strings out of the receive buffer and decodes the signed header, so
 * only well-formed values reach the core. It throws nothing but DecodeError.
 */
import {
  DecodeError, LIMITS, MAX_HEADER_BYTES, decodeCbor, decodeMessageHeader, encodeCbor, schema as s,
} from '@saorsa-gossip/types'
import { DIGEST_BYTES, MAX_DIGEST_IDS, MAX_DIGEST_WINDOW_MS, MAX_SKETCH_CELLS } from './proto/anti-entropy.ts'
import { IBLT_CELL_BYTES } from './proto/iblt.ts'
import { HELD_KEY_PREFIX_BYTES, MAX_HELD_KEY_PREFIXES } from './proto/keys.ts'
import { MAX_HOP, type PubSubMessage } from './proto/messages.ts'

/** Topics per SUBSCRIBE / UNSUBSCRIBE. */
export const MAX_TOPICS_PER_MESSAGE = 64
/** Origins per KEY_REQUEST and keys per KEY_RESPONSE. */
export const MAX_KEYS_PER_MESSAGE = 8
export { MAX_SKETCH_CELLS } from './proto/anti-entropy.ts'

const ids = (max: number) => s.array(s.messageId(), { max })
const hops = (max: number) => s.array(s.uint({ max: MAX_HOP }), { max })

const wireSchema = s.variant('k', {
  pub: s.transform(
    s.object({
      k: s.literal('pub'),
      h: s.bytes({ min: 1, max: MAX_HEADER_BYTES }),
      s: s.bytes({ min: 1, max: LIMITS.mldsa65SignatureBytes }),
      p: s.bytes({ max: LIMITS.maxPayloadBytes }),
      d: s.uint({ min: 1, max: MAX_HOP }),
      o: s.optional(s.bytes({ min: 1, max: LIMITS.mldsa65PublicKeyBytes })),
    }),
    (w): PubSubMessage => ({
      type: 'publish', headerBytes: w.h, header: decodeMessageHeader(w.h), signature: w.s, payload: w.p, hop: w.d,
      ...(w.o === undefined ? {} : { originKey: w.o }),
    }),
  ),
  nbr: s.transform(
    s.object({
      k: s.literal('nbr'),
      h: s.bytes({ min: 1, max: MAX_HEADER_BYTES }),
      s: s.bytes({ min: 1, max: LIMITS.mldsa65SignatureBytes }),
      p: s.bytes({ max: LIMITS.maxPayloadBytes }),
    }),
    (w): PubSubMessage => ({
      type: 'publish', headerBytes: w.h, header: decodeMessageHeader(w.h), signature: w.s, payload: w.p, hop: 1, neighborsOnly: true,
    }),
  ),
  ihave: s.transform(
    s.object({ k: s.literal('ihave'), t: s.topicId(), i: ids(LIMITS.maxIhaveIds), d: hops(LIMITS.maxIhaveIds) }),
    (w): PubSubMessage => {
      if (w.i.length !== w.d.length) throw new DecodeError('ihave: ids and hops differ in length', 'd')
      return { type: 'ihave', topic: w.t, ids: w.i, hops: w.d }
    },
  ),
  iwant: s.transform(
    s.object({ k: s.literal('iwant'), t: s.topicId(), i: ids(LIMITS.maxIwantIds) }),
    (w): PubSubMessage => ({ type: 'iwant', topic: w.t, ids: w.i }),
  ),
  graft: s.transform(
    s.object({ k: s.literal('graft'), t: s.topicId(), i: ids(LIMITS.maxIwantIds) }),
    (w): PubSubMessage => ({ type: 'graft', topic: w.t, ids: w.i }),
  ),
  prune: s.transform(s.object({ k: s.literal('prune'), t: s.topicId() }), (w): PubSubMessage => ({ type: 'prune', topic: w.t })),
  sub: s.transform(
    s.object({
      k: s.literal('sub'),
      t: s.array(s.topicId(), { min: 1, max: MAX_TOPICS_PER_MESSAGE }),
      r: s.bool(),
      h: s.optional(s.bytes({ min: HELD_KEY_PREFIX_BYTES, max: MAX_HELD_KEY_PREFIXES * HELD_KEY_PREFIX_BYTES })),
    }),
    (w): PubSubMessage => {
      if (w.h !== undefined && w.h.length % HELD_KEY_PREFIX_BYTES !== 0) throw new DecodeError('sub: held keys not a whole number of 8-byte prefixes', 'h')
      return { type: 'subscribe', topics: w.t, reply: w.r, ...(w.h === undefined ? {} : { heldKeys: w.h }) }
    },
  ),
  unsub: s.transform(
    s.object({ k: s.literal('unsub'), t: s.array(s.topicId(), { min: 1, max: MAX_TOPICS_PER_MESSAGE }) }),
    (w): PubSubMessage => ({ type: 'unsubscribe', topics: w.t }),
  ),
  keyreq: s.transform(
    s.object({ k: s.literal('keyreq'), o: s.array(s.peerId(), { min: 1, max: MAX_KEYS_PER_MESSAGE }) }),
    (w): PubSubMessage => ({ type: 'key-request', origins: w.o }),
  ),
  key: s.transform(
    s.object({ k: s.literal('key'), p: s.array(s.bytes({ min: 1, max: LIMITS.mldsa65PublicKeyBytes }), { min: 1, max: MAX_KEYS_PER_MESSAGE }) }),
    (w): PubSubMessage => ({ type: 'key-response', keys: w.p }),
  ),
  sketch: s.transform(
    s.object({ k: s.literal('sketch'), t: s.topicId(), n: s.uint(), c: s.bytes({ min: 3 * IBLT_CELL_BYTES, max: MAX_SKETCH_CELLS * IBLT_CELL_BYTES }) }),
    (w): PubSubMessage => {
      if (w.c.length % (3 * IBLT_CELL_BYTES) !== 0) throw new DecodeError('sketch: not a whole number of 3-cell groups', 'c')
      return { type: 'sketch', topic: w.t, count: w.n, cells: w.c }
    },
  ),
  have: s.transform(
    s.object({ k: s.literal('have'), t: s.topicId(), i: ids(LIMITS.maxIhaveIds), f: s.bool() }),
    (w): PubSubMessage => ({ type: 'have', topic: w.t, ids: w.i, complete: w.f }),
  ),
  digest: s.transform(
    s.object({ k: s.literal('digest'), t: s.topicId(), a: s.uint(), b: s.uint(), n: s.uint({ max: MAX_DIGEST_IDS }), x: s.bytes({ length: DIGEST_BYTES }) }),
    (w): PubSubMessage => {
      if (w.b < w.a || w.b - w.a > MAX_DIGEST_WINDOW_MS) throw new DecodeError(`digest: window must be 0 to ${MAX_DIGEST_WINDOW_MS} ms long`, 'b')
      return { type: 'digest', topic: w.t, fromMs: w.a, toMs: w.b, count: w.n, hash: w.x }
    },
  ),
})

export function decodePubSubMessage(bytes: Uint8Array): PubSubMessage {
  return decodeCbor(bytes, wireSchema, { maxBytes: LIMITS.maxPubsubFrameBytes })
}

export function encodePubSubMessage(msg: PubSubMessage): Uint8Array {
  return encodeCbor(toWire(msg))
}

function toWire(msg: PubSubMessage): Record<string, unknown> {
  switch (msg.type) {
    case 'publish': {
      // A neighbour broadcast travels one link, straight from its origin: no hop, no carried key.
      if (msg.neighborsOnly === true) return { k: 'nbr', h: msg.headerBytes, s: msg.signature, p: msg.payload }
      const wire: Record<string, unknown> = { k: 'pub', h: msg.headerBytes, s: msg.signature, p: msg.payload, d: msg.hop }
      if (msg.originKey !== undefined) wire['o'] = msg.originKey
      return wire
    }
    case 'ihave': return { k: 'ihave', t: msg.topic.bytes, i: msg.ids.map((id) => id.bytes), d: [...msg.hops] }
    case 'iwant': return { k: 'iwant', t: msg.topic.bytes, i: msg.ids.map((id) => id.bytes) }
    case 'graft': return { k: 'graft', t: msg.topic.bytes, i: msg.ids.map((id) => id.bytes) }
    case 'prune': return { k: 'prune', t: msg.topic.bytes }
    case 'subscribe': {
      const wire: Record<string, unknown> = { k: 'sub', t: msg.topics.map((t) => t.bytes), r: msg.reply }
      if (msg.heldKeys !== undefined) wire['h'] = msg.heldKeys
      return wire
    }
    case 'unsubscribe': return { k: 'unsub', t: msg.topics.map((t) => t.bytes) }
    case 'key-request': return { k: 'keyreq', o: msg.origins.map((o) => o.bytes) }
    case 'key-response': return { k: 'key', p: [...msg.keys] }
    case 'sketch': return { k: 'sketch', t: msg.topic.bytes, n: msg.count, c: msg.cells }
    case 'have': return { k: 'have', t: msg.topic.bytes, i: msg.ids.map((id) => id.bytes), f: msg.complete }
    case 'digest': return { k: 'digest', t: msg.topic.bytes, a: msg.fromMs, b: msg.toMs, n: msg.count, x: msg.hash }
  }
}
