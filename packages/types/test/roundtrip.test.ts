import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../src/bytes.ts'
import { decodeSignedEnvelope, encodeSignedEnvelope } from '../src/envelope.ts'
import { HEADER_VERSION, MAX_HEADER_BYTES, decodeMessageHeader, encodeMessageHeader, type MessageHeader } from '../src/header.ts'
import { MessageId, PeerId, TopicId } from '../src/ids.ts'
import { LIMITS } from '../src/limits.ts'

const RUNS = 10_000
const id32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const safeUint = fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER))

const headerArb: fc.Arbitrary<MessageHeader> = fc.record({
  topic: id32.map((b) => TopicId.fromBytes(b)),
  origin: id32.map((b) => PeerId.fromBytes(b)),
  seq: safeUint,
  timestampMs: safeUint,
  payloadLength: fc.integer({ min: 0, max: LIMITS.maxPayloadBytes }),
  payloadHash: id32,
}).map((h) => ({ version: HEADER_VERSION, ...h }))

describe('round trips', () => {
  it('decodeMessageHeader(encodeMessageHeader(h)) equals h, and re-encoding is byte-identical', () => {
    fc.assert(fc.property(headerArb, (h) => {
      const bytes = encodeMessageHeader(h)
      expect(bytes.length).toBeLessThanOrEqual(MAX_HEADER_BYTES)
      const back = decodeMessageHeader(bytes)
      expect(back.topic.equals(h.topic) && back.origin.equals(h.origin)).toBe(true)
      expect([back.seq, back.timestampMs, back.payloadLength]).toEqual([h.seq, h.timestampMs, h.payloadLength])
      expect(toHex(back.payloadHash)).toBe(toHex(h.payloadHash))
      expect(toHex(encodeMessageHeader(back))).toBe(toHex(bytes))
    }), { numRuns: RUNS, seed: 1 })
  })

  it('decodeSignedEnvelope(encodeSignedEnvelope(e)) returns the same bytes', () => {
    const envelope = fc.record({
      body: fc.uint8Array({ maxLength: 4096 }),
      sig: fc.uint8Array({ minLength: 1, maxLength: LIMITS.mldsa65SignatureBytes }),
    })
    fc.assert(fc.property(envelope, (e) => {
      const bytes = encodeSignedEnvelope(e)
      const back = decodeSignedEnvelope(bytes, { maxBodyBytes: 4096 })
      expect(toHex(back.body)).toBe(toHex(e.body))
      expect(toHex(back.sig)).toBe(toHex(e.sig))
      expect(toHex(encodeSignedEnvelope(back))).toBe(toHex(bytes))
    }), { numRuns: RUNS, seed: 2 })
  })

  it('ids survive hex and byte round trips for every kind', () => {
    fc.assert(fc.property(id32, (b) => {
      for (const Kind of [PeerId, TopicId, MessageId]) {
        const id = Kind.fromBytes(b)
        expect(Kind.fromHex(id.toHex()).equals(id)).toBe(true)
        expect(toHex(Kind.fromBytes(fromHex(id.toHex())).bytes)).toBe(toHex(b))
      }
    }), { numRuns: RUNS, seed: 3 })
  })
})
