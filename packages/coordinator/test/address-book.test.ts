import { describe, expect, it } from 'vitest'
import { SeededRng, encodeCbor, encodeSignedEnvelope } from '@saorsa-gossip/types'
import { COORDINATOR_DOMAIN } from '../src/domains.ts'
import { decodePeerRecord, signPeerRecord, validatePeerRecord } from '../src/peer-record.ts'
import { AddressBookCore, type AddressBookOutput } from '../src/proto/address-book.ts'
import { COORDINATOR_LOCAL, type AddressBookConfig } from '../src/proto/config.ts'
import { identity } from './helpers.ts'

const CONFIG: AddressBookConfig = { ...COORDINATOR_LOCAL.addressBook, capacity: 3 }

function book(n: number, config = CONFIG): AddressBookCore {
  const me = identity(n)
  return new AddressBookCore({ self: me.peerId, config, rng: new SeededRng(n), signRecord: (a, c) => signPeerRecord(me, a, c) })
}

const published = (out: AddressBookOutput[]): Uint8Array[] =>
  out.flatMap((o) => (o.type === 'emit' && o.event.type === 'publish' ? [o.event.bytes] : []))

describe('peer records', () => {
  const alice = identity(1)

  it('round-trip and validate; an older counter is ignored, tampering and foreign origins rejected', () => {
    const rec = signPeerRecord(alice, ['tcp://10.0.0.1:7000'], 42)
    expect(decodePeerRecord(rec.bytes).record).toEqual({ peerId: alice.peerId, publicKey: alice.publicKey, addresses: ['tcp://10.0.0.1:7000'], counter: 42 })
    expect(validatePeerRecord(rec.bytes, { origin: alice.peerId }).ok).toBe(true)
    expect(validatePeerRecord(rec.bytes, { cachedCounter: 42 })).toMatchObject({ action: 'ignore', reason: 'stale-counter' })
    expect(validatePeerRecord(rec.bytes, { origin: identity(2).peerId })).toMatchObject({ action: 'reject', reason: 'origin-mismatch' })
    const bad = rec.bytes.slice()
    bad[bad.length - 1]! ^= 1
    expect(validatePeerRecord(bad)).toMatchObject({ action: 'reject', reason: 'bad-signature' })
    const body = encodeCbor({ v: 1, id: alice.peerId.bytes, pk: alice.publicKey, a: Array.from({ length: 9 }, () => 'tcp://a:1'), c: 1 })
    const many = encodeSignedEnvelope({ body, sig: alice.sign(COORDINATOR_DOMAIN.peerRecord, body) })
    expect(validatePeerRecord(many)).toMatchObject({ reason: 'too-many-hints' })
    expect(validatePeerRecord(new Uint8Array(7000))).toMatchObject({ reason: 'oversized' })
    expect(validatePeerRecord(new Uint8Array([0xff]))).toMatchObject({ reason: 'malformed' })
  })
})

describe('address book core', () => {
  it('publishes at start and then about every interval, with its own entry in the book', () => {
    const core = book(1)
    const out: AddressBookOutput[] = []
    core.handle({ type: 'command', command: { type: 'start', addresses: ['tcp://10.0.0.1:7000'] } }, 0, out)
    expect(published(out)).toHaveLength(1)
    const publishTimer = out.find((o) => o.type === 'schedule' && o.timer.type === 'publish')
    expect(publishTimer).toBeDefined()
    const delay = publishTimer!.type === 'schedule' ? publishTimer!.delayMs : 0
    expect(delay).toBeGreaterThanOrEqual(CONFIG.publishIntervalMs * 0.5)
    expect(delay).toBeLessThanOrEqual(CONFIG.publishIntervalMs * 1.5)
    expect(core.entries().map((e) => e.peerId)).toEqual([identity(1).peerId])
    const next: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'publish', epoch: 1 } }, delay, next)
    const counters = [...out, ...next].flatMap((o) => (o.type === 'emit' && o.event.type === 'publish' ? [o.event.counter] : []))
    expect(counters[1]!).toBeGreaterThan(counters[0]!)
    const stale: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'publish', epoch: 0 } }, delay, stale)
    expect(stale).toEqual([])
  })

  it('converges: every node that hears every record lists the same book', () => {
    const cores = [1, 2, 3].map((n) => book(n))
    const records: Uint8Array[] = []
    for (const [i, core] of cores.entries()) {
      const out: AddressBookOutput[] = []
      core.handle({ type: 'command', command: { type: 'start', addresses: [`tcp://10.0.0.${i}:7000`] } }, 0, out)
      records.push(...published(out))
    }
    for (const core of cores) {
      for (const bytes of records) {
        const verdict = validatePeerRecord(bytes)
        if (verdict.ok) core.handle({ type: 'command', command: { type: 'record', record: verdict.record } }, 10, [])
      }
    }
    const lists = cores.map((c) => JSON.stringify(c.entries().map((e) => [e.peerId.toHex(), e.addresses, e.counter])))
    expect(new Set(lists).size).toBe(1)
    expect(cores[0]!.size).toBe(3)
  })

  it('expires silent peers, keeps the newest counter, and bounds its size', () => {
    const core = book(1)
    core.handle({ type: 'command', command: { type: 'start', addresses: ['tcp://10.0.0.1:7000'] } }, 0, [])
    const r2 = signPeerRecord(identity(2), ['tcp://10.0.0.2:7000'], 5)
    core.handle({ type: 'command', command: { type: 'record', record: r2 } }, 0, [])
    core.handle({ type: 'command', command: { type: 'record', record: signPeerRecord(identity(2), ['tcp://old:1'], 4) } }, 1, [])
    expect(core.get(identity(2).peerId)?.addresses).toEqual(['tcp://10.0.0.2:7000'])
    core.handle({ type: 'command', command: { type: 'record', record: signPeerRecord(identity(3), ['tcp://10.0.0.3:7000'], 1) } }, 2_000, [])
    const full: AddressBookOutput[] = []
    core.handle({ type: 'command', command: { type: 'record', record: signPeerRecord(identity(4), ['tcp://10.0.0.4:7000'], 1) } }, 2_001, full)
    expect(full).toContainEqual({ type: 'emit', event: { type: 'peer-evicted', peerId: identity(2).peerId } })
    expect(core.size).toBe(3)
    const out: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'expire' } }, 2_000 + CONFIG.expiryMs + 10, out)
    expect(out.filter((o) => o.type === 'emit').map((o) => (o.type === 'emit' ? o.event.type : ''))).toEqual(['peer-expired', 'peer-expired'])
    expect(core.entries().map((e) => e.peerId)).toEqual([identity(1).peerId])
  })
})
