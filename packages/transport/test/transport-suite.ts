/**
 * Transport-level suite run over every carrier: handshake and address reflection, expectedPeer,
 * protocols on the three stream classes (two protocols sharing a class), direct requests, bulk
 * streams, strict priority of mship over a pending bulk stream (asserted on ordering, not time),
 * rekeying, read backpressure, close semantics and simultaneous-dial deduplication.
 */
import { describe, it, expect, afterEach, beforeAll } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { bytesEqual, SeededRng } from '@saorsa-gossip/types'
import type { Carrier } from '../src/carrier.ts'
import type { EdgeLimits } from '../src/edge/preset.ts'
import { createTransport } from '../src/transport.ts'
import type { Connection, Transport, TransportInit } from '../src/types.ts'
import { turns } from './carrier-conformance.ts'
import { BULK, MSHIP, PUBSUB } from './protocols.ts'

export interface TransportFixture {
  /** Two carriers that reach each other, and a listen address for each. */
  carriers: [Carrier, Carrier]
  listenAddrs: [string, string]
  cleanup(): Promise<void>
}

export const identities = Array.from({ length: 4 }, (_, i) => Identity.generate({ seed: new Uint8Array(32).fill(40 + i) }))

export function waitForEvent<T>(target: EventTarget, type: string): Promise<T> {
  return new Promise((resolve) => target.addEventListener(type, (e) => resolve((e as CustomEvent<T>).detail), { once: true }))
}

/** Edge limits that never bind, for tests whose subject is not rationing (hostile parsing, throughput). */
export const UNRATIONED_EDGE: Partial<EdgeLimits> = Object.freeze({
  handshakesPerSecond: 1e9, handshakeBurst: 1e9, handshakesPerSecondPerSource: 1e9, handshakeBurstPerSource: 1e9,
  maxPendingHandshakesPerSource: 1e9, maxConnectionsPerSource: 1e9, maxInvalidScore: 1e9,
})

export async function until(predicate: () => boolean, maxTurns = 20_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (predicate()) return
    await turns(1)
  }
  throw new Error('condition not reached')
}

