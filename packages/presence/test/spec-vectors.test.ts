/**
 * The golden vectors of SPEC.md section 13.7: every derivation and every message encoding computed
 * from the fixed inputs equals the hex (or BLAKE3 of the encoding) printed in the specification,
 * and every printed encoding decodes back to its example.
 */
import { readFileSync } from 'node:fs'
import { blake3 } from '@noble/hashes/blake3.js'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '@saorsa-gossip/types'
import * as codec from '../src/codec.ts'
import { beaconKey, beaconTopic, openBeacon, presenceTag, sealBeacon } from '../src/proto/index.ts'
import { PRESENCE_EXPORTER_LABEL } from '../src/proto/derive.ts'
import { sharedSecretGroup } from '../src/shared-secret.ts'
import { ALICE, ANSWER, BODY, NONCE, QUERY, REPLY, SECRET, SLICE } from './fixtures.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const start = spec.indexOf('### 13.7 Golden vectors')
const end = spec.indexOf('\n## ', start)
const section = spec.slice(start, end < 0 ? undefined : end)

function vectorFor(name: string): string {
  const at = section.indexOf(`\n${name} (`)
  if (at < 0) throw new Error(`no vector named '${name}' in SPEC.md 13.7`)
  const block = /```\n([0-9a-f\n]+)```/.exec(section.slice(at))
  const hex = block?.[1]?.replace(/\n/g, '') ?? ''
  expect(section).toContain(`${name} (${hex.length / 2} bytes)`)
  return hex
}

const tag = presenceTag(SECRET, ALICE, SLICE)
const key = beaconKey(SECRET, SLICE)
const topic = beaconTopic(SECRET, SLICE)

describe('SPEC.md section 13 golden vectors', () => {
  it('prints the tag, the next slice\'s tag, the beacon key and the beacon topic the code derives', () => {
    expect(start).toBeGreaterThan(0)
    expect(toHex(tag)).toBe(vectorFor('tag'))
    expect(toHex(presenceTag(SECRET, ALICE, SLICE + 1))).toBe(vectorFor('tag at slice + 1'))
    expect(toHex(key)).toBe(vectorFor('beacon key'))
    expect(toHex(topic)).toBe(vectorFor('beacon topic'))
  })

  it('prints the beacon body and the sealed envelope, which opens back to that body', () => {
    const body = codec.encodeBeaconBody(BODY)
    expect(toHex(body)).toBe(vectorFor('beacon body'))
    expect(codec.decodeBeaconBody(fromHex(vectorFor('beacon body')))).toEqual(BODY)
    const envelope = codec.encodeBeaconEnvelope({ tag, nonce: NONCE, ct: sealBeacon(key, topic, tag, NONCE, body) })
    expect(toHex(envelope)).toBe(vectorFor('beacon envelope'))
    const decoded = codec.decodeBeaconEnvelope(fromHex(vectorFor('beacon envelope')))
    expect(openBeacon(key, topic, decoded.tag, decoded.nonce, decoded.ct)).toEqual(body)
  })

  it('prints the find-user answer, and the length and BLAKE3 of the query and reply encodings', () => {
    expect(toHex(codec.encodeFindUserAnswer(ANSWER))).toBe(vectorFor('find-user answer'))
    expect(codec.decodeFindUserAnswer(fromHex(vectorFor('find-user answer')))).toEqual(ANSWER)
    const query = codec.encodeFindUserQuery(QUERY)
    const reply = codec.encodeFindUserReply(REPLY)
    expect(section).toContain(`find-user query: ${query.length} bytes, BLAKE3 \`${toHex(blake3(query))}\``)
    expect(section).toContain(`find-user reply: ${reply.length} bytes, BLAKE3 \`${toHex(blake3(reply))}\``)
    expect(codec.decodeFindUserQuery(query)).toEqual(QUERY)
    expect(codec.decodeFindUserReply(reply)).toEqual(REPLY)
  })

  it('prints the presence secret a shared-secret group exports', () => {
    const group = sharedSecretGroup(fromHex('00'.repeat(31) + '01'))
    expect(toHex(group.exportSecret(PRESENCE_EXPORTER_LABEL, 32) as Uint8Array)).toBe(vectorFor('shared-secret presence secret'))
  })

  it('states the byte caps the codec enforces', () => {
    const caps = spec.slice(spec.indexOf('### 13.3'), spec.indexOf('### 13.4'))
    const fmt = (n: number) => n.toLocaleString('en-US')
    for (const cap of [codec.MAX_BEACON_BYTES, codec.MAX_BEACON_BODY_BYTES, codec.MAX_FIND_QUERY_BYTES, codec.MAX_FIND_REPLY_BYTES]) {
      expect(caps).toContain(`${fmt(cap)} bytes`)
    }
  })
})
