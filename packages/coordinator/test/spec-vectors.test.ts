/**
 * Recomputes every golden vector of SPEC.md section 9 and checks that the text and the code agree.
 * Keys are the ML-DSA-65 key of section 4.2 (seed 000102...1f), signatures deterministic.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Identity, nobleMlDsa65Deterministic } from '@saorsa-gossip/identity'
import { payloadHash as blake3, toHex } from '@saorsa-gossip/types'
import { decodeAdvert, MAX_ADVERT_BODY_BYTES, MAX_ADVERT_BYTES, MAX_ADVERT_HINTS, signAdvert } from '../src/advert.ts'
import { MAX_ADVERT_CACHE_FILE_BYTES } from '../src/advert-store.ts'
import { validateAdvert } from '../src/advert-validate.ts'
import { COORDINATOR_DOMAIN } from '../src/domains.ts'
import {
  decodeFoafMessage, decodeQueryEnvelope, encodeFoafMessage, encodeQueryBody, encodeQueryEnvelope, MAX_FOAF_MESSAGE_BYTES,
  MAX_QUERY_BODY_BYTES, MAX_QUERY_ENVELOPE_BYTES,
} from '../src/foaf-codec.ts'
import { MAX_PEER_RECORD_BYTES, encodePeerRecord, validatePeerRecord } from '../src/peer-record.ts'
import { COORDINATOR_LAN } from '../src/proto/config.ts'
import { MAX_FOAF_PAYLOAD_BYTES } from '../src/proto/foaf-messages.ts'
import { ADDRESS_BOOK_TOPIC, ADDRESS_BOOK_TOPIC_NAME, COORDINATOR_TOPIC, COORDINATOR_TOPIC_NAME, FOAF_PROTOCOL } from '../src/topics.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const start = spec.indexOf('## 9. Coordinator adverts')
// The next top-level section, whichever number it has (later layers append theirs).
const end = spec.indexOf('\n## ', start + 1)
const section = spec.slice(start, end === -1 ? undefined : end)

function vectors(): Map<string, string> {
  const out = new Map<string, string>()
  for (const match of section.matchAll(/<!-- vector: ([a-z0-9-]+) -->\s*```\n([0-9a-f\n]+)```/g)) {
    out.set(match[1]!, match[2]!.replace(/\s/g, ''))
  }
  return out
}

const seq = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i)
const T0 = 1_767_225_600_000

/** Splits a body around the public key it embeds, so SPEC.md prints the fields but not 1,952 key bytes. */
function aroundKey(body: Uint8Array, publicKey: Uint8Array): [string, string] {
  const hex = toHex(body)
  const at = hex.indexOf(toHex(publicKey))
  if (at < 0) throw new Error('body does not embed the key')
  return [hex.slice(0, at), hex.slice(at + publicKey.length * 2)]
}