export function runTransportSuite(name: string, makeFixture: () => Promise<TransportFixture>): void {
  describe(`transport over ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = []
    beforeAll(async () => { await loadMlDsa65Backend() })
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c()
    })

    async function pair(extra: Partial<TransportInit> = {}): Promise<{ a: Transport; b: Transport; addrB: string; addrA: string }> {
      const fixture = await makeFixture()
      const a = createTransport({ identity: identities[0]!, carriers: [fixture.carriers[0]], ...extra })
      const b = createTransport({ identity: identities[1]!, carriers: [fixture.carriers[1]], ...extra })
      cleanups.push(fixture.cleanup, () => a.close(), () => b.close())
      const addrA = await a.listen(fixture.listenAddrs[0])
      const addrB = await b.listen(fixture.listenAddrs[1])
      return { a, b, addrA, addrB }
    }

    async function connect(extra: Partial<TransportInit> = {}) {
      const t = await pair(extra)
      const inbound = waitForEvent<{ connection: Connection }>(t.b, 'connection:open')
      const out = await t.a.dial(t.addrB, { expectedPeer: t.b.peerId })
      const { connection: inb } = await inbound
      return { ...t, out, inb }
    }

    it('authenticates both sides and reflects each side its observed address', async () => {
      const { a, b, out, inb } = await connect()
      expect(out.remotePeer.equals(b.peerId)).toBe(true)
      expect(inb.remotePeer.equals(a.peerId)).toBe(true)
      expect(bytesEqual(out.remotePublicKey, identities[1]!.publicKey)).toBe(true)
      expect(out.observedAddr).toBe(inb.remoteAddr)
      expect(inb.observedAddr).toBe(out.remoteAddr)
      expect(out.direction).toBe('outbound')
      expect(inb.direction).toBe('inbound')
      expect(a.connectionTo(b.peerId)).toBe(out)
      expect(b.connections()).toEqual([inb])
    })

    it('fails a dial with PeerMismatchError when the authenticated peer is not the expected one', async () => {
      const { a, b, addrB } = await pair()
      await expect(a.dial(addrB, { expectedPeer: identities[2]!.peerId })).rejects.toMatchObject({ name: 'PeerMismatchError' })
      await until(() => b.stats().pendingHandshakes === 0)
      expect(a.connections()).toHaveLength(0)
      expect(b.connections()).toHaveLength(0)
    })

    it('delivers messages of both message classes and a multi-chunk bulk stream in order and intact', async () => {
      const { b, out } = await connect()
      const got: Record<string, Uint8Array[]> = { mship: [], pubsub: [], bulk: [] }
      b.handle(MSHIP, (m) => { got.mship!.push(m) })
      b.handle(PUBSUB, (m) => { got.pubsub!.push(m) })
      b.handleStream(BULK, (stream) => { void stream.bytes().then((m) => got.bulk!.push(m)) })
      const rng = new SeededRng(`${name}-classes`)
      const sent: Record<string, Uint8Array[]> = { mship: [], pubsub: [], bulk: [] }
      for (let i = 0; i < 40; i++) {
        for (const [protocol, max] of [[MSHIP, 65536], [PUBSUB, 81920]] as const) {
          const m = rng.fill(new Uint8Array(rng.nextInt(max + 1)))
          sent[protocol.streamClass]!.push(m)
          await out.send(protocol, m)
        }
      }
      for (const size of [0, 1, 262_140, 262_141, 3_000_000]) {
        const m = rng.fill(new Uint8Array(size))
        sent.bulk!.push(m)
        const stream = await out.openStream(BULK)
        await stream.write(m)
        await stream.close()
        await until(() => got.bulk!.length === sent.bulk!.length)
      }
      await until(() => got.mship!.length === 40 && got.pubsub!.length === 40 && got.bulk!.length === 5)
      for (const cls of ['mship', 'pubsub', 'bulk']) {
        sent[cls]!.forEach((m, i) => expect(bytesEqual(got[cls]![i]!, m)).toBe(true))
      }
    })

    it('routes two protocols on one class to their own handlers, and direct requests to theirs', async () => {
      const { b, out } = await connect()
      const second = { name: '/test/mship-second/1', streamClass: 'mship' } as const
      const echo = { name: '/test/echo/1', streamClass: 'mship' } as const
      const first: number[] = []
      const other: number[] = []
      b.handle(MSHIP, (m) => { first.push(m[0]!) })
      b.handle(second, (m) => { other.push(m[0]!) })
      b.handleDirect(echo, (request) => request.map((x) => x + 1))
      for (let i = 0; i < 10; i++) { await out.send(MSHIP, new Uint8Array([i])); await out.send(second, new Uint8Array([100 + i])) }
      expect([...await out.request(echo, new Uint8Array([1, 2]))]).toEqual([2, 3])
      await until(() => first.length === 10 && other.length === 10)
      expect(first).toEqual(Array.from({ length: 10 }, (_, i) => i))
      expect(other).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i))
    })

    it('sends a queued mship message ahead of a pending multi-megabyte bulk stream', async () => {
      const { b, out } = await connect()
      const order: string[] = []
      let chunksBeforeMship = -1
      b.handleStream(BULK, (stream) => { void stream.bytes().then(() => order.push('bulk')) })
      b.handle(MSHIP, (_m, conn) => { order.push('mship'); chunksBeforeMship = conn.stats().bulkChunksReceived })
      const stream = await out.openStream(BULK)
      const bulk = stream.write(new Uint8Array(8 * 1024 * 1024)).then(() => stream.close())
      await until(() => out.stats().bulkChunksSent >= 2)
      const sentAtEnqueue = out.stats().bulkChunksSent
      await out.send(MSHIP, new Uint8Array([1, 2, 3]))
      await bulk
      await until(() => order.length === 2)
      expect(order).toEqual(['mship', 'bulk'])
      // 8 MiB is 33 chunks; the mship frame may trail only the chunks already handed to the carrier (plus one in flight).
      expect(chunksBeforeMship).toBeLessThanOrEqual(sentAtEnqueue + 1)
      expect(chunksBeforeMship).toBeLessThan(33)
    })

    it('rekeys both directions after the configured number of records and keeps delivering', async () => {
      const { b, out, inb } = await connect({ rekey: { records: 3, bytes: 1 << 30 } })
      const got: number[] = []
      b.handle(PUBSUB, (m) => { got.push(m[0]!) })
      for (let i = 0; i < 60; i++) {
        await out.send(PUBSUB, new Uint8Array([i]))
        await turns(2)
      }
      await until(() => got.length === 60)
      expect(got).toEqual(Array.from({ length: 60 }, (_, i) => i))
      expect(out.stats().sendEpoch).toBeGreaterThanOrEqual(10)
      // The sender moves on right after the record that used up its key; its receiver follows on the next record.
      expect(out.stats().sendEpoch - inb.stats().receiveEpoch).toBeGreaterThanOrEqual(0)
      expect(out.stats().sendEpoch - inb.stats().receiveEpoch).toBeLessThanOrEqual(1)
    })

    it('pauses reading while handlers lag and makes the sender wait, then delivers everything', async () => {
      const { b, out } = await connect({ highWaterMark: 64 * 1024, maxPendingHandlers: 2 })
      const releases: Array<() => void> = []
      let delivered = 0
      b.handle(PUBSUB, () => new Promise<void>((resolve) => { delivered++; releases.push(resolve) }))
      const message = new Uint8Array(60 * 1024)
      let sent = 0
      let blocked = false
      const sends: Promise<void>[] = []
      while (sent < 4000) {
        const s = out.send(PUBSUB, message)
        sends.push(s)
        sent++
        if (!(await Promise.race([s.then(() => true), turns(200).then(() => false)]))) { blocked = true; break }
      }
      expect(blocked).toBe(true)
      expect(delivered).toBeLessThan(sent)
      const releaseAll = (): void => { for (const r of releases.splice(0)) r() }
      while (delivered < sent) { releaseAll(); await turns(5) }
      releaseAll()
      await Promise.all(sends)
      expect(delivered).toBe(sent)
    })

    it('answers pings and reports a round-trip time', async () => {
      const { out } = await connect()
      const rtt = await out.ping()
      expect(rtt).toBeGreaterThanOrEqual(0)
    })

    it('closes idempotently on both sides, emits connection:close, and rejects later sends', async () => {
      const { a, b, out, inb } = await connect()
      const closedAtB = waitForEvent<{ connection: Connection; error?: Error }>(b, 'connection:close')
      const closedAtA = waitForEvent<{ connection: Connection; error?: Error }>(a, 'connection:close')
      await Promise.all([out.close(), out.close()])
      await inb.closed
      expect((await closedAtB).error).toBeUndefined()
      expect((await closedAtA).connection).toBe(out)
      await expect(out.send(MSHIP, new Uint8Array(1))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
      await expect(inb.send(MSHIP, new Uint8Array(1))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
      expect(a.connections()).toHaveLength(0)
      expect(b.connections()).toHaveLength(0)
    })

    it('rejects a send that waits on a full queue when the connection closes', async () => {
      const { b, out } = await connect({ highWaterMark: 64 * 1024, maxPendingHandlers: 1 })
      b.handle(PUBSUB, () => new Promise<void>(() => {}))
      let pending: Promise<void> | undefined
      for (let i = 0; i < 4000 && pending === undefined; i++) {
        const s = out.send(PUBSUB, new Uint8Array(60 * 1024))
        if (!(await Promise.race([s.then(() => true), turns(200).then(() => false)]))) pending = s
      }
      expect(pending).toBeDefined()
      void out.close()
      await expect(pending).rejects.toMatchObject({ name: 'ConnectionClosedError' })
    })

    it('keeps exactly one connection, the one dialled by the lower PeerId, after simultaneous dials', async () => {
      const { a, b, addrA, addrB } = await pair()
      let opened = 0
      for (const t of [a, b]) t.addEventListener('connection:open', () => { opened++ })
      await Promise.allSettled([a.dial(addrB), b.dial(addrA)])
      await until(() => opened === 4 && a.connections().length === 1 && b.connections().length === 1)
      const lowerIsA = a.peerId.compare(b.peerId) < 0
      expect(a.connections()[0]!.direction).toBe(lowerIsA ? 'outbound' : 'inbound')
      expect(b.connections()[0]!.direction).toBe(lowerIsA ? 'inbound' : 'outbound')
    })
  })
}
