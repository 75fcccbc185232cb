import { describe, expect, it } from 'vitest'
import { assertBytes, bytesEqual, compareBytes, concatBytes, copyBytes, fromHex, toHex, u64be, utf8 } from '../src/bytes.ts'

describe('hex', () => {
  it('round-trips every byte value in lower case', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    const hex = toHex(all)
    expect(hex).toHaveLength(512)
    expect(hex).toBe(hex.toLowerCase())
    expect(hex.slice(0, 6)).toBe('000102')
    expect(hex.slice(-4)).toBe('feff')
    expect(fromHex(hex)).toEqual(all)
  })

  it('accepts upper case and the empty string', () => {
    expect(fromHex('DEADbeef')).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef]))
    expect(fromHex('')).toEqual(new Uint8Array(0))
  })

  it('rejects odd length, non-hex characters and non-strings with a TypeError naming the argument', () => {
    expect(() => fromHex('abc', 'key')).toThrow(/^key: hex string has odd length 3$/)
    expect(() => fromHex('zz', 'key')).toThrow(/key: not a hex string/)
    expect(() => fromHex('0x12')).toThrow(TypeError)
    expect(() => fromHex(12 as unknown as string, 'seed')).toThrow(/seed: expected a string, got number/)
  })
})

describe('bytesEqual and compareBytes', () => {
  it('compare content, not identity, and respect length', () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true)
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false)
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false)
    expect(bytesEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true)
  })

  it('order lexicographically with a shorter prefix first', () => {
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBeLessThan(0)
    expect(compareBytes(new Uint8Array([2]), new Uint8Array([1, 255]))).toBeGreaterThan(0)
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBeLessThan(0)
    expect(compareBytes(new Uint8Array([7, 7]), new Uint8Array([7, 7]))).toBe(0)
  })
})

describe('concatBytes and copyBytes', () => {
  it('concatenate into a fresh array', () => {
    const a = new Uint8Array([1])
    const out = concatBytes(a, new Uint8Array(0), new Uint8Array([2, 3]))
    expect(out).toEqual(new Uint8Array([1, 2, 3]))
    a[0] = 9
    expect(out[0]).toBe(1)
    expect(concatBytes()).toEqual(new Uint8Array(0))
  })

  it('copy a Buffer view into a plain, exact Uint8Array', () => {
    const big = Buffer.from([0, 1, 2, 3, 4])
    const view = big.subarray(1, 3)
    const copy = copyBytes(view)
    expect(copy.constructor).toBe(Uint8Array)
    expect(copy.buffer.byteLength).toBe(2)
    expect(copy).toEqual(new Uint8Array([1, 2]))
    big[1] = 99
    expect(copy[0]).toBe(1)
  })
})

describe('utf8, assertBytes and u64be', () => {
  it('utf8 encodes multi-byte characters', () => {
    expect(toHex(utf8('é€'))).toBe('c3a9e282ac')
  })

  it('assertBytes names the argument for the wrong kind and the wrong length', () => {
    expect(() => assertBytes('x', 'publicKey')).toThrow(new TypeError('publicKey: expected Uint8Array, got string'))
    expect(() => assertBytes(null, 'publicKey')).toThrow(/got null/)
    expect(() => assertBytes(new Uint8Array(3), 'nonce', 12)).toThrow(new RangeError('nonce: expected 12 bytes, got 3'))
    expect(() => assertBytes(new Uint8Array(12), 'nonce', 12)).not.toThrow()
  })

  it('u64be writes big-endian and rejects unsafe or negative values', () => {
    expect(toHex(u64be(0))).toBe('0000000000000000')
    expect(toHex(u64be(0x0102030405))).toBe('0000000102030405')
    expect(toHex(u64be(Number.MAX_SAFE_INTEGER))).toBe('001fffffffffffff')
    expect(() => u64be(-1)).toThrow(RangeError)
    expect(() => u64be(1.5)).toThrow(RangeError)
    expect(() => u64be(2 ** 53)).toThrow(RangeError)
  })
})
