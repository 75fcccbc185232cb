/**
 * Tests of SLH-DSA-SHA2-128s long-term keys (FIPS 205): sizes, domain separation, tampering, key checks.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { blake3 } from '@noble/hashes/blake3.js'
import { DOMAIN, toHex, utf8 } from '@saorsa-gossip/types'
import { verifyWithAlgorithm } from '../src/keys.ts'
import { SlhDsaKeyPair, verifySlhDsaSignature } from '../src/slh-dsa.ts'
import { seq } from './helpers.ts'

describe('SLH-DSA-SHA2-128s long-term keys', () => {
  const body = utf8('certify an ML-DSA identity')
  let key: SlhDsaKeyPair
  let signature: Uint8Array
  beforeAll(() => {
    key = SlhDsaKeyPair.generate({ seed: seq(48, 1) })
    // One signature for the whole file: SLH-DSA-128s signing takes about 2 s.
    signature = key.sign(DOMAIN.test, body)
  })

  it('has 32-byte public keys, 7856-byte signatures and a BLAKE3 PeerId', () => {
    expect(key.algorithm).toBe('slh-dsa-sha2-128s')
    expect(key.publicKey.length).toBe(32)
    expect(signature.length).toBe(7856)
    expect(key.peerId.toHex()).toBe(toHex(blake3(key.publicKey)))
  })

  it('verifies its own signature for the same domain and body only', () => {
    expect(key.verify(DOMAIN.test, body, signature)).toBe(true)
    expect(verifyWithAlgorithm('slh-dsa-sha2-128s', key.publicKey, DOMAIN.test, body, signature)).toBe(true)
    expect(verifySlhDsaSignature(key.publicKey, DOMAIN.coordinatorAdvert, body, signature)).toBe(false)
    expect(verifySlhDsaSignature(key.publicKey, DOMAIN.test, utf8('certify an ML-DSA identitx'), signature)).toBe(false)
  })

  it('rejects tampered signatures and keys and returns false for wrong lengths', () => {
    for (const position of [0, 100, 7855]) {
      const bad = signature.slice()
      bad[position] = bad[position]! ^ 0x10
      expect(verifySlhDsaSignature(key.publicKey, DOMAIN.test, body, bad)).toBe(false)
    }
    const badKey = key.publicKey.slice()
    badKey[31] = badKey[31]! ^ 1
    expect(verifySlhDsaSignature(badKey, DOMAIN.test, body, signature)).toBe(false)
    expect(verifySlhDsaSignature(key.publicKey, DOMAIN.test, body, signature.subarray(1))).toBe(false)
    expect(verifySlhDsaSignature(key.publicKey.subarray(1), DOMAIN.test, body, signature)).toBe(false)
    expect(verifySlhDsaSignature(key.publicKey, DOMAIN.test, body, new Uint8Array(0))).toBe(false)
  })

  it('round-trips through its exported secret key and rejects mismatched or malformed keys', () => {
    const copy = SlhDsaKeyPair.fromKeys(key.publicKey, key.exportSecretKey())
    expect(copy.peerId.equals(key.peerId)).toBe(true)
    const other = SlhDsaKeyPair.generate({ seed: seq(48, 2) })
    expect(() => SlhDsaKeyPair.fromKeys(other.publicKey, key.exportSecretKey())).toThrow(
      expect.objectContaining({ name: 'InvalidKeyError', message: 'publicKey: does not belong to secretKey' }),
    )
    expect(() => SlhDsaKeyPair.fromKeys(key.publicKey, new Uint8Array(63))).toThrow(expect.objectContaining({ name: 'InvalidKeyError' }))
    expect(() => SlhDsaKeyPair.generate({ seed: new Uint8Array(32) })).toThrow(/^seed: expected 48 bytes/)
  })
})
