/**
 * Our X-Wing (native X25519 and hashes, noble ML-KEM-768) against @noble/post-quantum's
 * `ml_kem768_x25519`, which is checked against the draft's vectors upstream: equal public keys,
 * ciphertexts and shared secrets for the same seeds and coins, and each side decapsulating what the
 * other encapsulated. Low-order X25519 points and wrong lengths are refused, as noble refuses them.
 */
import { describe, expect, it } from 'vitest'
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js'
import { SeededRng } from '@saorsa-gossip/types'
import {
  xwingDecapsulate, xwingDecapsulateExpanded, xwingEncapsulate, xwingKeygen, xwingKeygenExpanded,
  XWING_CIPHERTEXT_BYTES, XWING_EXPANDED_SECRET_BYTES, XWING_PUBLIC_KEY_BYTES,
} from '../src/channel/xwing.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function bytes(rng: SeededRng, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = rng.nextInt(256)
  return out
}

describe('X-Wing with native X25519', () => {
  it('matches noble byte for byte on 40 seeded key pairs and encapsulations, in both directions', () => {
    const rng = new SeededRng(7)
    for (let i = 0; i < 40; i++) {
      const seed = bytes(rng, 32)
      const coins = bytes(rng, 64)
      const ours = xwingKeygen(seed)
      const theirs = ml_kem768_x25519.keygen(seed.slice())
      expect(hex(ours.publicKey)).toBe(hex(theirs.publicKey))
      expect(ours.publicKey).toHaveLength(XWING_PUBLIC_KEY_BYTES)

      const sent = xwingEncapsulate(ours.publicKey, coins.slice())
      const reference = ml_kem768_x25519.encapsulate(theirs.publicKey, coins.slice())
      expect(sent.cipherText).toHaveLength(XWING_CIPHERTEXT_BYTES)
      expect(hex(sent.cipherText)).toBe(hex(reference.cipherText))
      expect(hex(sent.sharedSecret)).toBe(hex(reference.sharedSecret))

      expect(hex(xwingDecapsulate(reference.cipherText, seed))).toBe(hex(reference.sharedSecret))
      expect(hex(ml_kem768_x25519.decapsulate(sent.cipherText, seed.slice()))).toBe(hex(sent.sharedSecret))
    }
  })

  it('agrees with itself on fresh randomness and leaves the seed intact', () => {
    const keys = xwingKeygen()
    const before = hex(keys.secretKey)
    const { cipherText, sharedSecret } = xwingEncapsulate(keys.publicKey)
    expect(hex(xwingDecapsulate(cipherText, keys.secretKey))).toBe(hex(sharedSecret))
    expect(hex(keys.secretKey)).toBe(before)
  })

  it('decapsulates with the expanded secret exactly as from the seed, on 20 seeded key pairs', () => {
    const rng = new SeededRng(11)
    for (let i = 0; i < 20; i++) {
      const seed = bytes(rng, 32)
      const expanded = xwingKeygenExpanded(seed.slice())
      expect(expanded.secretKey).toHaveLength(XWING_EXPANDED_SECRET_BYTES)
      expect(hex(expanded.publicKey)).toBe(hex(ml_kem768_x25519.keygen(seed.slice()).publicKey))
      const reference = ml_kem768_x25519.encapsulate(expanded.publicKey, bytes(rng, 64))
      expect(hex(xwingDecapsulateExpanded(reference.cipherText, expanded.secretKey))).toBe(hex(reference.sharedSecret))
      expect(hex(xwingDecapsulate(reference.cipherText, seed))).toBe(hex(reference.sharedSecret))
    }
    // Drawn internally, the seed is wiped; only the expanded secret leaves.
    const fresh = xwingKeygenExpanded()
    const { cipherText, sharedSecret } = xwingEncapsulate(fresh.publicKey)
    expect(hex(xwingDecapsulateExpanded(cipherText, fresh.secretKey))).toBe(hex(sharedSecret))
    const lowOrder = cipherText.slice()
    lowOrder.fill(0, XWING_CIPHERTEXT_BYTES - 32)
    expect(() => xwingDecapsulateExpanded(lowOrder, fresh.secretKey)).toThrow()
    expect(() => xwingDecapsulateExpanded(cipherText, new Uint8Array(32))).toThrow(RangeError)
    expect(() => xwingDecapsulateExpanded(cipherText.subarray(1), fresh.secretKey)).toThrow(RangeError)
  })

  it('refuses a low-order X25519 point and wrong lengths, as noble does', () => {
    const keys = xwingKeygen(new Uint8Array(32).fill(3))
    const { cipherText } = xwingEncapsulate(keys.publicKey, new Uint8Array(64).fill(4))
    const lowOrder = cipherText.slice()
    lowOrder.fill(0, XWING_CIPHERTEXT_BYTES - 32)
    expect(() => ml_kem768_x25519.decapsulate(lowOrder, keys.secretKey.slice())).toThrow()
    expect(() => xwingDecapsulate(lowOrder, keys.secretKey)).toThrow()
    const lowOrderKey = keys.publicKey.slice()
    lowOrderKey.fill(0, XWING_PUBLIC_KEY_BYTES - 32)
    expect(() => ml_kem768_x25519.encapsulate(lowOrderKey)).toThrow()
    expect(() => xwingEncapsulate(lowOrderKey)).toThrow()
    expect(() => xwingDecapsulate(cipherText.subarray(1), keys.secretKey)).toThrow(RangeError)
    expect(() => xwingDecapsulate(cipherText, new Uint8Array(31))).toThrow(RangeError)
    expect(() => xwingEncapsulate(keys.publicKey.subarray(1))).toThrow(RangeError)
  })
})
