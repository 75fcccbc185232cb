/**
 * The sans-IO cores of NAT traversal, fed inputs and checked on their outbox: adoption of a reflexive
 * address by agreement of distinct reflectors, RFC 4787 mapping classification, and relay admission
 * (reservations, circuit caps, byte and time budgets, stale timers).
 */
import { describe, expect, it } from 'vitest'
import { RELAY_DEFAULTS, REFLECT_DEFAULTS } from '../src/proto/nat-config.ts'
import { classify, ReflexiveCore, type Observation, type ReflexiveOutput } from '../src/proto/reflexive.ts'
import { RelayCore, type RelayOutput } from '../src/proto/relay.ts'

const obs = (reflector: string, viaHost: string, viaPort: number, port: number, localPort = 5000, host = '203.0.113.9'): Observation => ({
  reflector, via: { host: viaHost, port: viaPort }, localPort, observed: { host, port },
})

describe('reflexive address core', () => {
  it('adopts a mapping only once two distinct reflectors report it, and announces each change once', () => {
    const core = new ReflexiveCore(REFLECT_DEFAULTS)
    const out: ReflexiveOutput[] = []
    core.handle({ type: 'observed', observation: obs('r1', '198.51.100.10', 4000, 5000) }, 0, out)
    expect(out).toEqual([])
    core.handle({ type: 'observed', observation: obs('r1', '198.51.100.11', 4000, 5000) }, 1, out)
    // Same reflector twice: no agreement yet, but two destination hosts saw one mapping.
    expect(out).toEqual([{ type: 'emit', event: { type: 'changed', reflexive: undefined, nat: 'eim' } }])
    out.length = 0
    core.handle({ type: 'observed', observation: obs('r2', '198.51.100.11', 4000, 5000) }, 2, out)
    expect(out).toEqual([{ type: 'emit', event: { type: 'changed', reflexive: { host: '203.0.113.9', port: 5000, localPort: 5000 }, nat: 'eim' } }])
    out.length = 0
    core.handle({ type: 'observed', observation: obs('r2', '198.51.100.11', 4000, 5000) }, 3, out)
    expect(out).toEqual([])
  })

  it('lets no single reflector set the address, forgets a reflector and expires old observations', () => {
    const core = new ReflexiveCore({ ...REFLECT_DEFAULTS, observationTtlMs: 100 })
    const out: ReflexiveOutput[] = []
    core.handle({ type: 'observed', observation: obs('liar', '198.51.100.10', 4000, 6666, 5000, '192.0.2.66') }, 0, out)
    core.handle({ type: 'observed', observation: obs('r1', '198.51.100.11', 4000, 5000) }, 0, out)
    core.handle({ type: 'observed', observation: obs('r2', '198.51.100.12', 4000, 5000) }, 0, out)
    expect(core.state.reflexive).toEqual({ host: '203.0.113.9', port: 5000, localPort: 5000 })
    core.handle({ type: 'forget', reflector: 'r2' }, 1, out)
    expect(core.state.reflexive).toBeUndefined()
    core.handle({ type: 'observed', observation: obs('r2', '198.51.100.12', 4000, 5000) }, 50, out)
    expect(core.state.reflexive).toBeDefined()
    core.handle({ type: 'observed', observation: obs('r3', '198.51.100.13', 4000, 7000) }, 200, out)
    expect(core.state).toEqual({ reflexive: undefined, nat: 'unknown' })
  })

  it('classifies mapping behaviour as in RFC 4787: eim, edm (address-dependent), symmetric (port-dependent)', () => {
    expect(classify([obs('a', '10.0.0.1', 1, 5000)])).toBe('unknown')
    expect(classify([obs('a', '10.0.0.1', 1, 5000), obs('b', '10.0.0.2', 1, 5000)])).toBe('eim')
    expect(classify([obs('a', '10.0.0.1', 1, 5000), obs('b', '10.0.0.2', 1, 5001)])).toBe('edm')
    expect(classify([obs('a', '10.0.0.1', 1, 5000), obs('a', '10.0.0.1', 2, 5001), obs('b', '10.0.0.2', 1, 5002)])).toBe('symmetric')
    // Observations of different local ports are never compared.
    expect(classify([obs('a', '10.0.0.1', 1, 5000, 1), obs('b', '10.0.0.2', 1, 6000, 2)])).toBe('unknown')
  })

  it('keeps at most maxObservations', () => {
    const core = new ReflexiveCore({ ...REFLECT_DEFAULTS, maxObservations: 2 })
    const out: ReflexiveOutput[] = []
    for (let i = 0; i < 10; i++) core.handle({ type: 'observed', observation: obs(`r${i}`, `10.0.0.${i}`, 1, 5000) }, i, out)
    expect(core.state.reflexive?.port).toBe(5000)
    core.handle({ type: 'observed', observation: obs('x', '10.0.1.1', 1, 9000) }, 11, out)
    core.handle({ type: 'observed', observation: obs('y', '10.0.1.2', 1, 9001) }, 12, out)
    expect(core.state.reflexive).toBeUndefined()
  })
})

