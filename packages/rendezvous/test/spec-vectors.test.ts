import { readFileSync } from 'node:fs'
import { blake3 } from '@noble/hashes/blake3.js'
import { describe, expect, it } from 'vitest'
import { concatBytes, fromHex, toHex, utf8 } from '@saorsa-gossip/types'
import {
  decodeRendezvousMessage, decodeSignedSummary, encodeRendezvousMessage, encodeSignedSummary, encodeSummaryBody, SUMMARY_DOMAIN,
  type RendezvousMessage,
} from '../src/codec.ts'
import { shardOf, shardTopicName } from '../src/proto/shard.ts'
import { checkSummary } from '../src/proto/validate.ts'
import { DEFAULT_RENDEZVOUS_CONFIG } from '../src/proto/config.ts'
import { targetFromName } from '../src/target.ts'
import { identity, verify } from './helpers.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const start = spec.indexOf('## 11. Rendezvous')
const next = spec.indexOf('\n## ', start + 1)
const section = spec.slice(start, next < 0 ? undefined : next)

/** The hex string after a bullet label in SPEC.md section 11.6. */
function vector(label: string): string {
  const line = section.split('\n').find((l) => l.startsWith(`- ${label}:`))
  const match = line?.match(/`([0-9a-f]+)`\s*$/)
  if (match === null || match === undefined) throw new Error(`SPEC.md section 11 has no vector '${label}'`)
  return match[1]!
}

describe('SPEC.md section 11 golden vectors', () => {
  const zero = new Uint8Array(32)
  const named = targetFromName('site.example')

  it('pins the shard function, its byte order and the topic names', () => {
    expect(toHex(blake3(concatBytes(utf8('saorsa-rendezvous'), zero)))).toBe(vector('shard hash (zero target)'))
    expect(shardOf(zero)).toBe(0xf0dc)
    expect(shardTopicName(shardOf(zero))).toBe('saorsa/rendezvous/f0dc')
    expect(toHex(named)).toBe(vector('target of the name `site.example`'))
    expect(toHex(blake3(concatBytes(utf8('saorsa-rendezvous'), named)))).toBe(vector('shard hash (`site.example`)'))
    expect(shardTopicName(shardOf(named))).toBe('saorsa/rendezvous/2f2e')
    expect(section).toContain('`saorsa/rendezvous/f0dc`')
  })

  it('matches every message encoding and decodes it back', () => {
    const cases: Array<[string, RendezvousMessage]> = [
      ['`reg` (envelope bytes `a201`)', { type: 'register', summary: fromHex('a201') }],
      ['`query` (id 7, zero target, `SITE`, cursor 1767225600001, page 8)', { type: 'query', queryId: 7, target: zero, capability: 'SITE', cursor: 1_767_225_600_001, limit: 8 }],
      ['`reply` (id 7, one envelope `a201`, cursor 1767225600001, no more)', { type: 'reply', queryId: 7, summaries: [fromHex('a201')], cursor: 1_767_225_600_001, more: false }],
      ['`refused` (id 7, `rate`, retry after 500 ms)', { type: 'refused', queryId: 7, why: 'rate', retryAfterMs: 500 }],
    ]
    for (const [label, msg] of cases) {
      expect(toHex(encodeRendezvousMessage(msg)), label).toBe(vector(label))
      expect(decodeRendezvousMessage(fromHex(vector(label))), label).toEqual(msg)
    }
  })

  it('matches the deterministic summary, which validates', () => {
    const id = identity(1)
    const body = encodeSummaryBody({
      version: 1, target: named, provider: id.peerId, publicKey: id.publicKey, capabilities: ['SITE', 'DOC'],
      contentRoot: new Uint8Array(32).fill(0xcc), manifestVersion: 3, addressHints: ['tcp://127.0.0.1:9000'],
      issuedAtMs: 1_767_225_600_000, expiresAtMs: 1_767_229_200_000, seq: 1_767_225_600_000,
    })
    const sig = id.sign(SUMMARY_DOMAIN, body)
    const envelope = encodeSignedSummary(body, sig)
    expect(String(body.length)).toBe(vector('summary body length'))
    expect(toHex(blake3(body))).toBe(vector('summary body BLAKE3'))
    expect(toHex(body.subarray(body.length - 120))).toBe(vector('summary body tail (last 120 bytes)'))
    expect(toHex(blake3(sig))).toBe(vector('summary signature BLAKE3'))
    expect(toHex(blake3(envelope))).toBe(vector('summary envelope BLAKE3 (5,466 bytes)'))
    expect(envelope.length).toBe(5466)
    expect(decodeSignedSummary(envelope).summary.addressHints).toEqual(['tcp://127.0.0.1:9000'])
    expect(checkSummary(envelope, 1_767_225_600_000, DEFAULT_RENDEZVOUS_CONFIG, verify, id.peerId).ok).toBe(true)
  })
})
