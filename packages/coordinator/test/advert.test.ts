import { describe, expect, it } from 'vitest'
import { DecodeError, PeerId, decodeCbor, encodeCbor, encodeSignedEnvelope, schema } from '@saorsa-gossip/types'
import { decodeAdvert, MAX_ADVERT_BYTES, signAdvert, type AdvertFields } from '../src/advert.ts'
import { validateAdvert } from '../src/advert-validate.ts'
import { COORDINATOR_LAN } from '../src/proto/config.ts'
import { advertBody, HOUR, identity, rawAdvert, T0 } from './helpers.ts'

const FIELDS: AdvertFields = {
  roles: ['coordinator', 'relay'], addresses: ['tcp://203.0.113.7:7000', 'tcp://[2001:db8::7]:7000'], nat: 'eim',
  notBeforeMs: T0, notAfterMs: T0 + HOUR, sequence: 5,
}

describe('coordinator adverts', () => {
  const alice = identity(1)
  const mallory = identity(2)
  const good = signAdvert(alice, FIELDS)

  it('round-trips every field and stays near 5.4 KB', () => {
    const decoded = decodeAdvert(good.bytes)
    expect(decoded.advert).toEqual({ version: 1, peerId: alice.peerId, publicKey: alice.publicKey, ...FIELDS })
    expect(good.bytes.length).toBeGreaterThan(5_300)
    expect(good.bytes.length).toBeLessThan(5_500)
  })

  it('accepts a genuine advert inside its window', () => {
    const verdict = validateAdvert(good.bytes, { nowMs: T0 + 1_000 })
    expect(verdict.ok && verdict.advert.advert.sequence).toBe(5)
  })

  it('rejects a forged signature, and a body signed under another domain', () => {
    const tampered = good.bytes.slice()
    tampered[tampered.length - 10]! ^= 1
    expect(validateAdvert(tampered, { nowMs: T0 })).toMatchObject({ ok: false, action: 'reject', reason: 'bad-signature' })
    const body = encodeCbor(advertBody(alice))
    const wrongDomain = encodeSignedEnvelope({ body, sig: alice.sign('saorsa-gossip/test/v1', body) })
    expect(validateAdvert(wrongDomain, { nowMs: T0 })).toMatchObject({ reason: 'bad-signature' })
  })

  it('rejects a key that is not bound to the advertised PeerId', () => {
    const bytes = rawAdvert(mallory, advertBody(mallory, { id: alice.peerId.bytes }))
    expect(validateAdvert(bytes, { nowMs: T0 })).toMatchObject({ action: 'reject', reason: 'key-mismatch' })
  })

  it('rejects an advert relayed as a pubsub message of another origin', () => {
    expect(validateAdvert(good.bytes, { nowMs: T0, origin: mallory.peerId })).toMatchObject({ action: 'reject', reason: 'origin-mismatch' })
    expect(validateAdvert(good.bytes, { nowMs: T0, origin: alice.peerId }).ok).toBe(true)
  })

  it('enforces the validity window: at most 24 h long, not before its start, not after its end (30 s skew)', () => {
    const long = rawAdvert(alice, advertBody(alice, { na: T0 + 24 * HOUR + 1 }))
    expect(validateAdvert(long, { nowMs: T0 })).toMatchObject({ action: 'reject', reason: 'validity-too-long' })
    const inverted = rawAdvert(alice, advertBody(alice, { nb: T0 + 10, na: T0 }))
    expect(validateAdvert(inverted, { nowMs: T0 })).toMatchObject({ reason: 'validity-too-long' })
    expect(validateAdvert(good.bytes, { nowMs: T0 - 30_001 })).toMatchObject({ action: 'reject', reason: 'not-yet-valid' })
    expect(validateAdvert(good.bytes, { nowMs: T0 - 30_000 }).ok).toBe(true)
    expect(validateAdvert(good.bytes, { nowMs: T0 + HOUR + 30_001 })).toMatchObject({ action: 'reject', reason: 'expired' })
  })

  it('rejects more than 10 hints and anything over 6 KiB before verifying', () => {
    const hints = Array.from({ length: 11 }, (_, i) => `tcp://10.0.0.${i}:7000`)
    expect(validateAdvert(rawAdvert(alice, advertBody(alice, { a: hints })), { nowMs: T0 }))
      .toMatchObject({ action: 'reject', reason: 'too-many-hints' })
    const long = Array.from({ length: 10 }, (_, i) => `tcp://${'h'.repeat(100)}${i}.example:7000`)
    const oversized = rawAdvert(alice, advertBody(alice, { a: long }))
    expect(oversized.length).toBeGreaterThan(MAX_ADVERT_BYTES)
    let verifies = 0
    const verify = (): boolean => { verifies++; return true }
    expect(validateAdvert(oversized, { nowMs: T0, verify })).toMatchObject({ action: 'reject', reason: 'oversized' })
    expect(verifies).toBe(0)
  })

  it('ignores a replayed or older sequence and a publisher faster than the rate limit, without verifying', () => {
    let verifies = 0
    const verify = (): boolean => { verifies++; return true }
    expect(validateAdvert(good.bytes, { nowMs: T0, cached: { sequence: 5, acceptedAtMs: T0 - HOUR }, verify }))
      .toMatchObject({ ok: false, action: 'ignore', reason: 'stale-sequence' })
    const gap = COORDINATOR_LAN.advert.minAdvertIntervalMs
    expect(validateAdvert(good.bytes, { nowMs: T0, cached: { sequence: 4, acceptedAtMs: T0 - gap + 1 }, verify }))
      .toMatchObject({ action: 'ignore', reason: 'rate-limited' })
    expect(verifies).toBe(0)
    expect(validateAdvert(good.bytes, { nowMs: T0, cached: { sequence: 4, acceptedAtMs: T0 - gap }, verify }).ok).toBe(true)
  })

  it('names malformed input instead of throwing, whatever the bytes', () => {
    for (const bytes of [new Uint8Array(0), new Uint8Array([0xa0]), encodeCbor({ body: new Uint8Array(3), sig: new Uint8Array(3) }),
      rawAdvert(alice, advertBody(alice, { r: ['coordinator', 'coordinator'] })), rawAdvert(alice, advertBody(alice, { nat: 'full-cone' })),
      rawAdvert(alice, advertBody(alice, { a: [''] })), rawAdvert(alice, advertBody(alice, { v: 2 }))]) {
      expect(validateAdvert(bytes, { nowMs: T0 })).toMatchObject({ ok: false, action: 'reject', reason: 'malformed' })
    }
    expect(validateAdvert('nope' as unknown as Uint8Array, { nowMs: T0 })).toMatchObject({ reason: 'malformed' })
  })

  it('refuses to build adverts that break a rule, naming the argument', () => {
    expect(() => signAdvert(alice, { ...FIELDS, roles: [] })).toThrow(/roles/)
    expect(() => signAdvert(alice, { ...FIELDS, nat: 'open' as never })).toThrow(/nat/)
    expect(() => signAdvert(alice, { ...FIELDS, notAfterMs: T0 - 1 })).toThrow(/notAfterMs/)
    expect(() => signAdvert(alice, { ...FIELDS, addresses: Array.from({ length: 11 }, () => 'tcp://a:1') }))
      .toThrow(expect.objectContaining({ name: 'AdvertTooLargeError' }))
    const long = Array.from({ length: 10 }, (_, i) => `tcp://${'h'.repeat(100)}${i}.example:7000`)
    expect(() => signAdvert(alice, { ...FIELDS, addresses: long })).toThrow(expect.objectContaining({ name: 'AdvertTooLargeError' }))
  })

  it('decodes only what the schema allows (unknown keys are rejected)', () => {
    expect(() => decodeAdvert(rawAdvert(alice, advertBody(alice, { x: 1 })))).toThrow(DecodeError)
    const envelope = decodeCbor(good.bytes, schema.object({ body: schema.bytes({ max: 6000 }), sig: schema.bytes({ max: 4000 }) }), { maxBytes: 7000 })
    expect(PeerId.fromPublicKey(alice.publicKey).equals(decodeAdvert(good.bytes).advert.peerId)).toBe(true)
    expect(envelope.sig.length).toBe(3309)
  })
})
