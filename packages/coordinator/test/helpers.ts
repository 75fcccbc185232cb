/**
 * Test fixtures: fixed-seed ML-DSA-65 identities (real signatures, deterministic), cheap fake
 * signers for core tests (BLAKE3 of key and body, which fails exactly like a real signature when the
 * body or key changes), and raw body builders for adverts that break a rule on purpose.
 */
import { Identity, nobleMlDsa65Deterministic } from '@saorsa-gossip/identity'
import { LIMITS, PeerId, SeededRng, bytesEqual, concatBytes, encodeCbor, encodeSignedEnvelope, payloadHash } from '@saorsa-gossip/types'
import { COORDINATOR_DOMAIN } from '../src/domains.ts'

const identities = new Map<number, Identity>()

/** The ML-DSA-65 identity generated from the 32-byte seed whose every byte is `n`. */
export function identity(n: number): Identity {
  let id = identities.get(n)
  if (id === undefined) {
    id = Identity.generate({ seed: new Uint8Array(32).fill(n), backend: nobleMlDsa65Deterministic })
    identities.set(n, id)
  }
  return id
}

export const T0 = 1_767_225_600_000 // 2026-01-01T00:00:00Z
export const HOUR = 3_600_000

/** Signs an arbitrary advert body map (for adverts that break a rule the builder refuses). */
export function rawAdvert(signer: Identity, body: Record<string, unknown>): Uint8Array {
  const bodyBytes = encodeCbor(body)
  return encodeSignedEnvelope({ body: bodyBytes, sig: signer.sign(COORDINATOR_DOMAIN.advert, bodyBytes) })
}

export function advertBody(signer: Identity, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1, id: signer.peerId.bytes, pk: signer.publicKey, r: ['coordinator'], a: ['tcp://203.0.113.7:7000'], nat: 'eim',
    nb: T0, na: T0 + HOUR, s: 1, ...overrides,
  }
}

/** A fake 1,952-byte key and its PeerId, for cores that only need the shape. */
export function fakeKey(n: number): { publicKey: Uint8Array; peerId: PeerId } {
  const publicKey = new SeededRng(`key-${n}`).fill(new Uint8Array(LIMITS.mldsa65PublicKeyBytes))
  return { publicKey, peerId: PeerId.fromPublicKey(publicKey) }
}

export function fakeSign(publicKey: Uint8Array): (body: Uint8Array) => Uint8Array {
  return (body) => payloadHash(concatBytes(publicKey, body))
}

export function fakeVerify(publicKey: Uint8Array, body: Uint8Array, sig: Uint8Array): boolean {
  return bytesEqual(payloadHash(concatBytes(publicKey, body)), sig)
}
