import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../src/bytes.ts'
import { MAX_CBOR_DEPTH } from '../src/cbor-subset.ts'
import { decodeCbor, encodeCbor } from '../src/codec.ts'
import { DecodeError } from '../src/errors.ts'
import * as s from '../src/schema.ts'
import type { Schema } from '../src/schema.ts'

const anything: Schema<unknown> = (value) => value
const decodeHex = (hex: string, schema: Schema<unknown> = anything, maxBytes = 1 << 20): unknown =>
  decodeCbor(fromHex(hex), schema, { maxBytes })

function rejection(check: () => unknown): DecodeError {
  try {
    check()
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError)
    return err as DecodeError
  }
  throw new Error('expected a DecodeError')
}
const rejectsHex = (hex: string): string => rejection(() => decodeHex(hex)).message

const message = s.object({ kind: s.literal('data'), id: s.bytes({ length: 4 }), payload: s.bytes({ max: 2048 }), n: s.uint() })

describe('encodeCbor', () => {
  it('writes plain byte strings (major type 2), never tag 64', () => {
    const bytes = encodeCbor(new Uint8Array([1, 2, 3]))
    expect(toHex(bytes)).toBe('43010203')
    const inMap = toHex(encodeCbor({ b: new Uint8Array([0xaa]) }))
    expect(inMap).toBe('a1616241aa')
    expect(inMap).not.toContain('d840')
  })

  it('returns an exact, independent Uint8Array each call', () => {
    const a = encodeCbor({ x: 1 })
    const b = encodeCbor({ y: 2 })
    expect(a.buffer).not.toBe(b.buffer)
    expect(a.byteOffset).toBe(0)
    expect(a.buffer.byteLength).toBe(a.length)
    expect(toHex(a)).toBe('a1617801')
  })

  it('encodes integers of 2^32 and above as float64, which uint() still accepts', () => {
    const enc = encodeCbor(1_700_000_000_000)
    expect(toHex(enc)).toBe('fb4278bcfe56800000')
    expect(decodeCbor(enc, s.uint(), { maxBytes: 16 })).toBe(1_700_000_000_000)
  })
})

