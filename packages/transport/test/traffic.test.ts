/**
 * Traffic counts by class and protocol (SPEC.md section 5.5.1): routed, direct and stream frames are
 * counted under the protocol they serve on both sides, control frames under no protocol, and names a
 * peer makes up are reported as unknown without growing the series past the cap.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connectedPair, type Pair } from './pair.ts'
import { BULK, MSHIP, PUBSUB } from './protocols.ts'
import { until } from './transport-suite.ts'
import { MAX_TRAFFIC_SERIES, TrafficLedger, UNKNOWN_PROTOCOL, type TrafficEntry } from '../src/traffic.ts'
import { FRAME_KIND, frame, tagged } from '../src/frames.ts'

const ECHO = Object.freeze({ name: '/test/echo/1', streamClass: 'pubsub' } as const)

function find(entries: readonly TrafficEntry[], direction: string, cls: string, protocol: string): TrafficEntry | undefined {
  return entries.find((e) => e.direction === direction && e.class === cls && e.protocol === protocol)
}

describe('traffic by class and protocol', () => {
  let pair: Pair | undefined
  afterEach(async () => { await pair?.close(); pair = undefined })

  it('counts routed, direct and stream frames under their protocol on both sides', async () => {
    pair = await connectedPair()
    const { a, b, out } = pair
    let routed = 0
    b.handle(MSHIP, () => { routed++ })
    b.handleDirect(ECHO, (m) => m)
    let streamed = 0
    b.handleStream(BULK, (s) => { void s.bytes().then((d) => { streamed = d.length }) })
    for (let i = 0; i < 3; i++) await out.send(MSHIP, new Uint8Array(100))
    expect((await out.request(ECHO, new Uint8Array(500))).length).toBe(500)
    const writer = await out.openStream(BULK)
    await writer.write(new Uint8Array(600_000))
    await writer.close()
    await until(() => routed === 3 && streamed === 600_000)

    const sentA = a.stats().traffic
    const gotB = b.stats().traffic
    // Three 100-byte messages, each behind a 5-byte frame header and a 1 + 13-byte name.
    expect(find(sentA, 'sent', 'mship', MSHIP.name)).toMatchObject({ frames: 3, bytes: 3 * (100 + 5 + 14) })
    expect(find(gotB, 'received', 'mship', MSHIP.name)).toMatchObject({ frames: 3, bytes: 3 * (100 + 5 + 14) })
    // The request went one way and its response came back under the same name (a name b handles, a sent on).
    expect(find(sentA, 'sent', 'pubsub', ECHO.name)?.frames).toBe(1)
    expect(find(sentA, 'received', 'pubsub', ECHO.name)?.frames).toBe(1)
    expect(find(gotB, 'sent', 'pubsub', ECHO.name)?.bytes).toBeGreaterThan(500)
    // Stream data and its end go out tagged; the credit the acceptor grants comes back tagged too (a
    // credit arriving after the stream finished belongs to no open stream and counts as unknown).
    expect(find(sentA, 'sent', 'bulk', BULK.name)!.bytes).toBeGreaterThan(600_000)
    expect(find(gotB, 'received', 'bulk', BULK.name)!.bytes).toBe(find(sentA, 'sent', 'bulk', BULK.name)!.bytes)
    expect(find(gotB, 'sent', 'bulk', BULK.name)?.frames).toBeGreaterThan(0)
    expect(find(sentA, 'received', 'bulk', BULK.name)?.frames).toBeGreaterThan(0)
    expect([...sentA, ...gotB].some((e) => e.protocol === UNKNOWN_PROTOCOL && e.class !== 'bulk')).toBe(false)
  })

  it('reports control frames under no protocol, and a name nobody here uses as unknown', async () => {
    pair = await connectedPair()
    const { b, out } = pair
    await out.ping()
    await out.send({ name: '/made/up/1', streamClass: 'pubsub' }, new Uint8Array(10))
    await until(() => b.stats().drops['unknown-protocol'] === 1)
    expect(find(b.stats().traffic, 'received', 'control', '')?.frames).toBe(1)
    expect(find(b.stats().traffic, 'received', 'pubsub', UNKNOWN_PROTOCOL)?.frames).toBe(1)
    expect(find(b.stats().traffic, 'received', 'pubsub', '/made/up/1')).toBeUndefined()
  })

  it('keeps at most MAX_TRAFFIC_SERIES series, folding the rest into unknown', () => {
    const ledger = new TrafficLedger()
    for (let i = 0; i < MAX_TRAFFIC_SERIES * 2; i++) ledger.sent(tagged(frame(FRAME_KIND.pubsub, new Uint8Array(1)), `/local/${i}`))
    const entries = ledger.entries()
    expect(entries.length).toBe(MAX_TRAFFIC_SERIES + 1)
    expect(entries.reduce((n, e) => n + e.frames, 0)).toBe(MAX_TRAFFIC_SERIES * 2)
    expect(find(entries, 'sent', 'pubsub', UNKNOWN_PROTOCOL)?.frames).toBe(MAX_TRAFFIC_SERIES)
  })
})
