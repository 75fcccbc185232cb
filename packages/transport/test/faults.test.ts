import { describe, it, expect, beforeAll, afterEach } from 'vitest'
import { loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { bytesEqual, SeededRng } from '@saorsa-gossip/types'
import { createFaultInjector, type FaultConfig } from '../src/carriers/faults.ts'
import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { createTcpCarrier } from '../src/carriers/tcp.ts'
import { createTransport } from '../src/transport.ts'
import { MSHIP, PUBSUB } from './protocols.ts'
import type { Connection, Transport } from '../src/types.ts'
import { runCarrierConformance, turns } from './carrier-conformance.ts'
import { identities, until, waitForEvent } from './transport-suite.ts'

let n = 0
runCarrierConformance('mem wrapped with delay and jitter', async () => {
  const faults = createFaultInjector({ rng: new SeededRng('conformance'), faults: { delayMs: 1, jitterMs: 2 } })
  const carrier = faults.wrap(createMemoryNetwork().carrier(), 'node')
  return { carrier, listenAddr: `mem://faulty-${++n}`, cleanup: () => carrier.close() }
})

runCarrierConformance('tcp wrapped without faults', async () => {
  const faults = createFaultInjector({ rng: new SeededRng('conformance-tcp') })
  const carrier = faults.wrap(createTcpCarrier(), 'node')
  return { carrier, listenAddr: 'tcp://127.0.0.1:0', cleanup: () => carrier.close() }
})

describe('transport under injected faults', () => {
  const cleanups: Array<() => Promise<void>> = []
  beforeAll(async () => { await loadMlDsa65Backend() })
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

  async function setup(seed: string, faults: FaultConfig = {}) {
    const injector = createFaultInjector({ rng: new SeededRng(seed) })
    const network = createMemoryNetwork()
    const a = createTransport({ identity: identities[0]!, carriers: [injector.wrap(network.carrier(), 'a')] })
    const b = createTransport({ identity: identities[1]!, carriers: [injector.wrap(network.carrier(), 'b')] })
    const c = createTransport({ identity: identities[2]!, carriers: [injector.wrap(network.carrier(), 'c')] })
    cleanups.push(() => a.close(), () => b.close(), () => c.close())
    const addrB = await b.listen(`mem://b-${seed}`)
    const addrC = await c.listen(`mem://c-${seed}`)
    const opened = waitForEvent<{ connection: Connection }>(b, 'connection:open')
    const out = await a.dial(addrB)
    const inb = (await opened).connection
    injector.configure(faults)
    return { injector, network, a, b, c, out, inb, addrB, addrC }
  }

  async function sendNumbered(conn: Connection, count: number): Promise<Uint8Array[]> {
    const rng = new SeededRng('payloads')
    const sent: Uint8Array[] = []
    for (let i = 0; i < count; i++) {
      const m = rng.fill(new Uint8Array(64 + rng.nextInt(4000)))
      m[0] = i & 0xff
      sent.push(m)
      const before = conn.stats().recordsSent
      try { await conn.send(PUBSUB, m) } catch { break }
      // One record per message, so each fault decision hits a different record.
      for (let t = 0; t < 100 && conn.stats().recordsSent === before; t++) await turns(1)
    }
    return sent
  }

  for (const [label, faults] of [
    ['lost', { loss: 0.2 }],
    ['duplicated', { duplicate: 0.2 }],
    ['reordered', { reorder: 0.2 }],
  ] as const) {
    it(`fails closed with a typed error when carrier chunks are ${label}, delivering only an intact prefix`, async () => {
      const { b, out, inb, injector } = await setup(`faults-${label}`, faults)
      const got: Uint8Array[] = []
      b.handle(PUBSUB, (m) => { got.push(m) })
      let error: Error | undefined
      let closedAtB = false
      b.addEventListener('connection:close', (e) => { closedAtB = true; error = e.detail.error })
      const sent = await sendNumbered(out, 400)
      await until(() => closedAtB)
      expect(Object.values(injector.stats()).some((v) => v > 0)).toBe(true)
      expect(['RecordAuthError', 'FrameError', 'ConnectionClosedError']).toContain(error?.name)
      expect(inb.closeError?.name).toBe(error?.name)
      expect(got.length).toBeLessThan(sent.length)
      got.forEach((m, i) => expect(bytesEqual(m, sent[i]!)).toBe(true))
    })
  }

  it('delivers everything in order under delay and jitter alone', async () => {
    const { b, out } = await setup('jitter', { delayMs: 1, jitterMs: 3 })
    const got: Uint8Array[] = []
    b.handle(PUBSUB, (m) => { got.push(m) })
    const sent = await sendNumbered(out, 100)
    await until(() => got.length === 100)
    got.forEach((m, i) => expect(bytesEqual(m, sent[i]!)).toBe(true))
  })

  it('fails dials across a partition, stalls existing connections until healed, then delivers', async () => {
    const { injector, a, b, out, addrC } = await setup('partition')
    const got: number[] = []
    b.handle(MSHIP, (m) => { got.push(m[0]!) })
    injector.partition([['a'], ['b', 'c']])
    await expect(a.dial(addrC)).rejects.toMatchObject({ name: 'DialError' })
    await out.send(MSHIP, new Uint8Array([7]))
    await turns(200)
    expect(got).toEqual([])
    injector.heal()
    await until(() => got.length === 1)
    expect(got).toEqual([7])
    await a.dial(addrC)
  })

  it('resets connections across a partition in reset mode and on kill', async () => {
    const { injector, a, b, out, addrC } = await setup('reset')
    const closedAtA = waitForEvent<{ connection: Connection; error?: Error }>(a, 'connection:close')
    injector.partition([['a', 'c'], ['b']], 'reset')
    expect((await closedAtA).connection).toBe(out)
    await out.closed
    injector.heal()
    const toC = await a.dial(addrC)
    expect(injector.kill('c')).toBeGreaterThan(0)
    await toC.closed
    expect(toC.closeError?.name).toBe('ConnectionClosedError')
    await until(() => a.connections().length === 0 && b.connections().length === 0)
  })
})

export type { Transport }
