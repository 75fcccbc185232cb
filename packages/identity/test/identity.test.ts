/**
 * Tests of ML-DSA-65 identities: PeerId derivation, seeded keygen, sign/verify, key checks, garbage input.
 */
import { describe, expect, it } from 'vitest'
import { blake3 } from '@noble/hashes/blake3.js'
import { DOMAIN, PeerId, SeededRng, toHex, utf8 } from '@saorsa-gossip/types'
import { nobleMlDsa65 } from '../src/backend.ts'
import { Identity, verifySignature } from '../src/identity.ts'
import { seq } from './helpers.ts'

const body = utf8('a message body')

describe('Identity', () => {
  const alice = Identity.generate({ seed: seq(32), backend: nobleMlDsa65 })
  const bob = Identity.generate({ seed: seq(32, 100), backend: nobleMlDsa65 })

  it('derives the PeerId as BLAKE3 of the 1952-byte public key', () => {
    expect(alice.publicKey.length).toBe(1952)
    expect(alice.peerId.toHex()).toBe(toHex(blake3(alice.publicKey)))
    expect(alice.peerId.equals(PeerId.fromPublicKey(alice.publicKey))).toBe(true)
    expect(alice.algorithm).toBe('ml-dsa-65')
  })

  it('generates the same keys from the same seed and different keys without one', () => {
    const again = Identity.generate({ seed: seq(32) })
    expect(again.peerId.equals(alice.peerId)).toBe(true)
    expect(Identity.generate().peerId.equals(Identity.generate().peerId)).toBe(false)
  })

  it('signs 3309-byte signatures that verify for the signer and domain only', () => {
    const sig = alice.sign(DOMAIN.test, body)
    expect(sig.length).toBe(3309)
    expect(verifySignature(alice.publicKey, DOMAIN.test, body, sig)).toBe(true)
    expect(alice.verify(DOMAIN.test, body, sig)).toBe(true)
    expect(verifySignature(bob.publicKey, DOMAIN.test, body, sig)).toBe(false)
    expect(verifySignature(alice.publicKey, DOMAIN.pubsubMessage, body, sig)).toBe(false)
    expect(verifySignature(alice.publicKey, DOMAIN.test, utf8('a message bodz'), sig)).toBe(false)
  })

  it('rebuilds from exported keys and signs interchangeably', () => {
    const copy = Identity.fromKeys(alice.publicKey, alice.exportSecretKey())
    expect(copy.peerId.equals(alice.peerId)).toBe(true)
    expect(verifySignature(alice.publicKey, DOMAIN.test, body, copy.sign(DOMAIN.test, body))).toBe(true)
  })

  it('keeps private copies so callers cannot change its keys', () => {
    const secret = alice.exportSecretKey()
    const copy = Identity.fromKeys(alice.publicKey, secret)
    secret.fill(0)
    expect(verifySignature(alice.publicKey, DOMAIN.test, body, copy.sign(DOMAIN.test, body))).toBe(true)
  })

  it('rejects keys of the wrong size with InvalidKeyError naming the key', () => {
    expect(() => Identity.fromKeys(alice.publicKey.subarray(1), alice.exportSecretKey())).toThrow(
      expect.objectContaining({ name: 'InvalidKeyError', message: expect.stringMatching(/^publicKey: expected 1952/) }),
    )
    expect(() => Identity.fromKeys(alice.publicKey, new Uint8Array(4031))).toThrow(
      expect.objectContaining({ name: 'InvalidKeyError', message: expect.stringMatching(/^secretKey: expected 4032/) }),
    )
  })

  it('rejects a public key that does not belong to the secret key', () => {
    expect(() => Identity.fromKeys(bob.publicKey, alice.exportSecretKey())).toThrow(
      expect.objectContaining({ name: 'InvalidKeyError', message: 'publicKey: does not belong to secretKey' }),
    )
    const flipped = alice.publicKey.slice()
    flipped[1000] = flipped[1000]! ^ 0x01
    expect(() => Identity.fromKeys(flipped, alice.exportSecretKey())).toThrow(expect.objectContaining({ name: 'InvalidKeyError' }))
  })

  it('rejects a seed of the wrong length and non-bytes arguments with errors naming them', () => {
    expect(() => Identity.generate({ seed: new Uint8Array(31) })).toThrow(/^seed: expected 32 bytes/)
    expect(() => Identity.fromKeys('pk' as unknown as Uint8Array, alice.exportSecretKey())).toThrow(TypeError)
    expect(() => verifySignature(alice.publicKey, DOMAIN.test, body, [1, 2] as unknown as Uint8Array)).toThrow(/^signature:/)
  })

  it('returns false and never throws for garbage signatures and keys of any length', () => {
    const rng = new SeededRng('identity-garbage')
    const sig = alice.sign(DOMAIN.test, body)
    for (let i = 0; i < 60; i++) {
      const sigLength = [0, 1, 3308, 3309, 3310, 7000][i % 6]!
      const pkLength = [0, 32, 1951, 1952, 1953][i % 5]!
      const garbageSig = rng.fill(new Uint8Array(sigLength))
      const garbageKey = rng.fill(new Uint8Array(pkLength))
      expect(verifySignature(alice.publicKey, DOMAIN.test, body, garbageSig)).toBe(false)
      expect(verifySignature(garbageKey, DOMAIN.test, body, sig)).toBe(false)
    }
  })
})
