/**
 * Key schedule of the secure channel (SPEC.md section 5.3): the transcript hash chain and every key
 * derived with BLAKE3 in derive-key mode, one context string per purpose so no two keys can collide
 * (key separation), and the per-direction rekey step.
 */
import { blake3 } from '@noble/hashes/blake3.js'
import { concatBytes, utf8 } from '@saorsa-gossip/types'

export const KDF_CONTEXT = Object.freeze({
  handshake: 'saorsa-gossip 2026-12 transport v2 handshake keys',
  traffic: 'saorsa-gossip 2026-12 transport v2 traffic keys',
  rekey: 'saorsa-gossip 2026-12 transport v2 rekey',
})

const CONTEXT_BYTES = {
  handshake: utf8(KDF_CONTEXT.handshake),
  traffic: utf8(KDF_CONTEXT.traffic),
  rekey: utf8(KDF_CONTEXT.rekey),
}

/** Transcript hash chain: `h_next = BLAKE3(h_prev || part)`, starting from `BLAKE3(M1)`. */
export function transcriptStart(m1: Uint8Array): Uint8Array {
  return blake3(m1)
}

export function transcriptNext(previous: Uint8Array, part: Uint8Array): Uint8Array {
  return blake3(concatBytes(previous, part))
}

export interface DirectionalKeys {
  /** Protects data the initiator sends. */
  readonly initiatorToResponder: Uint8Array
  /** Protects data the responder sends. */
  readonly responderToInitiator: Uint8Array
}

/** Derives 64 bytes from `secret || transcript` and splits them; the concatenation and the output are wiped. */
function deriveSplit(context: Uint8Array, secret: Uint8Array, transcript: Uint8Array): DirectionalKeys {
  const input = concatBytes(secret, transcript)
  const okm = blake3(input, { context, dkLen: 64 })
  input.fill(0)
  const keys = { initiatorToResponder: okm.slice(0, 32), responderToInitiator: okm.slice(32, 64) }
  okm.fill(0)
  return keys
}

/** Keys that encrypt the identity parts of M2 and M3: BLAKE3-derive(ctx_handshake, ss || h2), 64 bytes. */
export function deriveHandshakeKeys(sharedSecret: Uint8Array, h2: Uint8Array): DirectionalKeys {
  return deriveSplit(CONTEXT_BYTES.handshake, sharedSecret, h2)
}

/** Record keys: BLAKE3-derive(ctx_traffic, ss || h4), 64 bytes, one half per direction. */
export function deriveTrafficKeys(sharedSecret: Uint8Array, h4: Uint8Array): DirectionalKeys {
  return deriveSplit(CONTEXT_BYTES.traffic, sharedSecret, h4)
}

/** The next key of one direction after a rekey: BLAKE3-derive(ctx_rekey, key). One-way, so old keys stay safe. */
export function nextKey(key: Uint8Array): Uint8Array {
  return blake3(key, { context: CONTEXT_BYTES.rekey, dkLen: 32 })
}
