import { describe, expect, it } from 'vitest'
import { toHex, utf8 } from '../src/bytes.ts'
import { encodeCbor } from '../src/codec.ts'
import { DOMAIN } from '../src/domains.ts'
import { decodeSignedEnvelope, encodeSignedEnvelope } from '../src/envelope.ts'
import { DecodeError } from '../src/errors.ts'
import { HEADER_VERSION, MAX_HEADER_BYTES, decodeMessageHeader, encodeMessageHeader, messageIdOf, type MessageHeader } from '../src/header.ts'
import { MessageId, PeerId, TopicId, payloadHash } from '../src/ids.ts'
import { LIMITS } from '../src/limits.ts'

const payload = utf8('hello, lobby')
const header: MessageHeader = {
  version: HEADER_VERSION,
  topic: TopicId.fromName('chat/lobby'),
  origin: PeerId.fromPublicKey(new Uint8Array(1952).fill(7)),
  seq: 42,
  timestampMs: 1_700_000_000_000,
  payloadLength: payload.length,
  payloadHash: payloadHash(payload),
}

const wire = (h: Record<string, unknown>): Uint8Array => encodeCbor(h)
const fields = (): Record<string, unknown> => ({
  v: 1, t: header.topic.bytes, o: header.origin.bytes, s: 42, ts: 1_700_000_000_000, n: payload.length, h: header.payloadHash,
})

describe('message header', () => {
  it('round-trips every field with ids of the right kind', () => {
    const bytes = encodeMessageHeader(header)
    const back = decodeMessageHeader(bytes)
    expect(back.version).toBe(1)
    expect(back.topic).toBeInstanceOf(TopicId)
    expect(back.topic.equals(header.topic)).toBe(true)
    expect(back.origin.equals(header.origin)).toBe(true)
    expect(back.seq).toBe(42)
    expect(back.timestampMs).toBe(1_700_000_000_000)
    expect(back.payloadLength).toBe(payload.length)
    expect(back.payloadHash).toEqual(header.payloadHash)
    expect(encodeMessageHeader(back)).toEqual(bytes)
  })

  it('encodes to a map with the short keys v, t, o, s, ts, n, h well under the cap', () => {
    const bytes = encodeMessageHeader(header)
    expect(bytes.length).toBeLessThan(MAX_HEADER_BYTES)
    expect(toHex(bytes).startsWith('a7617601')).toBe(true)
  })

  it('the largest header this encoder writes is 142 bytes', () => {
    const largest = { ...header, seq: Number.MAX_SAFE_INTEGER, timestampMs: Number.MAX_SAFE_INTEGER, payloadLength: LIMITS.maxPayloadBytes }
    expect(encodeMessageHeader(largest)).toHaveLength(142)
    expect(decodeMessageHeader(encodeMessageHeader(largest)).seq).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('messageIdOf derives the id from origin, seq and payload hash', () => {
    expect(messageIdOf(header).equals(MessageId.derive(header.origin, 42, header.payloadHash))).toBe(true)
  })

  it('rejects a wrong version, a missing field, an unknown field and an oversized payload length', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...fields(), v: 2 }, 'v: unexpected value 2'],
      [(({ h: _, ...rest }) => rest)(fields()), 'h: missing field'],
      [{ ...fields(), x: 1 }, "unknown field 'x'"],
      [{ ...fields(), n: LIMITS.maxPayloadBytes + 1 }, 'n: integer 65537 outside [0, 65536]'],
      [{ ...fields(), t: new Uint8Array(31) }, 't: expected 32 bytes, got 31'],
      [{ ...fields(), s: -1 }, 's: integer -1 outside'],
      [{ ...fields(), ts: 1.5 }, 'ts: expected integer'],
    ]
    for (const [value, message] of cases) {
      expect(() => decodeMessageHeader(wire(value))).toThrow(DecodeError)
      expect(() => decodeMessageHeader(wire(value))).toThrow(message)
    }
  })

  it('rejects input above MAX_HEADER_BYTES before parsing', () => {
    expect(() => decodeMessageHeader(new Uint8Array(MAX_HEADER_BYTES + 1))).toThrow(`exceeds cap ${MAX_HEADER_BYTES}`)
  })
})

describe('signed envelope', () => {
  const body = encodeMessageHeader(header)
  const sig = new Uint8Array(LIMITS.mldsa65SignatureBytes).fill(0x5a)

  it('round-trips body and signature bytes exactly, as copies', () => {
    const bytes = encodeSignedEnvelope({ body, sig })
    const back = decodeSignedEnvelope(bytes, { maxBodyBytes: MAX_HEADER_BYTES })
    expect(back.body).toEqual(body)
    expect(back.sig).toEqual(sig)
    bytes.fill(0)
    expect(back.body).toEqual(body)
    expect(toHex(encodeSignedEnvelope(back))).toBe(toHex(encodeSignedEnvelope({ body, sig })))
  })

  it('rejects a body over maxBodyBytes, a signature over maxSigBytes and an empty signature', () => {
    const bytes = encodeSignedEnvelope({ body, sig })
    expect(() => decodeSignedEnvelope(bytes, { maxBodyBytes: body.length - 1 })).toThrow(/^body: byte length/)
    expect(() => decodeSignedEnvelope(bytes, { maxBodyBytes: 1024, maxSigBytes: 64 })).toThrow(DecodeError)
    expect(() => decodeSignedEnvelope(encodeSignedEnvelope({ body, sig: new Uint8Array(0) }), { maxBodyBytes: 1024 })).toThrow(/^sig: byte length 0/)
  })

  it('bounds the input before parsing by body cap + signature cap + 32', () => {
    const cap = 100 + 10 + 32
    expect(() => decodeSignedEnvelope(new Uint8Array(cap + 1), { maxBodyBytes: 100, maxSigBytes: 10 })).toThrow(`exceeds cap ${cap}`)
  })

  it('rejects extra keys and non-byte fields', () => {
    expect(() => decodeSignedEnvelope(encodeCbor({ body, sig, x: 1 }), { maxBodyBytes: 1024 })).toThrow("unknown field 'x'")
    expect(() => decodeSignedEnvelope(encodeCbor({ body: 'text', sig }), { maxBodyBytes: 1024 })).toThrow('body: expected bytes')
  })
})

describe('signing domains', () => {
  it('are distinct, versioned, ASCII and short enough for a one-byte length prefix', () => {
    const tags = Object.values(DOMAIN)
    expect(new Set(tags).size).toBe(tags.length)
    for (const tag of tags) {
      expect(tag).toMatch(/^saorsa-gossip\/[a-z-]+\/v\d+$/)
      expect(tag.length).toBeLessThan(256)
    }
    expect(Object.isFrozen(DOMAIN)).toBe(true)
  })
})
