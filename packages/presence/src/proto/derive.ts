/**
 * Presence key schedule (SPEC.md section 13.2): everything a group member derives from the group's
 * MLS exporter secret for presence (RFC 9420 section 8.5, label "saorsa-gossip/presence/v1"). Keyed
 * BLAKE3 (BLAKE3 paper section 2.3, keyed_hash mode) with the exporter secret as the key; inputs of
 * distinct lengths (40, 11 and 13 bytes) keep the three outputs apart.
 */
import { blake3 } from '@noble/hashes/blake3.js'
import { concatBytes, ID_LENGTH, InvalidParametersError, u64be, utf8, type PeerId } from '@saorsa-gossip/types'

/** The MLS exporter label presence asks a group for; the exporter output is 32 bytes. */
export const PRESENCE_EXPORTER_LABEL = 'saorsa-gossip/presence/v1'
export const PRESENCE_SECRET_BYTES = 32

const KEY_INPUT = utf8('key')
const TOPIC_INPUT = utf8('topic')

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length !== PRESENCE_SECRET_BYTES) {
    throw new InvalidParametersError(`secret: expected ${PRESENCE_SECRET_BYTES} bytes`)
  }
}

function checkSlice(slice: number): void {
  if (!Number.isSafeInteger(slice) || slice < 0) throw new InvalidParametersError(`slice: expected a non-negative integer, got ${slice}`)
}

/** The time slice holding `wallMs`: tags, keys and topics change at every slice boundary. */
export function sliceOf(wallMs: number, sliceMs: number): number {
  return Math.floor(Math.max(0, wallMs) / sliceMs)
}

/** tag = BLAKE3-keyed(secret, member id (32 bytes) || u64be(slice)): one member's name for one slice. */
export function presenceTag(secret: Uint8Array, member: PeerId, slice: number): Uint8Array {
  checkSecret(secret)
  checkSlice(slice)
  if (member.bytes.length !== ID_LENGTH) throw new InvalidParametersError('member: expected a 32-byte PeerId')
  return blake3(concatBytes(member.bytes, u64be(slice)), { key: secret })
}

/** key = BLAKE3-keyed(secret, "key" || u64be(slice)): the ChaCha20-Poly1305 key of one slice's beacons. */
export function beaconKey(secret: Uint8Array, slice: number): Uint8Array {
  checkSecret(secret)
  checkSlice(slice)
  return blake3(concatBytes(KEY_INPUT, u64be(slice)), { key: secret })
}

/** topic = BLAKE3-keyed(secret, "topic" || u64be(slice)): the pubsub topic id of one slice's beacons. */
export function beaconTopic(secret: Uint8Array, slice: number): Uint8Array {
  checkSecret(secret)
  checkSlice(slice)
  return blake3(concatBytes(TOPIC_INPUT, u64be(slice)), { key: secret })
}
