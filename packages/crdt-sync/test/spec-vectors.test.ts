import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { toHex } from '@saorsa-gossip/types'
import { decodeStoreRecord, decodeSyncFrame, decodeWireFrame, encodeSealedFrame, encodeStoreRecord, encodeSyncFrame } from '../src/codec.ts'
import { vvDigest } from '../src/proto/version-vector.ts'
import { DOC, GOLDEN, PAYLOADS, RECORDS, SEALED } from './codec-fixtures.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const start = spec.indexOf('## 12. CRDT sync')
const next = spec.indexOf('\n## ', start + 1)
const section = spec.slice(start, next === -1 ? undefined : next)

/** The hex string after a bullet label in SPEC.md section 12.6. */
function vector(label: string): string {
  const line = section.split('\n').find((l) => l.startsWith(`- ${label}:`))
  const match = line?.match(/`([0-9a-f]+)`\s*$/)
  if (match === null || match === undefined) throw new Error(`SPEC.md section 12 has no vector '${label}'`)
  return match[1]!
}

describe('SPEC.md section 12 golden vectors', () => {
  it('matches the document id, the digest, every payload, message and store record', () => {
    expect(start).toBeGreaterThan(0)
    expect(DOC.toHex()).toBe(vector('document id'))
    expect(toHex(vvDigest(new Map([['11'.repeat(32), 4], ['22'.repeat(32), 9]])))).toBe(vector('version-vector digest of {A: 4, B: 9}'))
    for (const [label, bytes] of Object.entries(PAYLOADS)) expect(toHex(bytes), label).toBe(vector(label))
    for (const [label, , frame] of GOLDEN) expect(toHex(encodeSyncFrame(frame)), label).toBe(vector(label))
    for (const [label, record] of RECORDS) expect(toHex(encodeStoreRecord(record)), label).toBe(vector(label))
    expect(toHex(encodeSealedFrame(SEALED[1]))).toBe(vector(SEALED[0]))
  })

  it('decodes the published vectors back to the same values', () => {
    for (const [label, channel, frame] of GOLDEN) expect(decodeSyncFrame(Buffer.from(vector(label), 'hex'), channel)).toEqual(frame)
    for (const [label, record] of RECORDS) expect(decodeStoreRecord(Buffer.from(vector(label), 'hex'))).toEqual(record)
    for (const channel of ['topic', 'request', 'bulk'] as const) expect(decodeWireFrame(Buffer.from(vector(SEALED[0]), 'hex'), channel)).toEqual(SEALED[1])
  })

  it('states the in-sync round size the summary vector really has', () => {
    const summary = GOLDEN.find(([l]) => l === '`summary`')![2]
    expect(section).toContain(`(${encodeSyncFrame(summary).length} bytes for the vectors below)`)
  })
})
