import { describe, expect, it } from 'vitest'
import { SeededRng, encodeCbor } from '@saorsa-gossip/types'
import { MAX_PEER_RECORD_BYTES, decodePeerRecord, encodePeerRecord, validatePeerRecord } from '../src/peer-record.ts'
import { AddressBookCore, type AddressBookOutput } from '../src/proto/address-book.ts'
import { COORDINATOR_LOCAL, checkCoordinatorConfig, type AddressBookConfig } from '../src/proto/config.ts'
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

  it('stretches the interval and the expiry with the book, keeping every node within maxRecordsPerSecond', () => {
    const config: AddressBookConfig = { ...COORDINATOR_LOCAL.addressBook, publishIntervalMs: 2_000, expiryMs: 8_000, maxRecordsPerSecond: 10 }
    const core = book(1, config)
    core.handle({ type: 'command', command: { type: 'start', addresses: ['tcp://10.0.0.1:7000'] } }, 0, [])
    // Up to 20 peers, 20 / 10 per second = 2 s: the configured interval holds.
    for (let n = 2; n <= 20; n++) core.handle({ type: 'command', command: { type: 'record', record: received(n, [`tcp://10.0.1.${n}:7000`], 1) } }, 0, [])
    expect([core.publishIntervalMs(), core.expiryMs()]).toEqual([2_000, 8_000])
    for (let n = 21; n <= 50; n++) core.handle({ type: 'command', command: { type: 'record', record: received(n, [`tcp://10.0.1.${n}:7000`], 1) } }, 0, [])
    expect([core.publishIntervalMs(), core.expiryMs()]).toEqual([5_000, 20_000])
    const delays: number[] = []
    let now = 0
    for (let i = 0; i < 200; i++) {
      // Each round is due at the last publication plus its drawn share of the stretched interval.
      const out: AddressBookOutput[] = []
      core.handle({ type: 'timer', timer: { type: 'publish', epoch: 1 } }, now, out)
      for (const o of out) if (o.type === 'schedule' && o.timer.type === 'publish') delays.push(o.delayMs)
      now += delays.at(-1)!
    }
    delays.shift() // the round scheduled at start, while the book held only us
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2_500)
    expect(Math.max(...delays)).toBeLessThanOrEqual(7_500)
    // 50 peers each publishing every 5 s on average: 10 records a second reach every node.
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length
    expect(50 / (mean / 1000)).toBeGreaterThan(9)
    expect(50 / (mean / 1000)).toBeLessThan(11)
    // A peer silent for 19 s stays (the stretched expiry is 20 s); at 21 s it leaves.
    for (let n = 2; n <= 50; n++) core.handle({ type: 'command', command: { type: 'record', record: received(n, [`tcp://10.0.1.${n}:7000`], 2) } }, now, [])
    const stays: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'expire' } }, now + 19_000, stays)
    expect(stays.filter((o) => o.type === 'emit')).toEqual([])
    const leaves: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'expire' } }, now + 21_000, leaves)
    expect(leaves.filter((o) => o.type === 'emit')).toHaveLength(49)
    expect(core.size).toBe(1)
    expect([core.publishIntervalMs(), core.expiryMs()]).toEqual([2_000, 8_000])
  })

  it('refuses a budget that is not positive', () => {
    expect(() => checkCoordinatorConfig({ ...COORDINATOR_LOCAL, addressBook: { ...COORDINATOR_LOCAL.addressBook, maxRecordsPerSecond: 0 } }))
      .toThrow(/addressBook.maxRecordsPerSecond/)
  })

  it('reconsiders a round scheduled while the book was small, and keeps survivors when the book shrinks', () => {
    const config: AddressBookConfig = { ...COORDINATOR_LOCAL.addressBook, publishIntervalMs: 2_000, expiryMs: 8_000, maxRecordsPerSecond: 10 }
    const core = book(1, config)
    const start: AddressBookOutput[] = []
    core.handle({ type: 'command', command: { type: 'start', addresses: ['tcp://10.0.0.1:7000'] } }, 0, start)
    const first = start.find((o) => o.type === 'schedule' && o.timer.type === 'publish')
    const firstDelay = first?.type === 'schedule' ? first.delayMs : 0
    const jitter = firstDelay / 2_000
    // The cluster starts: 39 records arrive before our round is due, and 40 peers stretch it to 4 s.
    for (let n = 2; n <= 40; n++) core.handle({ type: 'command', command: { type: 'record', record: received(n, [`tcp://10.0.1.${n}:7000`], 1) } }, 0, [])
    const fired: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'publish', epoch: 1 } }, firstDelay, fired)
    expect(published(fired)).toEqual([])
    // Rounded once to schedule the first delay: the jitter read back from it is within 1 ms in 2,000.
    expect(fired).toHaveLength(1)
    const again = fired[0]!.type === 'schedule' ? fired[0]!.delayMs : 0
    expect(Math.abs(firstDelay + again - jitter * 4_000)).toBeLessThanOrEqual(2)
    const dueMs = firstDelay + again
    const due: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'publish', epoch: 1 } }, dueMs, due)
    expect(published(due)).toHaveLength(1)

    // Ten peers publish again at 10 s, while the book still holds 40 (expiry 16 s); the other 29 are gone.
    for (let n = 2; n <= 11; n++) core.handle({ type: 'command', command: { type: 'record', record: received(n, [`tcp://10.0.1.${n}:7000`], 2) } }, 10_000, [])
    core.handle({ type: 'timer', timer: { type: 'expire' } }, 17_000, [])
    expect(core.size).toBe(11)
    expect(core.expiryMs()).toBe(8_000)
    // Their next rounds were scheduled against 40 peers: 9 s of silence does not evict them, 17 s does.
    const kept: AddressBookOutput[] = []
    core.handle({ type: 'timer', timer: { type: 'expire' } }, 19_000, kept)
    expect(kept.filter((o) => o.type === 'emit')).toEqual([])
    core.handle({ type: 'timer', timer: { type: 'expire' } }, 27_000, [])
    expect(core.size).toBe(1)
  })
})