describe('SPEC.md section 9 golden vectors', () => {
  const id = Identity.generate({ seed: seq(32), backend: nobleMlDsa65Deterministic })
  const advert = signAdvert(id, {
    roles: ['coordinator', 'relay'], addresses: ['tcp://203.0.113.7:7000'], nat: 'eim', notBeforeMs: T0, notAfterMs: T0 + 3_600_000, sequence: T0,
  })
  const queryBody = encodeQueryBody({
    version: 1, queryId: seq(16), target: { kind: 'coordinator' }, requester: id.peerId, publicKey: id.publicKey, maxTtl: 3, createdAtMs: T0,
  })
  const queryEnvelope = encodeQueryEnvelope(queryBody, id.sign(COORDINATOR_DOMAIN.foafQuery, queryBody))
  const queryMessage = encodeFoafMessage({ type: 'query', envelope: queryEnvelope, ...decodeQueryEnvelope(queryEnvelope), ttl: 3 })
  const userPayload = Uint8Array.from({ length: 1_024 }, (_, i) => i % 256)
  const userQueryBody = encodeQueryBody({
    version: 1, queryId: seq(16), target: { kind: 'user', id: new Uint8Array(32).fill(7) }, requester: id.peerId, publicKey: id.publicKey,
    maxTtl: 2, createdAtMs: T0, payload: userPayload,
  })
  const record = encodePeerRecord({ addresses: ['tcp://192.0.2.1:7000'], counter: T0 })
  const computed = new Map<string, string>()
  computed.set('coordinator-topic', COORDINATOR_TOPIC.toHex())
  computed.set('address-book-topic', ADDRESS_BOOK_TOPIC.toHex())
  const [advertHead, advertTail] = aroundKey(advert.body, id.publicKey)
  computed.set('advert-body-head', advertHead)
  computed.set('advert-body-tail', advertTail)
  computed.set('advert-blake3', toHex(blake3(advert.bytes)))
  const [queryHead, queryTail] = aroundKey(queryBody, id.publicKey)
  computed.set('foaf-query-body-head', queryHead)
  computed.set('foaf-query-body-tail', queryTail)
  computed.set('foaf-query-message-blake3', toHex(blake3(queryMessage)))
  const [userHead, userRest] = aroundKey(userQueryBody, id.publicKey)
  if (!userRest.endsWith(toHex(userPayload))) throw new Error('the payload is not the body\'s last field')
  computed.set('foaf-user-query-body-head', userHead)
  computed.set('foaf-user-query-body-middle', userRest.slice(0, userRest.length - userPayload.length * 2))
  computed.set('foaf-user-query-body-blake3', toHex(blake3(userQueryBody)))
  computed.set('foaf-reply', toHex(encodeFoafMessage({ type: 'reply', queryId: seq(16), records: [new Uint8Array([1, 2, 3])] })))
  computed.set('peer-record', toHex(record))

  it('lists every vector the implementation computes, and only those', () => {
    expect([...vectors().keys()].sort()).toEqual([...computed.keys()].sort())
  })

  it('match the bytes the implementation produces today', () => {
    const printed = vectors()
    for (const [name, value] of computed) expect({ name, value: printed.get(name) }).toEqual({ name, value })
  })

  it('states the caps and names the code uses', () => {
    const fmt = (n: number): string => n.toLocaleString('en-US')
    expect(section).toContain(`**${fmt(MAX_ADVERT_BYTES)} bytes**`)
    expect(section).toContain(`at most **${MAX_ADVERT_HINTS}** hints`)
    expect(section).toContain(`body at most ${fmt(MAX_ADVERT_BODY_BYTES)} bytes`)
    expect(section).toContain(`at most ${fmt(MAX_FOAF_MESSAGE_BYTES)} bytes`)
    expect(section).toContain(`"e": bstr .size (1..${MAX_QUERY_ENVELOPE_BYTES})`)
    expect(section).toContain(`The body is at most ${fmt(MAX_QUERY_BODY_BYTES)} bytes`)
    expect(section).toContain(`? "p": bstr .size (1..${MAX_FOAF_PAYLOAD_BYTES})`)
    expect(section).toContain(`at most ${fmt(MAX_ADVERT_CACHE_FILE_BYTES)} bytes`)
    expect(section).toContain(`At most **${fmt(COORDINATOR_LAN.cacheCapacity)}** adverts`)
    expect(section).toContain(`at most ${fmt(MAX_PEER_RECORD_BYTES)} bytes; c: counter`)
    expect(section).toContain(`\`${FOAF_PROTOCOL}\``)
    expect(section).toContain(`"${COORDINATOR_TOPIC_NAME}"`)
    expect(section).toContain(`"${ADDRESS_BOOK_TOPIC_NAME}"`)
    for (const tag of Object.values(COORDINATOR_DOMAIN)) expect(section).toContain(`\`${tag}\``)
    const f = COORDINATOR_LAN.foaf
    expect([f.ttl, f.fanout, f.forwardsPerMinutePerPeer, f.queriesPerHourPerRequester, f.maxRepliesPerQuery]).toEqual([3, 3, 20, 10, 39])
  })

  it('the printed advert is valid, 5,414 bytes, and decodes to the fields the section lists', () => {
    expect(advert.bytes.length).toBe(5_414)
    expect(section).toContain('5,414 bytes')
    expect(validateAdvert(advert.bytes, { nowMs: T0 }).ok).toBe(true)
    expect(decodeAdvert(advert.bytes).advert.roles).toEqual(['coordinator', 'relay'])
    expect(validatePeerRecord(record, { origin: id.peerId })).toMatchObject({ ok: true, record: { peerId: id.peerId, counter: T0 } })
    expect(decodeFoafMessage(queryMessage)).toMatchObject({ type: 'query', ttl: 3, body: { maxTtl: 3, createdAtMs: T0 } })
    expect(decodeQueryEnvelope(encodeQueryEnvelope(userQueryBody, new Uint8Array(3_309))).body).toMatchObject({ maxTtl: 2, payload: userPayload })
  })
})
