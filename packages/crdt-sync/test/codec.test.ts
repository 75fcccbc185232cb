import { describe, expect, it } from 'vitest'
import { DecodeError, encodeCbor, fromHex } from '@saorsa-gossip/types'
import { decodeStoreRecord, decodeSyncFrame, encodeStoreRecord, encodeSyncFrame } from '../src/codec.ts'
import { decodeLwwMap, decodeOrSet, decodePnCounter, encodeLwwMap, encodeOrSet, encodePnCounter } from '../src/docs/payload-codec.ts'
import { CRDT_LIMITS } from '../src/limits.ts'
import { DOC, GOLDEN, PAYLOADS, RECORDS } from './codec-fixtures.ts'

const A = fromHex('11'.repeat(32))
const B = fromHex('22'.repeat(32))
const reject = (bytes: Uint8Array, channel: 'topic' | 'request' | 'bulk', pattern: RegExp) => {
  expect(() => decodeSyncFrame(bytes, channel)).toThrow(DecodeError)
  expect(() => decodeSyncFrame(bytes, channel)).toThrow(pattern)
}

describe('crdt-sync codec', () => {
  it('round-trips every message kind on its channel and every store record', () => {
    for (const [, channel, frame] of GOLDEN) expect(decodeSyncFrame(encodeSyncFrame(frame), channel)).toEqual(frame)
    for (const [, record] of RECORDS) expect(decodeStoreRecord(encodeStoreRecord(record))).toEqual(record)
  })

  it('round-trips the CRDT payloads', () => {
    expect(encodeOrSet(decodeOrSet(PAYLOADS['OR-Set delta (add x at dot A:3 superseding B:1)']))).toEqual(PAYLOADS['OR-Set delta (add x at dot A:3 superseding B:1)'])
    expect(encodeLwwMap(decodeLwwMap(PAYLOADS['LWW map delta (title set, gone deleted)']))).toEqual(PAYLOADS['LWW map delta (title set, gone deleted)'])
    expect(encodePnCounter(decodePnCounter(PAYLOADS['PN-counter delta (A: +5 -2)']))).toEqual(PAYLOADS['PN-counter delta (A: +5 -2)'])
  })

  it('accepts each kind only on its own channel', () => {
    for (const [, channel, frame] of GOLDEN) {
      for (const other of ['topic', 'request', 'bulk'] as const) {
        if (other !== channel) reject(encodeSyncFrame(frame), other, /not accepted on the/)
      }
    }
  })

  it('rejects covers and deps that are unsorted, repeated, empty or overlapping', () => {
    const frame = (c: unknown[], e: unknown[]) => encodeCbor({ k: 'bundles', d: DOC.bytes, b: [{ c, e, p: new Uint8Array() }] })
    reject(frame([[B, 0, 1], [A, 0, 1]], []), 'request', /strictly increasing/)
    reject(frame([[A, 0, 1], [A, 1, 2]], []), 'request', /strictly increasing/)
    reject(frame([[A, 3, 3]], []), 'request', /empty/)
    reject(frame([], []), 'request', /outside \[1/)
    reject(frame([[A, 0, 1]], [[A, 1]]), 'request', /covered origin/)
    reject(encodeCbor({ k: 'delta', d: DOC.bytes, b: { c: [[A, 0, 2], [B, 0, 1]], e: [], p: new Uint8Array() } }), 'topic', /exactly one origin/)
  })

  it('checks the channel cap before parsing', () => {
    const big = new Uint8Array(CRDT_LIMITS.maxDeltaPayloadBytes + 4096)
    reject(big, 'topic', /exceeds cap/)
  })

  it('rejects an OR-Set payload whose dot keeps two elements alive', () => {
    const dot = [A, 1]
    const bytes = encodeCbor({ e: [['x', [dot]], ['y', [dot]]], v: [], o: [] })
    expect(() => decodeOrSet(bytes)).toThrow(DecodeError)
  })
})
