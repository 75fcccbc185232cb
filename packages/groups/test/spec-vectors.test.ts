import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { blake3 } from '@noble/hashes/blake3.js'
import { Identity } from '@saorsa-gossip/identity'
import { PeerId, toHex, utf8 } from '@saorsa-gossip/types'
import { decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc, encodeGroupTopicPayload } from '../src/codec.ts'
import { epochId } from '../src/session.ts'
import { deriveStateKey } from '../src/store.ts'
import { SAORSA_SUITE_ID } from '../src/suite.ts'
import { EpochKeyRing } from '../src/topic-crypto.ts'
import { GROUP_ID, RPC_GOLDEN, TOPIC_GOLDEN } from './codec-fixtures.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const start = spec.indexOf('## 10. Groups')
const next = spec.indexOf('\n## ', start + 1)
const section = spec.slice(start, next === -1 ? undefined : next)

function vector(label: string): string {
  const line = section.split('\n').find((l) => l.startsWith(`- ${label}:`))
  const match = line?.match(/`([0-9a-f]+)`\s*$/)
  if (match === null || match === undefined) throw new Error(`SPEC.md section 10 has no vector '${label}'`)
  return match[1]!
}

const fill = (n: number, b: number): Uint8Array => new Uint8Array(n).fill(b)

describe('SPEC.md section 10 golden vectors', () => {
  it('names the suite id', () => {
    expect(section).toContain(`**0x${SAORSA_SUITE_ID.toString(16).toUpperCase()}**`)
  })

  it.each(TOPIC_GOLDEN)('matches the %s topic payload and decodes it back', (label, msg) => {
    const bytes = encodeGroupTopicPayload(msg)
    expect(toHex(bytes)).toBe(vector(label))
    expect(decodeGroupTopicPayload(bytes)).toEqual(msg)
  })

  it.each(RPC_GOLDEN)('matches the %s request or answer and decodes it back', (label, msg) => {
    const bytes = encodeGroupsRpc(msg)
    expect(toHex(bytes)).toBe(vector(label))
    expect(decodeGroupsRpc(bytes)).toEqual(msg)
  })

  it('matches the group-topic key derivation and a sealed message', () => {
    const sender = PeerId.fromPublicKey(fill(32, 0x02))
    expect(toHex(blake3(sender.bytes, { key: fill(32, 0x01) }))).toBe(vector('sender key'))
    const ring = new EpochKeyRing(undefined, [{ epoch: 3, key: fill(32, 0x01), endedAtMs: undefined }])
    const sealed = ring.seal(GROUP_ID, sender, utf8('hello'), fill(12, 0x03))
    expect(toHex(encodeGroupTopicPayload(sealed))).toBe(vector('sealed `hello`'))
    const decoded = decodeGroupTopicPayload(Uint8Array.from(Buffer.from(vector('sealed `hello`'), 'hex')))
    expect(new TextDecoder().decode(ring.open(GROUP_ID, decoded as never, sender, 0))).toBe('hello')
  })

  it('matches the epoch id and the state-file key', () => {
    expect(toHex(epochId(GROUP_ID, 3, fill(64, 0x66)))).toBe(vector('epoch id'))
    expect(toHex(deriveStateKey(Identity.generate({ seed: fill(32, 0x01) })))).toBe(vector('state key'))
  })
})
