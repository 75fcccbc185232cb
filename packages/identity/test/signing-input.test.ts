/**
 * Tests of the domain-separated signing input (SPEC.md section 4.3): layout, limits and argument errors.
 */
import { describe, expect, it } from 'vitest'
import { DOMAIN, toHex, utf8 } from '@saorsa-gossip/types'
import { MAX_DOMAIN_LENGTH, signingInput } from '../src/signing-input.ts'

describe('signingInput', () => {
  it('prefixes the body with the domain length and the ASCII domain', () => {
    const out = signingInput('ab', utf8('xyz'))
    expect(toHex(out)).toBe('02' + '6162' + '78797a')
  })

  it('accepts every protocol domain tag and an empty body', () => {
    for (const domain of Object.values(DOMAIN)) {
      const out = signingInput(domain, new Uint8Array(0))
      expect(out[0]).toBe(domain.length)
      expect(out.length).toBe(1 + domain.length)
    }
  })

  it('gives different inputs for domains where one is a prefix of the other', () => {
    // Without the length byte, ("ab", "c...") and ("abc", "...") would collide.
    expect(toHex(signingInput('ab', utf8('cd')))).not.toBe(toHex(signingInput('abc', utf8('d'))))
  })

  it('accepts a domain of exactly 255 characters and rejects 256 with a RangeError naming the domain', () => {
    expect(signingInput('x'.repeat(MAX_DOMAIN_LENGTH), new Uint8Array(1))[0]).toBe(255)
    expect(() => signingInput('x'.repeat(256), new Uint8Array(1))).toThrow(/^domain: expected 1\.\.255/)
  })

  it('rejects an empty domain, non-ASCII and control characters', () => {
    expect(() => signingInput('', new Uint8Array(1))).toThrow(RangeError)
    expect(() => signingInput('caf\u00e9', new Uint8Array(1))).toThrow(/domain: only printable ASCII/)
    expect(() => signingInput('a\nb', new Uint8Array(1))).toThrow(/domain: only printable ASCII/)
  })

  it('throws a TypeError naming the argument for a non-string domain or non-bytes body', () => {
    expect(() => signingInput(5 as unknown as string, new Uint8Array(1))).toThrow(/^domain: expected a string/)
    expect(() => signingInput('a', 'text' as unknown as Uint8Array)).toThrow(/^body: expected Uint8Array/)
  })
})
