import { blake3 } from '@noble/hashes/blake3.js'
import { describe, expect, it } from 'vitest'
import { concatBytes, fromHex, toHex, u64be, utf8 } from '../src/bytes.ts'
import { InvalidParametersError } from '../src/errors.ts'
import { ID_LENGTH, MessageId, PeerId, TopicId, payloadHash } from '../src/ids.ts'

const seqBytes = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff)

describe('id display', () => {
  it('prints 64 lower-case hex characters and an 8-character short form', () => {
    const id = PeerId.fromBytes(seqBytes(32, 0xa0))
    expect(id.toHex()).toBe(toHex(seqBytes(32, 0xa0)))
    expect(id.toHex()).toMatch(/^[0-9a-f]{64}$/)
    expect(id.toShortString()).toBe('a0a1a2a3')
    expect(String(id)).toBe(id.toHex())
    expect(JSON.stringify({ id })).toBe(`{"id":"${id.toHex()}"}`)
  })

  it('parses upper-case hex back to the same id', () => {
    const id = TopicId.fromBytes(seqBytes(32, 7))
    expect(TopicId.fromHex(id.toHex().toUpperCase()).equals(id)).toBe(true)
  })
})

describe('id equality and order', () => {
  it('equal bytes of the same kind are equal; different kinds never are', () => {
    const b = seqBytes(32)
    expect(PeerId.fromBytes(b).equals(PeerId.fromBytes(b))).toBe(true)
    expect(PeerId.fromBytes(b).equals(TopicId.fromBytes(b))).toBe(false)
    expect(TopicId.fromBytes(b).equals(MessageId.fromBytes(b))).toBe(false)
    expect(PeerId.fromBytes(b).equals(null)).toBe(false)
    expect(PeerId.fromBytes(b).equals(undefined)).toBe(false)
    expect(PeerId.fromBytes(b).equals(PeerId.fromBytes(seqBytes(32, 1)))).toBe(false)
  })

  it('compare orders by bytes', () => {
    const low = PeerId.fromBytes(new Uint8Array(32))
    const high = PeerId.fromBytes(new Uint8Array(32).fill(1))
    expect(low.compare(high)).toBeLessThan(0)
    expect(high.compare(low)).toBeGreaterThan(0)
    expect(low.compare(PeerId.fromBytes(new Uint8Array(32)))).toBe(0)
  })

  it('owns a private copy of its bytes', () => {
    const b = seqBytes(32)
    const id = MessageId.fromBytes(b)
    b[0] = 0xff
    expect(id.bytes[0]).toBe(0)
    expect(id.kind).toBe('message-id')
  })
})

describe('id parsing errors name the kind and the problem', () => {
  it('wrong length, wrong type and non-hex text', () => {
    expect(() => PeerId.fromBytes(new Uint8Array(31))).toThrow(new InvalidParametersError('PeerId: expected 32 bytes, got 31'))
    expect(() => TopicId.fromBytes('x' as unknown as Uint8Array)).toThrow(/^TopicId: expected Uint8Array of 32 bytes$/)
    expect(() => MessageId.fromHex('ab')).toThrow(/^MessageId: expected 64 hex characters, got 2$/)
    expect(() => PeerId.fromHex('g'.repeat(64))).toThrow(/^PeerId: not a hex string$/)
    expect(() => PeerId.fromHex(5 as unknown as string)).toThrow(/^PeerId: expected a hex string, got number$/)
    for (const bad of [() => PeerId.fromHex('zz'), () => PeerId.fromBytes(new Uint8Array(33))]) {
      expect(bad).toThrow(InvalidParametersError)
    }
  })
})

describe('derivations', () => {
  it('PeerId.fromPublicKey is BLAKE3 of the key and rejects empty keys', () => {
    const pk = seqBytes(1952)
    expect(PeerId.fromPublicKey(pk).bytes).toEqual(blake3(pk))
    expect(PeerId.fromPublicKey(pk).bytes).toHaveLength(ID_LENGTH)
    expect(() => PeerId.fromPublicKey(new Uint8Array(0))).toThrow(InvalidParametersError)
    expect(() => PeerId.fromPublicKey('pk' as unknown as Uint8Array)).toThrow(/publicKey must be a non-empty Uint8Array/)
  })

  it('TopicId.fromName hashes the domain, a zero byte and the UTF-8 name', () => {
    const expected = blake3(concatBytes(utf8('saorsa-gossip/topic/v1'), new Uint8Array([0]), utf8('chat/lobby')))
    expect(TopicId.fromName('chat/lobby').bytes).toEqual(expected)
    expect(TopicId.fromName('chat/lobby').equals(TopicId.fromName('chat/lobby'))).toBe(true)
    expect(TopicId.fromName('chat/lobby').equals(TopicId.fromName('chat/lobby2'))).toBe(false)
    expect(() => TopicId.fromName('')).toThrow(/name must be a non-empty string/)
    expect(TopicId.fromName('é'.repeat(128)).bytes).toHaveLength(32)
    expect(() => TopicId.fromName('é'.repeat(128) + 'x')).toThrow(/name is 257 bytes of UTF-8, over 256/)
  })

  it('MessageId.derive binds origin, sequence and payload hash', () => {
    const origin = PeerId.fromBytes(seqBytes(32, 1))
    const hash = payloadHash(utf8('hello'))
    const id = MessageId.derive(origin, 7, hash)
    const expected = blake3(concatBytes(utf8('saorsa-gossip/message-id/v1'), origin.bytes, u64be(7), hash))
    expect(id.bytes).toEqual(expected)
    expect(MessageId.derive(origin, 8, hash).equals(id)).toBe(false)
    expect(MessageId.derive(PeerId.fromBytes(seqBytes(32, 2)), 7, hash).equals(id)).toBe(false)
    expect(MessageId.derive(origin, 7, payloadHash(utf8('hellp'))).equals(id)).toBe(false)
    expect(() => MessageId.derive(origin, 7, new Uint8Array(31))).toThrow(/payloadHash must be 32 bytes/)
    expect(() => MessageId.derive(origin, -1, hash)).toThrow(RangeError)
  })

  it('payloadHash is BLAKE3-256 (empty-input known answer)', () => {
    expect(toHex(payloadHash(new Uint8Array(0)))).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262')
    expect(fromHex(toHex(payloadHash(utf8('x'))))).toHaveLength(32)
  })
})
