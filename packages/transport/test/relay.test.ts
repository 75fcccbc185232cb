/**
 * Circuit relay v2 over the in-memory carrier: a reserved peer is reached through `circuit://`
 * addresses with the handshake end to end, a relay never forwards for a peer without a reservation
 * nor a stream that names no admitted circuit, circuits over their byte or time budget close, and
 * 100 clients cannot grow the relay beyond its caps.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { createTransport } from '../src/transport.ts'
import type { Transport } from '../src/types.ts'
import { formatCircuitAddress, parseCircuitAddress } from '../src/nat/circuit-address.ts'
import { createCircuitCarrier, type CircuitCarrier } from '../src/nat/circuit-carrier.ts'
import { HOP_DATA_PROTOCOL, HOP_PROTOCOL, PUNCH_PROTOCOL } from '../src/nat/protocols.ts'
import { createPuncher } from '../src/nat/punch.ts'
import { decodePunchMessage, decodeRelayMessage, encodePunchMessage, encodeRelayMessage } from '../src/nat/codec.ts'
import { serveRelay, type RelayService } from '../src/nat/relay.ts'
import { PUNCH_DEFAULTS, RELAY_DEFAULTS, type RelayLimits } from '../src/proto/nat-config.ts'
import { MSHIP } from './protocols.ts'
import { UNRATIONED_EDGE, until, waitForEvent } from './transport-suite.ts'
import { STREAM_WINDOW_BYTES } from '../src/streams/inbound.ts'
import { sourceOf } from '../src/edge/source.ts'

const ids = Array.from({ length: 4 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(90 + i) }))
let counter = 0

interface Lab { relay: Transport; service: RelayService; relayAddr: string; ends: Array<{ t: Transport; circuit: CircuitCarrier }> }
const cleanups: Array<() => Promise<void>> = []

async function lab(limits: RelayLimits = RELAY_DEFAULTS, ends = 2): Promise<Lab> {
  const network = createMemoryNetwork()
  const relay = createTransport({ identity: ids[0]!, carriers: [network.carrier()], edge: UNRATIONED_EDGE })
  const relayAddr = await relay.listen(`mem://relay-${counter++}`)
  const service = serveRelay(relay, limits)
  const out: Lab['ends'] = []
  for (let i = 1; i <= ends; i++) {
    const circuit = createCircuitCarrier()
    const t = createTransport({ identity: ids[i]!, carriers: [network.carrier(), circuit], edge: UNRATIONED_EDGE })
    circuit.attach(t)
    out.push({ t, circuit })
  }
  cleanups.push(async () => {
    service.stop()
    for (const e of out) { await e.t.close(); await e.circuit.close() }
    await relay.close()
  })
  return { relay, service, relayAddr, ends: out }
}

const circuitTo = (l: Lab, target: Transport): string => formatCircuitAddress({ relay: l.relay.peerId, target: target.peerId, relayAddr: l.relayAddr })

beforeAll(async () => { await loadMlDsa65Backend() })
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

describe('circuit relay', () => {
  it('carries an end-to-end handshake and messages both ways between reserved peers', async () => {
    const l = await lab()
    const [a, b] = l.ends as [Lab['ends'][0], Lab['ends'][0]]
    const listened = await b.t.listen(circuitTo(l, b.t))
    expect(parseCircuitAddress(listened).target.equals(b.t.peerId)).toBe(true)
    expect(b.circuit.listening()).toEqual([listened])
    const atB: string[] = []
    const atA: string[] = []
    b.t.handle(MSHIP, (m) => { atB.push(new TextDecoder().decode(m)) })
    a.t.handle(MSHIP, (m) => { atA.push(new TextDecoder().decode(m)) })
    const inbound = waitForEvent<{ connection: { remotePeer: { equals(p: unknown): boolean }; remoteAddr: string } }>(b.t, 'connection:open')
    const connection = await a.t.dial(listened, { expectedPeer: b.t.peerId })
    expect(connection.remotePeer.equals(b.t.peerId)).toBe(true)
    expect(connection.remoteAddr).toBe(listened)
    const { connection: atBSide } = await inbound
    expect(atBSide.remoteAddr).toBe(circuitTo(l, a.t))
    await connection.send(MSHIP, new TextEncoder().encode('over the relay'))
    await until(() => atB.length === 1)
    const back = b.t.connections().find((c) => c.remoteAddr.startsWith('circuit://'))!
    await back.send(MSHIP, new TextEncoder().encode('and back'))
    await until(() => atA.length === 1)
    expect([atB, atA]).toEqual([['over the relay'], ['and back']])
    expect(l.service.stats().circuits).toBe(1)
    expect(l.service.counters.bytesForwarded).toBeGreaterThan(9_000)
  })

  it('never forwards for a peer without a reservation, nor a stream naming no admitted circuit', async () => {
    const l = await lab()
    const [a, b] = l.ends as [Lab['ends'][0], Lab['ends'][0]]
    await expect(a.t.dial(circuitTo(l, b.t), { expectedPeer: b.t.peerId })).rejects.toMatchObject({ name: 'RelayRefusedError', status: 'no-reservation' })
    const toRelay = await a.t.dial(l.relayAddr, { expectedPeer: l.relay.peerId })
    const rogue = await toRelay.openStream(HOP_DATA_PROTOCOL)
    await rogue.write(new Uint8Array(16).fill(7))
    await rogue.write(new Uint8Array(1000).fill(1))
    await until(() => l.service.counters.unknownCircuitStreams === 1)
    expect(l.service.counters.bytesForwarded).toBe(0)
    expect(l.service.stats()).toEqual({ reservations: 0, circuits: 0, forwardingStreams: 0 })
  })

  it('forwards one stream per end of a circuit and refuses a second one', async () => {
    const l = await lab()
    const [a, b] = l.ends as [Lab['ends'][0], Lab['ends'][0]]
    await b.t.listen(circuitTo(l, b.t))
    const answer = decodeRelayMessage(await (await a.t.dial(l.relayAddr, { expectedPeer: l.relay.peerId })).request(HOP_PROTOCOL,
      encodeRelayMessage({ type: 'connect', target: b.t.peerId })))
    expect(answer).toMatchObject({ type: 'status', status: 'ok' })
    const circuit = (answer as { circuit: Uint8Array }).circuit
    const relayConnection = a.t.connectionTo(l.relay.peerId)!
    for (let i = 0; i < 3; i++) {
      const extra = await relayConnection.openStream(HOP_DATA_PROTOCOL)
      await extra.write(circuit)
    }
    await until(() => l.service.counters.unknownCircuitStreams === 2)
    // One forwarding stream per direction: ours towards B, and B's (opened when it accepted) towards us.
    expect(l.service.stats().forwardingStreams).toBe(2)
  })

  it('closes a circuit over its byte budget and one over its lifetime', async () => {
    const l = await lab({ ...RELAY_DEFAULTS, circuitBytesPerDirection: 32 * 1024, circuitDurationMs: 60_000 })
    const [a, b] = l.ends as [Lab['ends'][0], Lab['ends'][0]]
    const listened = await b.t.listen(circuitTo(l, b.t))
    const connection = await a.t.dial(listened, { expectedPeer: b.t.peerId })
    await connection.send(MSHIP, new Uint8Array(40_000))
    await connection.closed
    expect(l.service.counters.closedOverBytes).toBe(1)
    await until(() => l.service.stats().circuits === 0)

    const short = await lab({ ...RELAY_DEFAULTS, circuitDurationMs: 300 })
    const [c, d] = short.ends as [Lab['ends'][0], Lab['ends'][0]]
    const viaShort = await d.t.listen(circuitTo(short, d.t))
    const timed = await c.t.dial(viaShort, { expectedPeer: d.t.peerId })
    await timed.closed
    expect(short.service.counters.closedOverTime).toBe(1)
  })

  it('refuses circuits over the per-peer cap; a peer reserving again refreshes its one reservation', async () => {
    const l = await lab({ ...RELAY_DEFAULTS, maxCircuitsPerPeer: 1, maxReservationsPerSource: 1 }, 3)
    const [a, b, c] = l.ends as [Lab['ends'][0], Lab['ends'][0], Lab['ends'][0]]
    const listened = await b.t.listen(circuitTo(l, b.t))
    await a.t.dial(listened, { expectedPeer: b.t.peerId })
    await expect(c.t.dial(listened, { expectedPeer: b.t.peerId })).rejects.toMatchObject({ name: 'RelayRefusedError', status: 'resource-limit-exceeded' })
    // Every in-memory pipe is its own source, so the per-source cap is shown on the core (nat-cores test).
    await expect(c.t.listen(circuitTo(l, c.t))).resolves.toMatch(/^circuit:\/\//)
    expect(l.service.stats().reservations).toBe(2)
  })

  it('charges a relayed pipe to its relay and source peer, not to the relay alone', () => {
    const [r, x, y] = ['aa', 'bb', 'cc'].map((h) => h.repeat(32))
    expect(sourceOf(`circuit://${r}/${x}/tcp://198.51.100.10:4000`)).toBe(`circuit:${r}/${x}`)
    expect(sourceOf(`circuit://${r}/${y}/tcp://198.51.100.10:4000`)).not.toBe(sourceOf(`circuit://${r}/${x}/tcp://198.51.100.10:4000`))
  })

  it('reserves again soon after losing its connection to the relay', async () => {
    const l = await lab()
    const [a, b] = l.ends as [Lab['ends'][0], Lab['ends'][0]]
    await b.t.listen(circuitTo(l, b.t))
    await b.t.connectionTo(l.relay.peerId)!.close()
    await until(() => l.service.stats().reservations === 0)
    const deadline = Date.now() + 10_000
    while (l.service.stats().reservations === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(l.service.stats().reservations).toBe(1)
    const connection = await a.t.dial(circuitTo(l, b.t), { expectedPeer: b.t.peerId })
    expect(connection.remotePeer.equals(b.t.peerId)).toBe(true)
  })

  it('answers hole-punch coordination on relayed connections only', async () => {
    const l = await lab()
    const [a, b] = l.ends as [Lab['ends'][0], Lab['ends'][0]]
    const puncher = createPuncher({ transport: b.t, config: PUNCH_DEFAULTS, endpoint: () => ({ localPort: 4000, addrs: ['tcp://203.0.113.9:4000'] }) })
    cleanups.push(async () => { puncher.stop() })
    const connect = encodePunchMessage({ type: 'connect', addrs: ['tcp://198.51.100.1:4000'] })
    const directAddr = await b.t.listen(`mem://direct-${counter++}`)
    const direct = await a.t.dial(directAddr, { expectedPeer: b.t.peerId })
    await expect(direct.request(PUNCH_PROTOCOL, connect)).rejects.toMatchObject({ name: 'RequestRefusedError' })
    await direct.close()
    const relayed = await a.t.dial(await b.t.listen(circuitTo(l, b.t)), { expectedPeer: b.t.peerId })
    expect(decodePunchMessage(await relayed.request(PUNCH_PROTOCOL, connect))).toEqual({ type: 'connect', addrs: ['tcp://203.0.113.9:4000'] })
  })

  it('stays bounded under 100 clients that each reserve and open a circuit', async () => {
    const network = createMemoryNetwork()
    const relay = createTransport({ identity: ids[0]!, carriers: [network.carrier()], edge: UNRATIONED_EDGE })
    const relayAddr = await relay.listen(`mem://relay-${counter++}`)
    const service = serveRelay(relay)
    const clients = Array.from({ length: 100 }, () => {
      const circuit = createCircuitCarrier()
      const t = createTransport({ identity: Identity.generate(), carriers: [network.carrier(), circuit], edge: UNRATIONED_EDGE })
      circuit.attach(t)
      return { t, circuit }
    })
    cleanups.push(async () => {
      service.stop()
      for (const c of clients) { await c.t.close(); await c.circuit.close() }
      await relay.close()
    })
    const heapBefore = process.memoryUsage().heapUsed
    const addrOf = (c: { t: Transport }): string => formatCircuitAddress({ relay: relay.peerId, target: c.t.peerId, relayAddr })
    for (const c of clients) await c.t.listen(addrOf(c))
    expect(service.stats().reservations).toBe(100)
    // Every client dials the next one: the relay admits 16 circuits and refuses the other 84.
    const outcomes = await Promise.allSettled(clients.map((c, i) => c.t.dial(addrOf(clients[(i + 1) % 100]!))))
    const refused = outcomes.filter((o) => o.status === 'rejected' && (o.reason as { status?: string }).status === 'resource-limit-exceeded').length
    expect(outcomes.length - refused).toBeLessThanOrEqual(RELAY_DEFAULTS.maxCircuits)
    expect(refused).toBeGreaterThanOrEqual(100 - RELAY_DEFAULTS.maxCircuits)
    const stats = service.stats()
    expect(stats.circuits).toBeLessThanOrEqual(RELAY_DEFAULTS.maxCircuits)
    expect(stats.forwardingStreams).toBeLessThanOrEqual(2 * RELAY_DEFAULTS.maxCircuits)
    // At most one stream window per direction per circuit is ever reserved at the relay.
    expect(relay.stats().streamMemory.reserved).toBeLessThanOrEqual(2 * RELAY_DEFAULTS.maxCircuits * STREAM_WINDOW_BYTES)
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024)
  }, 60_000)
})
