/**
 * Sealing of presence data (SPEC.md section 13.4): ChaCha20-Poly1305 (RFC 8439) under the slice's
 * beacon key for beacons, and under a key derived from an ML-KEM-768 shared secret (FIPS 203) for
 * FIND_USER answers. The associated data binds each ciphertext to where it travels (topic and tag,
 * or query id and target), so a sealed body cannot be moved to another slice, member or query.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { blake3 } from '@noble/hashes/blake3.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { concatBytes, utf8, type PeerId, type Rng } from '@saorsa-gossip/types'

const BEACON_AAD = utf8('saorsa-gossip/presence-beacon/v1')
const ANSWER_AAD = utf8('saorsa-gossip/presence-find-user/v1')
const ANSWER_KEY_INPUT = utf8('find-user-answer')

export function sealBeacon(key: Uint8Array, topic: Uint8Array, tag: Uint8Array, nonce: Uint8Array, body: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce, concatBytes(BEACON_AAD, topic, tag)).encrypt(body)
}

/** The body, or undefined when the key, topic, tag, nonce or ciphertext do not match (never throws). */
export function openBeacon(key: Uint8Array, topic: Uint8Array, tag: Uint8Array, nonce: Uint8Array, ct: Uint8Array): Uint8Array | undefined {
  try {
    return chacha20poly1305(key, nonce, concatBytes(BEACON_AAD, topic, tag)).decrypt(ct)
  } catch {
    return undefined
  }
}

/** A one-time ML-KEM-768 key pair for one FIND_USER query, from 64 bytes of the injected Rng. */
export function findUserKeys(rng: Rng): { publicKey: Uint8Array; secretKey: Uint8Array } {
  return ml_kem768.keygen(rng.fill(new Uint8Array(64)))
}

function answerKey(sharedSecret: Uint8Array, qid: Uint8Array): Uint8Array {
  return blake3(concatBytes(ANSWER_KEY_INPUT, qid), { key: sharedSecret })
}

/** Encapsulates to the requester's key and seals `answer` under the derived key. */
export function sealAnswer(
  requesterKem: Uint8Array, qid: Uint8Array, target: PeerId, answer: Uint8Array, rng: Rng,
): { kemCt: Uint8Array; nonce: Uint8Array; ct: Uint8Array } {
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(requesterKem, rng.fill(new Uint8Array(32)))
  const nonce = rng.fill(new Uint8Array(12))
  const ct = chacha20poly1305(answerKey(sharedSecret, qid), nonce, concatBytes(ANSWER_AAD, qid, target.bytes)).encrypt(answer)
  return { kemCt: cipherText, nonce, ct }
}

/** The answer bytes, or undefined if the reply was not sealed to `secretKey` for this query (never throws). */
export function openAnswer(
  secretKey: Uint8Array, qid: Uint8Array, target: PeerId, reply: { kemCt: Uint8Array; nonce: Uint8Array; ct: Uint8Array },
): Uint8Array | undefined {
  try {
    const sharedSecret = ml_kem768.decapsulate(reply.kemCt, secretKey)
    return chacha20poly1305(answerKey(sharedSecret, qid), reply.nonce, concatBytes(ANSWER_AAD, qid, target.bytes)).decrypt(reply.ct)
  } catch {
    return undefined
  }
}
