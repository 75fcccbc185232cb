/**
 * Golden vectors of SPEC.md sections 1-3: each vector in vectors.json is recomputed from its inputs,
 * and each output hex must appear in SPEC.md, as must every LIMITS entry in the limits table, so the
 * specification and the code cannot drift apart.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8 } from '../src/bytes.ts'
import { DOMAIN } from '../src/domains.ts'
import { decodeSignedEnvelope, encodeSignedEnvelope } from '../src/envelope.ts'
import { HEADER_VERSION, MAX_HEADER_BYTES, decodeMessageHeader, encodeMessageHeader, type MessageHeader } from '../src/header.ts'
import { MessageId, PeerId, TopicId, payloadHash } from '../src/ids.ts'
import { LIMITS } from '../src/limits.ts'

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as {
  peerId: { publicKeyHex: string; peerIdHex: string }
  topicId: { name: string; topicIdHex: string }
  payloadHash: { payloadUtf8: string; payloadHashHex: string }
  messageId: { originHex: string; seq: number; payloadHashHex: string; messageIdHex: string }
  header: { topicName: string; originHex: string; seq: number; timestampMs: number; payloadLength: number; payloadHashHex: string; encodedHex: string }
  envelope: { bodyHex: string; sigHex: string; encodedHex: string }
}
const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
/** SPEC.md wraps long hex over several lines; compare with all whitespace removed. */
const specCompact = spec.replace(/\s+/g, '')

describe('golden vectors are recomputed from their inputs', () => {
  it('PeerId of the public key whose byte i is i mod 256', () => {
    const pk = fromHex(vectors.peerId.publicKeyHex)
    expect(pk).toEqual(Uint8Array.from({ length: LIMITS.mldsa65PublicKeyBytes }, (_, i) => i & 0xff))
    expect(PeerId.fromPublicKey(pk).toHex()).toBe(vectors.peerId.peerIdHex)
  })

  it('TopicId.fromName', () => {
    expect(TopicId.fromName(vectors.topicId.name).toHex()).toBe(vectors.topicId.topicIdHex)
  })

  it('payloadHash and MessageId.derive', () => {
    expect(toHex(payloadHash(utf8(vectors.payloadHash.payloadUtf8)))).toBe(vectors.payloadHash.payloadHashHex)
    const { originHex, seq, payloadHashHex, messageIdHex } = vectors.messageId
    expect(MessageId.derive(PeerId.fromHex(originHex), seq, fromHex(payloadHashHex)).toHex()).toBe(messageIdHex)
  })

  it('the encoded message header, in both directions', () => {
    const v = vectors.header
    const header: MessageHeader = {
      version: HEADER_VERSION, topic: TopicId.fromName(v.topicName), origin: PeerId.fromHex(v.originHex), seq: v.seq,
      timestampMs: v.timestampMs, payloadLength: v.payloadLength, payloadHash: fromHex(v.payloadHashHex),
    }
    expect(toHex(encodeMessageHeader(header))).toBe(v.encodedHex)
    const back = decodeMessageHeader(fromHex(v.encodedHex))
    expect(back.timestampMs).toBe(v.timestampMs)
    expect(back.origin.toHex()).toBe(v.originHex)
    expect(v.encodedHex.length / 2).toBeLessThanOrEqual(MAX_HEADER_BYTES)
  })

  it('the encoded signed envelope, in both directions', () => {
    const v = vectors.envelope
    expect(v.bodyHex).toBe(vectors.header.encodedHex)
    expect(toHex(encodeSignedEnvelope({ body: fromHex(v.bodyHex), sig: fromHex(v.sigHex) }))).toBe(v.encodedHex)
    const back = decodeSignedEnvelope(fromHex(v.encodedHex), { maxBodyBytes: MAX_HEADER_BYTES })
    expect(toHex(back.body)).toBe(v.bodyHex)
    expect(toHex(back.sig)).toBe(v.sigHex)
  })
})

describe('SPEC.md carries the same vectors and limits', () => {
  const outputs: Array<[string, string]> = [
    ['PeerId', vectors.peerId.peerIdHex],
    ['TopicId', vectors.topicId.topicIdHex],
    ['payload hash', vectors.payloadHash.payloadHashHex],
    ['MessageId', vectors.messageId.messageIdHex],
    ['encoded header', vectors.header.encodedHex],
    ['encoded envelope', vectors.envelope.encodedHex],
  ]
  for (const [name, hex] of outputs) {
    it(`SPEC.md contains the ${name} vector`, () => {
      expect(specCompact).toContain(hex)
    })
  }

  it('the limits table lists every LIMITS key with its value', () => {
    const section = spec.slice(spec.indexOf('## 3. Limits'), spec.indexOf('## 4.'))
    for (const [key, value] of Object.entries(LIMITS)) {
      expect(section, key).toMatch(new RegExp(`^\\| \`${key}\` \\| ${value} \\|`, 'm'))
    }
  })

  it('the spec names the derivation strings of the ids and every signing domain tag', () => {
    for (const tag of ['saorsa-gossip/topic/v1', 'saorsa-gossip/message-id/v1', ...Object.values(DOMAIN)]) {
      expect(spec).toContain(`\`${tag}\``)
    }
  })
})