describe('decodeCbor', () => {
  it('round-trips a message map and copies byte fields out of the input', () => {
    const payload = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff)
    const input = encodeCbor({ kind: 'data', id: new Uint8Array([1, 2, 3, 4]), payload, n: 5 })
    const out = decodeCbor(input, message, { maxBytes: 4096 })
    expect(out.id.constructor).toBe(Uint8Array)
    expect(out.payload.constructor).toBe(Uint8Array)
    expect(out.payload.buffer).not.toBe(input.buffer)
    expect(out.payload.buffer.byteLength).toBe(1024)
    expect(out.payload).toEqual(payload)
    input.fill(0)
    expect(out.id).toEqual(new Uint8Array([1, 2, 3, 4]))
    expect(out.payload).toEqual(payload)
  })

  it('decodes from a Buffer into plain Uint8Array fields and leaves the caller input untouched', () => {
    const input = Buffer.from(encodeCbor({ kind: 'data', id: new Uint8Array(4), payload: new Uint8Array(2), n: 0 }))
    const out = decodeCbor(input, message, { maxBytes: 4096 })
    expect(Buffer.isBuffer(out.payload)).toBe(false)
    expect(Object.keys(input)).not.toContain('dataView')
  })

  it('accepts canonical 8-byte integer heads within the safe range', () => {
    expect(decodeHex('1b0000018bcfe56800', s.uint())).toBe(1_700_000_000_000)
    expect(decodeHex('1b001fffffffffffff', s.uint())).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('checks the size cap before parsing anything', () => {
    // Not CBOR at all: a parse would report malformed input, the cap check fires first.
    const err = rejection(() => decodeCbor(new Uint8Array(101).fill(0xff), anything, { maxBytes: 100 }))
    expect(err.message).toBe('input of 101 bytes exceeds cap 100')
    expect(decodeCbor(encodeCbor(new Uint8Array(97)), anything, { maxBytes: 100 })).toHaveLength(97)
  })

  it('rejects empty input and non-Uint8Array input', () => {
    expect(rejection(() => decodeCbor(new Uint8Array(0), anything, { maxBytes: 10 })).message).toBe('empty input')
    expect(rejection(() => decodeCbor('a0' as unknown as Uint8Array, anything, { maxBytes: 10 })).message).toContain('not a Uint8Array')
  })

  it('rejects the lone break byte that cbor-x would decode as an empty map', () => {
    expect(rejectsHex('ff')).toContain('stray break byte')
    expect(rejectsHex('81ff')).toContain('stray break byte')
  })

  it('rejects trailing bytes after the item', () => {
    expect(rejectsHex('a0ff')).toContain('trailing bytes')
    expect(rejectsHex('0000')).toContain('1 trailing bytes')
  })

  it('rejects every tag: Date, Map, typed arrays, bignums, self-describe and unknown tags', () => {
    for (const hex of ['c11a00000001', 'c074323032302d30312d30315430303a30303a30305a', 'd9010382a0a0', 'd84443010203',
      'd8464401000000', 'd84044deadbeef', 'c249010000000000000000', 'd9d9f700', 'd87b01', 'd81c00']) {
      expect(rejectsHex(hex)).toMatch(/^tag \d+ not accepted/)
    }
  })

  it('rejects the record tags of cbor-x (0xd9 0xdf..) even when malformed', () => {
    for (const hex of ['d9dfff8361616162', 'd9df00', 'd9dfff', 'd9dfff83d9df0082616161620102']) {
      expect(rejectsHex(hex)).toMatch(/^tag \d+ not accepted/)
    }
  })

  it('rejects integers that do not fit a safe JS number and 8-byte negative heads', () => {
    expect(rejectsHex('1b0020000000000000')).toContain('above 2^53 - 1')
    expect(rejectsHex('1bffffffffffffffff')).toContain('above 2^53 - 1')
    expect(rejectsHex('3b0000000100000000')).toContain('8-byte head')
  })

  it('rejects NaN and infinities in every float width and accepts finite floats', () => {
    for (const hex of ['f97e00', 'f97c00', 'f9fc00', 'fa7fc00000', 'fa7f800000', 'fb7ff8000000000000', 'fbfff0000000000000']) {
      expect(rejectsHex(hex)).toContain('non-finite float')
    }
    expect(decodeHex('f93c00')).toBe(1)
    expect(decodeHex('fa3fc00000')).toBe(1.5)
    expect(decodeHex('fb3ff0000000000000')).toBe(1)
  })

  it('accepts false, true and null and rejects undefined and other simple values', () => {
    expect(decodeHex('83f4f5f6')).toEqual([false, true, null])
    expect(rejectsHex('f7')).toContain('undefined not accepted')
    expect(rejectsHex('f820')).toContain('simple value not accepted')
    expect(rejectsHex('e0')).toContain('simple value not accepted')
  })

  it('rejects indefinite-length items and reserved heads', () => {
    for (const hex of ['9f00ff', 'bf616100ff', '5f41ffff', '7f6161ff']) expect(rejectsHex(hex)).toContain('indefinite-length')
    expect(rejectsHex('1c')).toContain('reserved')
  })

  it('refuses more data items than the schema could ever accept during the walk, before cbor-x allocates', () => {
    const pair = s.object({ a: s.uint(), b: s.array(s.bytes({ max: 4 }), { max: 3 }) })
    expect(s.itemBound(pair)).toBe(1 + 1 + 1 + 3)
    expect(s.itemBound(s.variant('k', { x: s.object({ k: s.literal('x') }), y: pair }))).toBe(6)
    expect(s.itemBound(s.optional(s.uint()))).toBe(1)
    expect(s.itemBound(anything)).toBe(Infinity)
    // 10,000 empty maps (one byte each) against a schema that accepts at most 3 items.
    const bomb = new Uint8Array(3 + 10_000)
    bomb.set([0x99, 0x27, 0x10])
    bomb.fill(0xa0, 3)
    expect(rejection(() => decodeCbor(bomb, s.array(s.object({}), { max: 2 }), { maxBytes: 1 << 20 })).message)
      .toMatch(/array of 10000 items exceeds the 6-item bound/)
    expect(rejection(() => decodeCbor(bomb, anything, { maxBytes: 1 << 20, maxItems: 100 })).message).toMatch(/100-item bound/)
    // Items nested below the head count too: [[{}, {}], [{}, {}]] holds 7 items.
    expect(decodeCbor(fromHex('8282a0a082a0a0'), anything, { maxBytes: 64, maxItems: 7 })).toEqual([[{}, {}], [{}, {}]])
    expect(rejection(() => decodeCbor(fromHex('8282a0a082a0a0'), anything, { maxBytes: 64, maxItems: 6 })).message).toMatch(/exceeds the 6-item bound/)
  })

  it('rejects non-text map keys, duplicate keys and a __proto__ key', () => {
    expect(rejectsHex('a10100')).toContain('map key is not a text string')
    expect(rejectsHex('a1f600')).toContain('map key is not a text string')
    expect(rejectsHex('a141610100')).toContain('map key is not a text string')
    expect(rejectsHex('a2616101616102')).toContain('duplicate map key')
    expect(rejectsHex('a1695f5f70726f746f5f5f01')).toContain('__proto__')
  })

  it('rejects invalid UTF-8 in text strings and keys', () => {
    for (const hex of ['62c328', '63eda080', '62c0af', '64f4908080', '61ff', 'a161ff00']) expect(rejectsHex(hex)).toContain('UTF-8')
    expect(decodeHex('64f09f9880')).toBe('\u{1f600}')
  })

  it(`rejects nesting deeper than ${MAX_CBOR_DEPTH} and accepts exactly ${MAX_CBOR_DEPTH}`, () => {
    const nested = (depth: number): string => '81'.repeat(depth) + '00'
    expect(decodeHex(nested(MAX_CBOR_DEPTH))).toBeDefined()
    expect(rejectsHex(nested(MAX_CBOR_DEPTH + 1))).toContain('nesting deeper')
    expect(rejectsHex('81'.repeat(200_000) + '00')).toContain('nesting deeper')
  })

  it('rejects lengths and counts larger than the bytes present before allocating', () => {
    expect(rejectsHex('5affffffff')).toContain('byte string longer than the input')
    expect(rejectsHex('7affffffff')).toContain('text string longer than the input')
    expect(rejectsHex('9affffffff00')).toContain('array of 4294967295 items')
    expect(rejectsHex('baffffffff0000')).toContain('map of 4294967295 entries')
    expect(rejectsHex('5bffffffffffffffff')).toContain('longer than the input')
  })

  it('reports truncation as malformed input', () => {
    const whole = encodeCbor({ kind: 'data', id: new Uint8Array(4), payload: new Uint8Array(10), n: 1 })
    for (let cut = 1; cut < whole.length; cut++) {
      rejection(() => decodeCbor(whole.subarray(0, cut), message, { maxBytes: 4096 }))
    }
  })

  it('wraps a non-DecodeError thrown by a custom schema', () => {
    const bad: Schema<never> = () => {
      throw new Error('boom')
    }
    const err = rejection(() => decodeHex('00', bad))
    expect(err.message).toBe('schema check failed: boom')
  })
})
