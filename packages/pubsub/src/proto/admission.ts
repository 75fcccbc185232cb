/**
 * Cheap admission checks on a published message, run after deduplication and before any hashing or
 * signature work (probe-crypto section 7: a forged signature costs as much to reject as a good one
 * to accept, so everything that can reject a message without the signature goes first): the origin
 * timestamp against our wall clock, the per-origin anti-replay window (`replay-window.ts`), and the
 * declared payload length.
 */
import { MessageId, PeerId, type MessageHeader } from '@saorsa-gossip/types'
import type { PublishMessage } from './messages.ts'
import type { ReplayWindows } from './replay-window.ts'

export type AdmissionVerdict = 'ok' | 'expired' | 'future' | 'replayed' | 'length-mismatch'

export interface AdmissionLimits {
  readonly maxMessageAgeMs: number
  readonly maxFutureSkewMs: number
}

export function admit(
  header: MessageHeader,
  payloadLength: number,
  wallMs: number,
  windows: ReplayWindows,
  limits: AdmissionLimits,
): AdmissionVerdict {
  if (wallMs - header.timestampMs > limits.maxMessageAgeMs) return 'expired'
  if (header.timestampMs - wallMs > limits.maxFutureSkewMs) return 'future'
  if (windows.isReplay(header.origin.toHex(), header.seq)) return 'replayed'
  if (payloadLength !== header.payloadLength) return 'length-mismatch'
  return 'ok'
}

/** A key carried by the message itself, if it hashes to the origin (checked before any use). */
export function carriedKey(msg: PublishMessage): Uint8Array | undefined {
  const key = msg.originKey
  return key !== undefined && PeerId.fromPublicKey(key).equals(msg.header.origin) ? key : undefined
}

/** Ids by header object: a message is hashed once however many checks ask for its id. */
const ids = new WeakMap<MessageHeader, MessageId>()
export function idOf(header: MessageHeader): MessageId {
  let id = ids.get(header)
  if (id === undefined) {
    id = MessageId.derive(header.origin, header.seq, header.payloadHash)
    ids.set(header, id)
  }
  return id
}
