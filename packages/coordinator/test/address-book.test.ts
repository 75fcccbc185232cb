import { describe, expect, it } from 'vitest'
import { SeededRng, encodeCbor } from '@saorsa-gossip/types'
import { MAX_PEER_RECORD_BYTES, decodePeerRecord, encodePeerRecord, validatePeerRecord } from '../src/peer-record.ts'
import { AddressBookCore, type AddressBookOutput } from '../src/proto/address-book.ts'
import { COORDINATOR_LOCAL, type AddressBookConfig } from '../src/proto/config.ts'
import { identity } from './helpers.ts'

const CONFIG: AddressBookConfig = { ...COORDINATOR_LOCAL.addressBook, capacity: 3 }

function book(n: number, config = CONFIG): AddressBookCore {
  return new AddressBookCore({ self: identity(n).peerId, config, rng: new SeededRng(n) })
}

const published = (out: AddressBookOutput[]): Uint8Array[] =>
  out.flatMap((o) => (o.type === 'emit' && o.event.type === 'publish' ? [o.event.bytes] : []))

/** A record as the book takes it after validation: the pubsub origin is the peer it describes. */
const received = (n: number, addresses: string[], counter: number) => ({ peerId: identity(n).peerId, addresses, counter })

describe('peer records', () => {
  const alice = identity(1)

  it('round-trip and validate as their origin\'s; an older counter is ignored, bad shapes rejected', () => {
    const bytes = encodePeerRecord({ addresses: ['tcp://10.0.0.1:7000'], counter: 42 })
    expect(bytes.length).toBeLessThan(40)
    expect(decodePeerRecord(bytes)).toEqual({ addresses: ['tcp://10.0.0.1:7000'], counter: 42 })
    expect(validatePeerRecord(bytes, { origin: alice.peerId })).toEqual({
      ok: true, action: 'accept', record: { peerId: alice.peerId, addresses: ['tcp://10.0.0.1:7000'], counter: 42 },
    })
    expect(validatePeerRecord(bytes, { origin: alice.peerId, cachedCounter: 42 })).toMatchObject({ action: 'ignore', reason: 'stale-counter' })
    expect(validatePeerRecord(bytes, { origin: alice.peerId, cachedCounter: 41 }).ok).toBe(true)
    const many = encodeCbor({ v: 2, a: Array.from({ length: 9 }, () => 'tcp://a:1'), c: 1 })
    expect(validatePeerRecord(many, { origin: alice.peerId })).toMatchObject({ action: 'reject', reason: 'too-many-hints' })
    expect(validatePeerRecord(new Uint8Array(MAX_PEER_RECORD_BYTES + 1), { origin: alice.peerId })).toMatchObject({ reason: 'oversized' })
    expect(validatePeerRecord(new Uint8Array([0xff]), { origin: alice.peerId })).toMatchObject({ action: 'reject', reason: 'malformed' })
    // Version 1 (a signed envelope with the key) and empty hints are refused.
    expect(validatePeerRecord(encodeCbor({ v: 1, a: [], c: 1 }), { origin: alice.peerId })).toMatchObject({ reason: 'malformed' })
    expect(validatePeerRecord(encodeCbor({ v: 2, a: [''], c: 1 }), { origin: alice.peerId })).toMatchObject({ reason: 'malformed' })
  })

  it('fit eight hints of the longest length under the cap, and refuse to build a record the cap would drop', () => {
    const longest = Array.from({ length: 8 }, (_, i) => `tcp://${String(i).padStart(250, 'a')}`)
    expect(longest.every((a) => a.length === 256)).toBe(true)
    const bytes = encodePeerRecord({ addresses: longest, counter: Number.MAX_SAFE_INTEGER })
    expect(bytes.length).toBe(2_090)
    expect(bytes.length).toBeLessThanOrEqual(MAX_PEER_RECORD_BYTES)
    expect(() => encodePeerRecord({ addresses: [...longest, 'tcp://x:1'], counter: 1 })).toThrow(/at most 8 hints/)
    expect(() => encodePeerRecord({ addresses: ['é'.repeat(256), ...longest.slice(1)], counter: 1 })).toThrow(/exceeds 2112/)
    expect(() => encodePeerRecord({ addresses: [''], counter: 1 })).toThrow(RangeError)
    expect(() => encodePeerRecord({ addresses: [], counter: -1 })).toThrow(/counter/)
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
    const records: Array<[number, Uint8Array]> = []
    for (const [i, core] of cores.entries()) {
      const out: AddressBookOutput[] = []
      core.handle({ type: 'command', command: { type: 'start', addresses: [`tcp://10.0.0.${i}:7000`] } }, 0, out)
      records.push(...published(out).map((bytes) => [i + 1, bytes] as [number, Uint8Array]))
    }
    for (const core of cores) {
      for (const [n, bytes] of records) {
        const verdict = validatePeerRecord(bytes, { origin: identity(n).peerId, cachedCounter: core.counterOf(identity(n).peerId) })
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
    core.handle({ type: 'command', command: { type: 'record', record: received(2, ['tcp://10.0.0.2:7000'], 5) } }, 0, [])
    core.handle({ type: 'command', command: { type: 'record', record: received(2, ['tcp://old:1'], 4) } }, 1, [])
    expect(core.get(identity(2).peerId)?.addresses).toEqual(['tcp://10.0.0.2:7000'])
    core.handle({ type: 'command', command: { type: 'record', record: received(3, ['tcp://10.0.0.3:7000'], 1) } }, 2_000, [])
    const full: AddressBookOutput[] = []
    core.handle({ type: 'command', command: { type: 'record', record: received(4, ['tcp://10.0.0.4:7000'], 1) } }, 2_001, full)
    expect(full).toContainEqual({ type: 'emit', event: { type: 'peer-evicted', peerId: identity(2).peerId } })
    expect(core.size).toBe(3)
    const out: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'expire' } }, 2_000 + CONFIG.expiryMs + 10, out)
    expect(out.filter((o) => o.type === 'emit').map((o) => (o.type === 'emit' ? o.event.type : ''))).toEqual(['peer-expired', 'peer-expired'])
    expect(core.entries().map((e) => e.peerId)).toEqual([identity(1).peerId])
  })
})
