/**
 * Groups wire codec (SPEC.md section 10.5): group-topic payloads (encrypted messages, commits,
 * proposals), the request/response messages of `/saorsa-gossip/groups/1` and the Welcome sent on a
 * bulk stream. One CBOR map per message, kind in `k`, caps checked before parsing, every list
 * bounded, byte strings copied out. MLS bytes inside stay opaque here; group.ts decodes them.
 * Throws nothing but DecodeError.
 */
import { decodeCbor, encodeCbor, LIMITS, schema as s } from '@saorsa-gossip/types'

/** Group ids are 32 random bytes here; RFC 9420 allows any length, 64 bounds what others may send. */
export const MAX_GROUP_ID_BYTES = 64
/** An MLS commit inline on the group topic: leaves room for the envelope within a pubsub payload. */
export const MAX_INLINE_COMMIT_BYTES = 60 * 1024
/** ChaCha20-Poly1305 nonce and tag. */
export const NONCE_BYTES = 12
export const TAG_BYTES = 16
/** Plaintext of one group message: the envelope must fit one pubsub payload. */
export const MAX_GROUP_PLAINTEXT_BYTES = LIMITS.maxPayloadBytes - 256
/** A commit fetched by request (bulk adds of many 11 KB key packages; about 11 MB for 1,000 adds). */
export const MAX_COMMIT_BYTES = 16 * 1024 * 1024
/** Commits returned by one catch-up answer. */
export const MAX_COMMITS_PER_ANSWER = 64
/** A catch-up answer as a whole. */
export const MAX_COMMIT_ANSWER_BYTES = 32 * 1024 * 1024
/** A Welcome for many joiners (1.2 MB for 998) and the ratchet tree beside it (6.5 MB at 1,000 members). */
export const MAX_WELCOME_BYTES = 16 * 1024 * 1024
export const MAX_TREE_BYTES = 32 * 1024 * 1024
/** A key package: an ML-DSA-65 suite one is about 11 KB (1952 B leaf key, 3309 B signature, 1184 B KEM keys). */
export const MAX_KEY_PACKAGE_BYTES = 32 * 1024
/** Error reasons are short machine-readable words. */
export const MAX_REASON_LENGTH = 128

/** Payloads of a group topic. */
export type GroupTopicPayload =
  | { readonly type: 'message'; readonly groupId: Uint8Array; readonly epoch: number; readonly nonce: Uint8Array; readonly ciphertext: Uint8Array }
  /** `commit` undefined: a reference to a commit too large for the topic; fetch it from the origin. */
  | {
    readonly type: 'commit'; readonly groupId: Uint8Array; readonly epoch: number; readonly parent: Uint8Array
    readonly hash: Uint8Array; readonly commit: Uint8Array | undefined
  }
  | { readonly type: 'proposal'; readonly groupId: Uint8Array; readonly epoch: number; readonly proposal: Uint8Array }

/** A commit as served to a member catching up. */
export interface ServedCommit {
  readonly epoch: number
  readonly parent: Uint8Array
  readonly hash: Uint8Array
  readonly commit: Uint8Array
}

/** Requests and answers of the `/saorsa-gossip/groups/1` request/response protocol, and the bulk Welcome. */
export type GroupsRpcMessage =
  | { readonly type: 'key-package-request'; readonly suite: number }
  | { readonly type: 'key-package'; readonly keyPackage: Uint8Array }
  | { readonly type: 'commits-request'; readonly groupId: Uint8Array; readonly sinceEpoch: number; readonly hash: Uint8Array | undefined }
  | { readonly type: 'commits'; readonly groupId: Uint8Array; readonly commits: readonly ServedCommit[] }
  | { readonly type: 'welcome'; readonly groupId: Uint8Array; readonly welcome: Uint8Array; readonly ratchetTree: Uint8Array }
  | { readonly type: 'ok' }
  | { readonly type: 'error'; readonly reason: string }

const groupId = () => s.bytes({ min: 1, max: MAX_GROUP_ID_BYTES })
const hash32 = () => s.bytes({ length: 32 })
const epoch = () => s.uint()

const topicSchema = s.variant('k', {
  msg: s.transform(
    s.object({
      k: s.literal('msg'), g: groupId(), e: epoch(), n: s.bytes({ length: NONCE_BYTES }),
      c: s.bytes({ min: TAG_BYTES, max: MAX_GROUP_PLAINTEXT_BYTES + TAG_BYTES }),
    }),
    (w): GroupTopicPayload => ({ type: 'message', groupId: w.g, epoch: w.e, nonce: w.n, ciphertext: w.c }),
  ),
  commit: s.transform(
    s.object({
      k: s.literal('commit'), g: groupId(), e: epoch(), p: hash32(), h: hash32(),
      m: s.optional(s.bytes({ min: 1, max: MAX_INLINE_COMMIT_BYTES })),
    }),
    (w): GroupTopicPayload => ({ type: 'commit', groupId: w.g, epoch: w.e, parent: w.p, hash: w.h, commit: w.m }),
  ),
  prop: s.transform(
    s.object({ k: s.literal('prop'), g: groupId(), e: epoch(), m: s.bytes({ min: 1, max: MAX_INLINE_COMMIT_BYTES }) }),
    (w): GroupTopicPayload => ({ type: 'proposal', groupId: w.g, epoch: w.e, proposal: w.m }),
  ),
})