describe('relay core', () => {
  const types = (out: RelayOutput[]): string[] => out.map((o) => o.type === 'refused' ? `refused:${o.status}` : o.type)

  it('refuses a circuit to a peer without a reservation and admits one to a reserved peer', () => {
    const core = new RelayCore(RELAY_DEFAULTS)
    const out: RelayOutput[] = []
    core.handle({ type: 'connect', circuit: 'c1', from: 'a', target: 'b' }, 0, out)
    expect(types(out)).toEqual(['refused:no-reservation'])
    out.length = 0
    core.handle({ type: 'reserve', peer: 'b', source: '10.0.0.2' }, 0, out)
    expect(out).toEqual([
      { type: 'reserved', peer: 'b', ttlMs: RELAY_DEFAULTS.reservationTtlMs },
      { type: 'schedule', delayMs: RELAY_DEFAULTS.reservationTtlMs, timer: { kind: 'reservation-expiry', peer: 'b', expiresAtMs: RELAY_DEFAULTS.reservationTtlMs } },
    ])
    out.length = 0
    core.handle({ type: 'connect', circuit: 'c1', from: 'a', target: 'b' }, 0, out)
    expect(types(out)).toEqual(['admitted', 'schedule'])
    core.handle({ type: 'connect', circuit: 'c2', from: 'b', target: 'b' }, 0, out)
    expect(types(out).at(-1)).toBe('refused:permission-denied')
  })

  it('caps reservations in total and per source, circuits in total and per peer', () => {
    const core = new RelayCore({ ...RELAY_DEFAULTS, maxReservations: 3, maxReservationsPerSource: 2, maxCircuits: 3, maxCircuitsPerPeer: 2 })
    const out: RelayOutput[] = []
    for (const [peer, source] of [['p1', 's1'], ['p2', 's1'], ['p3', 's1'], ['p4', 's2'], ['p5', 's3']]) core.handle({ type: 'reserve', peer: peer!, source: source! }, 0, out)
    expect(types(out).filter((t) => t !== 'schedule')).toEqual(['reserved', 'reserved', 'refused:reservation-refused', 'reserved', 'refused:reservation-refused'])
    // A refresh of a held reservation never counts against the caps.
    out.length = 0
    core.handle({ type: 'reserve', peer: 'p1', source: 's1' }, 1, out)
    expect(types(out)).toEqual(['reserved', 'schedule'])
    out.length = 0
    core.handle({ type: 'connect', circuit: 'c1', from: 'x', target: 'p1' }, 0, out)
    core.handle({ type: 'connect', circuit: 'c2', from: 'y', target: 'p1' }, 0, out)
    core.handle({ type: 'connect', circuit: 'c3', from: 'z', target: 'p1' }, 0, out)
    core.handle({ type: 'connect', circuit: 'c4', from: 'z', target: 'p2' }, 0, out)
    core.handle({ type: 'connect', circuit: 'c5', from: 'w', target: 'p4' }, 0, out)
    expect(types(out).filter((t) => t !== 'schedule')).toEqual(['admitted', 'admitted', 'refused:resource-limit-exceeded', 'admitted', 'refused:resource-limit-exceeded'])
    expect(core.circuitCount).toBe(3)
  })

  it('closes a circuit over its byte budget per direction and at its deadline; stale timers do nothing', () => {
    const core = new RelayCore({ ...RELAY_DEFAULTS, circuitBytesPerDirection: 100 })
    const out: RelayOutput[] = []
    core.handle({ type: 'reserve', peer: 'b', source: 's' }, 0, out)
    core.handle({ type: 'connect', circuit: 'c1', from: 'a', target: 'b' }, 0, out)
    core.handle({ type: 'connect', circuit: 'c2', from: 'a', target: 'b' }, 0, out)
    out.length = 0
    core.handle({ type: 'bytes', circuit: 'c1', from: 'a', n: 100 }, 1, out)
    core.handle({ type: 'bytes', circuit: 'c1', from: 'b', n: 100 }, 1, out)
    expect(out).toEqual([])
    core.handle({ type: 'bytes', circuit: 'c1', from: 'a', n: 1 }, 2, out)
    expect(out).toEqual([{ type: 'close', circuit: 'c1', reason: 'byte-limit' }])
    out.length = 0
    core.handle({ type: 'timer', timer: { kind: 'circuit-expiry', circuit: 'c1' } }, RELAY_DEFAULTS.circuitDurationMs, out)
    core.handle({ type: 'timer', timer: { kind: 'circuit-expiry', circuit: 'c2' } }, RELAY_DEFAULTS.circuitDurationMs, out)
    expect(out).toEqual([{ type: 'close', circuit: 'c2', reason: 'time-limit' }])
    expect(core.counters).toMatchObject({ closedOverBytes: 1, closedOverTime: 1, bytesForwarded: 200 })
  })

  it('ends a reservation at its expiry unless refreshed, closing the circuits to it; peer-down ends everything of a peer', () => {
    const core = new RelayCore({ ...RELAY_DEFAULTS, reservationTtlMs: 1000 })
    const out: RelayOutput[] = []
    core.handle({ type: 'reserve', peer: 'b', source: 's' }, 0, out)
    core.handle({ type: 'reserve', peer: 'b', source: 's' }, 500, out)
    core.handle({ type: 'connect', circuit: 'c1', from: 'a', target: 'b' }, 600, out)
    out.length = 0
    core.handle({ type: 'timer', timer: { kind: 'reservation-expiry', peer: 'b', expiresAtMs: 1000 } }, 1000, out)
    expect(out).toEqual([])
    // A timer run a little early waits out the rest instead of leaving the reservation for good.
    core.handle({ type: 'timer', timer: { kind: 'reservation-expiry', peer: 'b', expiresAtMs: 1500 } }, 1499.25, out)
    expect(out).toEqual([{ type: 'schedule', delayMs: 0.75, timer: { kind: 'reservation-expiry', peer: 'b', expiresAtMs: 1500 } }])
    expect(core.hasReservation('b')).toBe(true)
    out.length = 0
    core.handle({ type: 'timer', timer: { kind: 'reservation-expiry', peer: 'b', expiresAtMs: 1500 } }, 1500, out)
    expect(out).toEqual([{ type: 'close', circuit: 'c1', reason: 'reservation-ended' }])
    expect(core.hasReservation('b')).toBe(false)
    core.handle({ type: 'reserve', peer: 'b', source: 's' }, 2000, out)
    core.handle({ type: 'connect', circuit: 'c2', from: 'a', target: 'b' }, 2000, out)
    out.length = 0
    core.handle({ type: 'peer-down', peer: 'a' }, 2001, out)
    expect(out).toEqual([{ type: 'close', circuit: 'c2', reason: 'peer-down' }])
  })
})
