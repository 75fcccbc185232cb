/**
 * Bulk streams (SPEC.md section 5.6): credit-based backpressure (a slow reader makes the writer wait,
 * memory stays within one window), the per-protocol size cap, fair interleaving of streams, resets in
 * both directions, the transport-wide memory budget, and an unregistered protocol that never makes
 * the receiver allocate.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { bytesEqual, SeededRng } from '@saorsa-gossip/types'
import type { IncomingStream } from '../src/streams/inbound.ts'
import { STREAM_IDLE_TIMEOUT_MS, STREAM_WINDOW_BYTES } from '../src/streams/inbound.ts'
import { turns } from './carrier-conformance.ts'
import { connectedPair, type Pair } from './pair.ts'
import { BULK } from './protocols.ts'
import { until } from './transport-suite.ts'

const CHUNK = 256 * 1024

describe('bulk streams', () => {
  let pair: Pair | undefined
  afterEach(async () => { await pair?.close(); pair = undefined })

  it('makes the writer wait for a slow reader, keeps buffered bytes within one window, then delivers intact', async () => {
    pair = await connectedPair()
    const { b, out } = pair
    let incoming: IncomingStream | undefined
    b.handleStream(BULK, (stream) => { incoming = stream })
    const data = new SeededRng('backpressure').fill(new Uint8Array(8 * 1024 * 1024))
    const writer = await out.openStream(BULK)
    let written = 0
    const writing = (async () => {
      for (let offset = 0; offset < data.length; offset += CHUNK) {
        await writer.write(data.subarray(offset, offset + CHUNK))
        written += CHUNK
      }
      await writer.close()
    })()
    await until(() => incoming !== undefined && b.stats().streamMemory.buffered === STREAM_WINDOW_BYTES)
    await turns(500)
    // Nobody reads: the writer stalled at the window, and the receiver holds exactly the window.
    expect(written).toBeLessThanOrEqual(STREAM_WINDOW_BYTES)
    expect(out.stats().bulkChunksSent).toBe(STREAM_WINDOW_BYTES / CHUNK)
    expect(b.stats().streamMemory.buffered).toBe(STREAM_WINDOW_BYTES)
    expect(b.stats().streamMemory.reserved).toBe(STREAM_WINDOW_BYTES)
    let peak = 0
    const parts: Uint8Array[] = []
    for await (const chunk of incoming!) {
      peak = Math.max(peak, b.stats().streamMemory.buffered)
      parts.push(chunk)
      if (parts.length % 3 === 0) await turns(20)
    }
    await writing
    expect(peak).toBeLessThanOrEqual(STREAM_WINDOW_BYTES)
    const received = new Uint8Array(data.length)
    let offset = 0
    for (const p of parts) { received.set(p, offset); offset += p.length }
    expect(offset).toBe(data.length)
    expect(bytesEqual(received, data)).toBe(true)
    expect(b.stats().streamMemory).toMatchObject({ reserved: 0, buffered: 0 })
  })

  it('never allocates for an unregistered stream protocol: the stream is stopped and its data dropped unbuffered', async () => {
    pair = await connectedPair()
    const { b, out, inb } = pair
    const samples: number[] = []
    const writer = await out.openStream({ name: '/test/unregistered/1', maxBytes: 1 << 30 })
    let error: Error | undefined
    for (let i = 0; i < 32 && error === undefined; i++) {
      await writer.write(new Uint8Array(CHUNK)).catch((e: Error) => { error = e })
      samples.push(b.stats().streamMemory.reserved, b.stats().streamMemory.buffered)
    }
    expect(error).toMatchObject({ name: 'StreamResetError', reason: 'no-handler' })
    await until(() => inb.stats().drops['unknown-stream'] >= 1)
    expect(samples.every((s) => s === 0)).toBe(true)
    expect(b.stats().streamMemory).toMatchObject({ reserved: 0, buffered: 0 })
    expect(inb.stats().drops['unknown-protocol']).toBe(1)
    expect(inb.stats().openStreams.inbound).toBe(0)
    expect(inb.closeError).toBeUndefined()
  })

  it("enforces the receiver's per-protocol size cap and the writer's own", async () => {
    pair = await connectedPair()
    const { b, out } = pair
    const small = { name: '/test/small/1', maxBytes: 1_000 }
    let failure: Error | undefined
    b.handleStream(small, (stream) => { void stream.bytes().catch((e: Error) => { failure = e }) })
    const liar = await out.openStream({ name: small.name, maxBytes: 1 << 20 })
    let error: Error | undefined
    for (let i = 0; i < 64 && error === undefined; i++) await liar.write(new Uint8Array(600)).catch((e: Error) => { error = e })
    expect(error).toMatchObject({ name: 'StreamResetError', reason: 'too-large' })
    expect(failure).toMatchObject({ name: 'StreamResetError', reason: 'too-large' })
    const honest = await out.openStream(small)
    await expect(honest.write(new Uint8Array(1_001))).rejects.toMatchObject({ name: 'InvalidParametersError' })
    await until(() => b.stats().streamMemory.reserved === 0)
  })

  it('interleaves concurrent streams fairly, one chunk per stream in turn', async () => {
    pair = await connectedPair()
    const { b, out } = pair
    const order: string[] = []
    const done: Record<string, Uint8Array> = {}
    b.handleStream(BULK, (stream) => {
      void (async () => {
        const tag = stream.protocol
        const parts: Uint8Array[] = []
        for await (const chunk of stream) { order.push(String(chunk[0])); parts.push(chunk) }
        done[String(parts[0]![0])] = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
        void tag
      })()
    })
    const writers = await Promise.all([1, 2, 3].map(() => out.openStream(BULK)))
    await Promise.all(writers.map(async (w, i) => { await w.write(new Uint8Array(6 * CHUNK).fill(i + 1)); await w.close() }))
    await until(() => Object.keys(done).length === 3)
    // The first rounds visit every stream before any stream gets its second chunk.
    expect(new Set(order.slice(0, 3))).toEqual(new Set(['1', '2', '3']))
    for (const tag of ['1', '2', '3']) expect(done[tag]!.length).toBe(6 * CHUNK)
    const firstThird = order.slice(0, 9)
    for (const tag of ['1', '2', '3']) expect(firstThird.filter((t) => t === tag).length).toBe(3)
  })

  it('resets in both directions: a writer abort fails the reader, a reader that stops fails the writer', async () => {
    pair = await connectedPair()
    const { b, out } = pair
    const results: Array<Error | undefined> = []
    let first = true
    b.handleStream(BULK, (stream) => {
      const stopEarly = !first
      first = false
      void (async () => {
        try {
          for await (const chunk of stream) { void chunk; if (stopEarly) break }
          results.push(undefined)
        } catch (e) { results.push(e as Error) }
      })()
    })
    const aborted = await out.openStream(BULK)
    await aborted.write(new Uint8Array(10))
    aborted.abort(new Error('changed my mind'))
    await expect(aborted.write(new Uint8Array(1))).rejects.toMatchObject({ name: 'StreamResetError', reason: 'aborted' })
    await until(() => results.length === 1)
    expect(results[0]).toMatchObject({ name: 'StreamResetError', reason: 'aborted' })
    const stopped = await out.openStream(BULK)
    let error: Error | undefined
    for (let i = 0; i < 64 && error === undefined; i++) await stopped.write(new Uint8Array(CHUNK)).catch((e: Error) => { error = e })
    expect(error).toMatchObject({ name: 'StreamResetError', reason: 'cancelled' })
    await until(() => b.stats().streamMemory.reserved === 0)
  })

  it('refuses streams beyond the transport memory budget as busy, and fails open streams when the connection closes', async () => {
    pair = await connectedPair({}, { maxStreamMemoryBytes: STREAM_WINDOW_BYTES })
    const { b, out, inb } = pair
    const readers: Array<Promise<unknown>> = []
    // This reader keeps nothing, so only the stream windows draw on the budget.
    b.handleStream(BULK, (stream) => { readers.push((async () => { for await (const chunk of stream) void chunk })().catch((e: Error) => e)) })
    const holding = await out.openStream(BULK)
    await holding.write(new Uint8Array(100))
    const refused = await out.openStream(BULK)
    let error: Error | undefined
    for (let i = 0; i < 64 && error === undefined; i++) await refused.write(new Uint8Array(100)).catch((e: Error) => { error = e })
    expect(error).toMatchObject({ name: 'StreamResetError', reason: 'busy' })
    expect(inb.stats().drops['refused-stream']).toBe(1)
    expect(b.stats().streamMemory.reserved).toBe(STREAM_WINDOW_BYTES)
    await out.close()
    await expect(holding.write(new Uint8Array(1))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
    await until(() => readers.length === 1 && b.stats().streamMemory.reserved === 0)
    expect(await readers[0]).toMatchObject({ name: 'ConnectionClosedError' })
  })
})

describe('bulk streams and the memory budget', () => {
  it('charges what bytes() gathers to the budget, and stops a stream that would overrun it', async () => {
    const pair = await connectedPair({}, { maxStreamMemoryBytes: 2 * STREAM_WINDOW_BYTES })
    try {
      const { b, out } = pair
      let peak = 0
      const results: Array<Uint8Array | Error> = []
      b.handleStream(BULK, (stream) => { void stream.bytes().then((x) => results.push(x), (e: Error) => results.push(e)) })
      const writer = await out.openStream(BULK)
      let error: Error | undefined
      for (let i = 0; i < 32 && error === undefined; i++) {
        await writer.write(new Uint8Array(CHUNK)).catch((e: Error) => { error = e })
        peak = Math.max(peak, b.stats().streamMemory.reserved)
      }
      expect(error).toMatchObject({ name: 'StreamResetError', reason: 'busy' })
      await until(() => results.length === 1)
      expect(results[0]).toMatchObject({ name: 'StreamResetError', reason: 'busy' })
      expect(peak).toBeLessThanOrEqual(2 * STREAM_WINDOW_BYTES)
      await until(() => b.stats().streamMemory.reserved === 0)
      // Within the budget, the same reader gathers a whole stream.
      const small = await out.openStream(BULK)
      await small.write(new Uint8Array(STREAM_WINDOW_BYTES / 2).fill(3))
      await small.close()
      await until(() => results.length === 2)
      expect((results[1] as Uint8Array).length).toBe(STREAM_WINDOW_BYTES / 2)
    } finally {
      await pair.close()
    }
  })
})

describe('idle bulk streams', () => {
  it(`stops a sender that holds credit and sends nothing for ${STREAM_IDLE_TIMEOUT_MS / 1000} s, freeing its reservation, but never a slow reader's`, async () => {
    const pair = await connectedPair()
    try {
      const { b, out } = pair
      const readers: IncomingStream[] = []
      const failures: Error[] = []
      b.handleStream(BULK, (stream) => { readers.push(stream) })
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
      const idle = await out.openStream(BULK)
      await idle.write(new Uint8Array(10))
      const stalled = await out.openStream(BULK)
      // This one fills its window: the receiver never reads it, so the sender waits on us.
      const filling = (async () => { for (;;) await stalled.write(new Uint8Array(CHUNK)) })().catch((e: Error) => e)
      await until(() => readers.length === 2 && b.stats().streamMemory.buffered === 10 + STREAM_WINDOW_BYTES)
      void (async () => { try { for await (const c of readers[0]!) void c } catch (e) { failures.push(e as Error) } })()
      vi.advanceTimersByTime(STREAM_IDLE_TIMEOUT_MS - 1)
      await turns(20)
      expect(failures).toHaveLength(0)
      vi.advanceTimersByTime(1)
      await until(() => failures.length === 1)
      expect(failures[0]).toMatchObject({ name: 'StreamResetError', reason: 'cancelled' })
      await expect(idle.write(new Uint8Array(1))).rejects.toMatchObject({ name: 'StreamResetError', reason: 'cancelled' })
      vi.advanceTimersByTime(3 * STREAM_IDLE_TIMEOUT_MS)
      await turns(20)
      expect(b.stats().streamMemory.reserved).toBe(STREAM_WINDOW_BYTES)
      vi.useRealTimers()
      await pair.close()
      expect(await filling).toMatchObject({ name: 'ConnectionClosedError' })
    } finally {
      vi.useRealTimers()
      await pair.close()
    }
  })
})
