/**
 * Wire encoding of the three handshake messages (SPEC.md section 5.2). Fixed-layout binary, every
 * length checked against the exact expected size before any field is read, so a malformed message
 * is rejected with HandshakeError without allocating more than its (capped) size.
 */
import { LIMITS, utf8 } from '@saorsa-gossip/types'
import { HandshakeError } from '../errors.ts'
import { TAG_BYTES } from './aead.ts'

export const MSG_M1 = 0x01
export const MSG_M2 = 0x02
export const MSG_M3 = 0x03
export const NONCE_LENGTH = 32
/** Versions an initiator may offer in one M1. */
export const MAX_OFFERED_VERSIONS = 8
/**
 * Protocol versions this implementation speaks, best first. Version 2 is the X-Wing handshake with
 * signalled key updates; version 1 (ML-KEM-768 alone, rekey by a shared local policy) is no longer spoken.
 */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([2])

/** X-Wing encapsulation key: ML-KEM-768 ek (1,184) || X25519 public key (32). */
export const XWING_EK_BYTES = LIMITS.mlkem768PublicKeyBytes + 32
/** X-Wing ciphertext: ML-KEM-768 ct (1,088) || X25519 ephemeral public key (32). */
export const XWING_CT_BYTES = LIMITS.mlkem768CiphertextBytes + 32

const EK = XWING_EK_BYTES
const CT = XWING_CT_BYTES
const PK = LIMITS.mldsa65PublicKeyBytes
const SIG = LIMITS.mldsa65SignatureBytes

export interface M1 { readonly versions: readonly number[]; readonly ek: Uint8Array; readonly nonce: Uint8Array }
export interface M2Head { readonly version: number; readonly ct: Uint8Array; readonly nonce: Uint8Array }
/** The encrypted part of M2 and M3: who I am, my signature, and the address I observe for you. */
export interface IdentityPayload { readonly publicKey: Uint8Array; readonly signature: Uint8Array; readonly observedAddr: string }

export const M2_HEAD_BYTES = 1 + 2 + CT + NONCE_LENGTH

export function encodeM1(m: M1): Uint8Array {
  const out = new Uint8Array(2 + 2 * m.versions.length + EK + NONCE_LENGTH)
  out[0] = MSG_M1
  out[1] = m.versions.length
  const view = new DataView(out.buffer)
  m.versions.forEach((v, i) => view.setUint16(2 + 2 * i, v))
  out.set(m.ek, 2 + 2 * m.versions.length)
  out.set(m.nonce, 2 + 2 * m.versions.length + EK)
  return out
}

export function decodeM1(bytes: Uint8Array): M1 {
  if (bytes.length < 2 || bytes[0] !== MSG_M1) throw new HandshakeError('M1: wrong message type')
  const count = bytes[1]!
  if (count < 1 || count > MAX_OFFERED_VERSIONS) throw new HandshakeError(`M1: version count ${count} outside 1..${MAX_OFFERED_VERSIONS}`)
  const expected = 2 + 2 * count + EK + NONCE_LENGTH
  if (bytes.length !== expected) throw new HandshakeError(`M1: length ${bytes.length}, expected ${expected}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const versions: number[] = []
  for (let i = 0; i < count; i++) versions.push(view.getUint16(2 + 2 * i))
  const at = 2 + 2 * count
  return { versions, ek: bytes.slice(at, at + EK), nonce: bytes.slice(at + EK, at + EK + NONCE_LENGTH) }
}

export function encodeM2Head(m: M2Head): Uint8Array {
  const out = new Uint8Array(M2_HEAD_BYTES)
  out[0] = MSG_M2
  new DataView(out.buffer).setUint16(1, m.version)
  out.set(m.ct, 3)
  out.set(m.nonce, 3 + CT)
  return out
}

/** Splits M2 into its clear head (decoded) and the sealed identity payload. */
export function decodeM2(bytes: Uint8Array): { head: M2Head; headBytes: Uint8Array; sealed: Uint8Array } {
  if (bytes.length < 1 || bytes[0] !== MSG_M2) throw new HandshakeError('M2: wrong message type')
  if (bytes.length < M2_HEAD_BYTES + minSealedPayload() || bytes.length > M2_HEAD_BYTES + maxSealedPayload()) {
    throw new HandshakeError(`M2: length ${bytes.length} out of range`)
  }
  const headBytes = bytes.subarray(0, M2_HEAD_BYTES)
  const version = (bytes[1]! << 8) | bytes[2]!
  return {
    head: { version, ct: bytes.slice(3, 3 + CT), nonce: bytes.slice(3 + CT, M2_HEAD_BYTES) },
    headBytes,
    sealed: bytes.subarray(M2_HEAD_BYTES),
  }
}

export function decodeM3(bytes: Uint8Array): { sealed: Uint8Array } {
  if (bytes.length < 1 || bytes[0] !== MSG_M3) throw new HandshakeError('M3: wrong message type')
  if (bytes.length < 1 + minSealedPayload() || bytes.length > 1 + maxSealedPayload()) {
    throw new HandshakeError(`M3: length ${bytes.length} out of range`)
  }
  return { sealed: bytes.subarray(1) }
}

function minSealedPayload(): number { return PK + SIG + 2 + TAG_BYTES }
function maxSealedPayload(): number { return PK + SIG + 2 + LIMITS.maxAddressLength + TAG_BYTES }

/** `u16be length || utf8(addr)`, the form in which an observed address enters payloads and signatures. */
export function encodeAddrField(addr: string): Uint8Array {
  const bytes = utf8(addr)
  if (bytes.length > LIMITS.maxAddressLength) throw new HandshakeError(`observed address longer than ${LIMITS.maxAddressLength} bytes`)
  const out = new Uint8Array(2 + bytes.length)
  new DataView(out.buffer).setUint16(0, bytes.length)
  out.set(bytes, 2)
  return out
}

export function encodeIdentityPayload(publicKey: Uint8Array, signature: Uint8Array, addrField: Uint8Array): Uint8Array {
  const out = new Uint8Array(PK + SIG + addrField.length)
  out.set(publicKey, 0)
  out.set(signature, PK)
  out.set(addrField, PK + SIG)
  return out
}

const decoder = new TextDecoder('utf-8', { fatal: true })

export function decodeIdentityPayload(bytes: Uint8Array, where: string): IdentityPayload & { addrField: Uint8Array } {
  if (bytes.length < PK + SIG + 2) throw new HandshakeError(`${where}: identity payload too short`)
  const addrLength = (bytes[PK + SIG]! << 8) | bytes[PK + SIG + 1]!
  if (addrLength > LIMITS.maxAddressLength || bytes.length !== PK + SIG + 2 + addrLength) {
    throw new HandshakeError(`${where}: bad observed-address length ${addrLength}`)
  }
  let observedAddr: string
  try {
    observedAddr = decoder.decode(bytes.subarray(PK + SIG + 2))
  } catch {
    throw new HandshakeError(`${where}: observed address is not UTF-8`)
  }
  return {
    publicKey: bytes.slice(0, PK),
    signature: bytes.slice(PK, PK + SIG),
    observedAddr,
    addrField: bytes.slice(PK + SIG),
  }
}