const servedCommit = s.object({ e: epoch(), p: hash32(), h: hash32(), m: s.bytes({ min: 1, max: MAX_COMMIT_BYTES }) })

const rpcSchema = s.variant('k', {
  kpreq: s.transform(
    s.object({ k: s.literal('kpreq'), s: s.uint({ max: 0xffff }) }),
    (w): GroupsRpcMessage => ({ type: 'key-package-request', suite: w.s }),
  ),
  kp: s.transform(
    s.object({ k: s.literal('kp'), p: s.bytes({ min: 1, max: MAX_KEY_PACKAGE_BYTES }) }),
    (w): GroupsRpcMessage => ({ type: 'key-package', keyPackage: w.p }),
  ),
  creq: s.transform(
    s.object({ k: s.literal('creq'), g: groupId(), e: epoch(), h: s.optional(hash32()) }),
    (w): GroupsRpcMessage => ({ type: 'commits-request', groupId: w.g, sinceEpoch: w.e, hash: w.h }),
  ),
  clog: s.transform(
    s.object({ k: s.literal('clog'), g: groupId(), c: s.array(servedCommit, { max: MAX_COMMITS_PER_ANSWER }) }),
    (w): GroupsRpcMessage => ({
      type: 'commits', groupId: w.g, commits: w.c.map((c) => ({ epoch: c.e, parent: c.p, hash: c.h, commit: c.m })),
    }),
  ),
  welcome: s.transform(
    s.object({ k: s.literal('welcome'), g: groupId(), w: s.bytes({ min: 1, max: MAX_WELCOME_BYTES }), t: s.bytes({ min: 1, max: MAX_TREE_BYTES }) }),
    (w): GroupsRpcMessage => ({ type: 'welcome', groupId: w.g, welcome: w.w, ratchetTree: w.t }),
  ),
  ok: s.transform(s.object({ k: s.literal('ok') }), (): GroupsRpcMessage => ({ type: 'ok' })),
  err: s.transform(
    s.object({ k: s.literal('err'), r: s.text({ max: MAX_REASON_LENGTH }) }),
    (w): GroupsRpcMessage => ({ type: 'error', reason: w.r }),
  ),
})

/** Largest group-topic payload: one pubsub payload. */
export const MAX_TOPIC_PAYLOAD_BYTES = LIMITS.maxPayloadBytes
/** Largest request/response or bulk message: a Welcome plus its tree, or a full catch-up answer. */
export const MAX_RPC_BYTES = MAX_WELCOME_BYTES + MAX_TREE_BYTES + 1024

export function decodeGroupTopicPayload(bytes: Uint8Array): GroupTopicPayload {
  return decodeCbor(bytes, topicSchema, { maxBytes: MAX_TOPIC_PAYLOAD_BYTES })
}

export function encodeGroupTopicPayload(msg: GroupTopicPayload): Uint8Array {
  switch (msg.type) {
    case 'message': return encodeCbor({ k: 'msg', g: msg.groupId, e: msg.epoch, n: msg.nonce, c: msg.ciphertext })
    case 'commit': {
      const wire: Record<string, unknown> = { k: 'commit', g: msg.groupId, e: msg.epoch, p: msg.parent, h: msg.hash }
      if (msg.commit !== undefined) wire['m'] = msg.commit
      return encodeCbor(wire)
    }
    case 'proposal': return encodeCbor({ k: 'prop', g: msg.groupId, e: msg.epoch, m: msg.proposal })
  }
}

/** Decodes a request/response or bulk message; `maxBytes` narrows the cap for small exchanges. */
export function decodeGroupsRpc(bytes: Uint8Array, maxBytes = MAX_RPC_BYTES): GroupsRpcMessage {
  return decodeCbor(bytes, rpcSchema, { maxBytes: Math.min(maxBytes, MAX_RPC_BYTES) })
}

export function encodeGroupsRpc(msg: GroupsRpcMessage): Uint8Array {
  switch (msg.type) {
    case 'key-package-request': return encodeCbor({ k: 'kpreq', s: msg.suite })
    case 'key-package': return encodeCbor({ k: 'kp', p: msg.keyPackage })
    case 'commits-request': {
      const wire: Record<string, unknown> = { k: 'creq', g: msg.groupId, e: msg.sinceEpoch }
      if (msg.hash !== undefined) wire['h'] = msg.hash
      return encodeCbor(wire)
    }
    case 'commits':
      return encodeCbor({ k: 'clog', g: msg.groupId, c: msg.commits.map((c) => ({ e: c.epoch, p: c.parent, h: c.hash, m: c.commit })) })
    case 'welcome': return encodeCbor({ k: 'welcome', g: msg.groupId, w: msg.welcome, t: msg.ratchetTree })
    case 'ok': return encodeCbor({ k: 'ok' })
    case 'error': return encodeCbor({ k: 'err', r: msg.reason })
  }
}
