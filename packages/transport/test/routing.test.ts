/**
 * Protocol routing and direct messages (SPEC.md section 5.5): two protocols sharing a class without
 * clobbering each other, one namespace of names, unhandle turning frames into counted drops, and
 * request/response with timeout, abort, refusal, the in-flight cap and failure on close.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { turns } from './carrier-conformance.ts'
import { connectedPair, type Pair } from './pair.ts'
import { BULK, MSHIP, PUBSUB } from './protocols.ts'
import { until } from './transport-suite.ts'
import { MAX_INFLIGHT_REQUESTS } from '../src/direct/pending.ts'

const ECHO = Object.freeze({ name: '/test/echo/1', streamClass: 'mship' } as const)
const SLOW = Object.freeze({ name: '/test/slow/1', streamClass: 'pubsub' } as const)

describe('protocol routing', () => {
  let pair: Pair | undefined
  afterEach(async () => { vi.useRealTimers(); await pair?.close(); pair = undefined })

  it('delivers two protocols of one class each to its own handler, and neither clobbers the other', async () => {
    pair = await connectedPair()
    const { b, out } = pair
    const lobby = { name: '/test/lobby/1', streamClass: 'pubsub' } as const
    const gotPubsub: number[] = []
    const gotLobby: number[] = []
    b.handle(PUBSUB, (m) => { gotPubsub.push(m[0]!) })
    b.handle(lobby, (m) => { gotLobby.push(m[0]!) })
    expect(() => b.handle(lobby, () => {})).toThrow(expect.objectContaining({ name: 'ProtocolAlreadyHandledError' }))
    expect(() => b.handleDirect(PUBSUB, () => {})).toThrow(expect.objectContaining({ name: 'ProtocolAlreadyHandledError' }))
    for (let i = 0; i < 20; i++) await out.send(i % 2 === 0 ? PUBSUB : lobby, new Uint8Array([i]))
    await until(() => gotPubsub.length + gotLobby.length === 20)
    expect(gotPubsub).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    expect(gotLobby).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19])
  })

  it('writes the frames queued before an orderly close ahead of the close frame', async () => {
    pair = await connectedPair()
    const { b, out, inb } = pair
    const got: number[] = []
    b.handle(MSHIP, (m) => { got.push(m[0]!) })
    b.handle(PUBSUB, (m) => { got.push(m[0]!) })
    // Queued in the same turn as the close: a goodbye (HyParView's DISCONNECT) must not be lost to it.
    const sent = [out.send(MSHIP, new Uint8Array([1])), out.send(PUBSUB, new Uint8Array([2]))]
    await out.close()
    await Promise.all(sent)
    await inb.closed
    expect(got.sort()).toEqual([1, 2])
    expect(inb.closeError).toBeUndefined()
  })

  it('counts a frame for an unhandled protocol as a drop, by reason, and keeps the connection', async () => {
    pair = await connectedPair()
    const { b, out, inb } = pair
    const got: number[] = []
    b.handle(MSHIP, (m) => { got.push(m[0]!) })
    await out.send(MSHIP, new Uint8Array([1]))
    await until(() => got.length === 1)
    b.unhandle(MSHIP)
    await out.send(MSHIP, new Uint8Array([2]))
    await until(() => inb.stats().drops['unknown-protocol'] === 1)
    // Same name on the wrong class: routed by name and class together.
    b.handle(MSHIP, (m) => { got.push(m[0]!) })
    await out.send({ name: MSHIP.name, streamClass: 'pubsub' }, new Uint8Array([3]))
    await until(() => inb.stats().drops['wrong-route'] === 1)
    await out.send(MSHIP, new Uint8Array([4]))
    await until(() => got.length === 2)
    expect(got).toEqual([1, 4])
    expect(b.stats().drops['unknown-protocol']).toBe(1)
    expect(b.stats().drops['wrong-route']).toBe(1)
    expect(inb.closeError).toBeUndefined()
    expect(out.stats().drops['unknown-protocol']).toBe(0)
  })

  it('validates protocol names and objects at the boundary', async () => {
    pair = await connectedPair()
    const { a, out } = pair
    for (const name of ['', 'no-slash', '/has space', `/${'x'.repeat(64)}`, '/caf\u00e9']) {
      expect(() => a.handle({ name, streamClass: 'mship' }, () => {}), name).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    }
    expect(() => a.handle({ name: '/ok/1', streamClass: 'bulk' as never }, () => {})).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    expect(() => a.handleStream({ name: '/ok/1', maxBytes: 0 }, () => {})).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    await expect(out.send({ name: '/ok/1', streamClass: 'mship' }, new Uint8Array(64 * 1024 + 1))).rejects.toMatchObject({ name: 'InvalidParametersError' })
    expect(() => a.unhandle('nope')).toThrow(expect.objectContaining({ name: 'InvalidParametersError' }))
    a.unhandle('/never/handled')
  })
})

describe('direct messages', () => {
  let pair: Pair | undefined
  afterEach(async () => { vi.useRealTimers(); await pair?.close(); pair = undefined })

  it('answers requests, passes one-way messages, and gives the handler the peer and a live signal', async () => {
    pair = await connectedPair()
    const { a, b, out } = pair
    const oneWay: number[] = []
    let seenPeer = ''
    b.handleDirect(ECHO, (request, context) => {
      seenPeer = context.peer.toHex()
      expect(context.signal.aborted).toBe(false)
      if (request.length === 0) return undefined
      if (request[0] === 0xff) { oneWay.push(request[1]!); return undefined }
      return Promise.resolve(request.map((x) => x * 2))
    })
    expect([...await out.request(ECHO, new Uint8Array([1, 2, 3]))]).toEqual([2, 4, 6])
    expect([...await out.request(ECHO, new Uint8Array(0))]).toEqual([])
    await out.sendDirect(ECHO, new Uint8Array([0xff, 9]))
    await until(() => oneWay.length === 1)
    expect(oneWay).toEqual([9])
    expect(seenPeer).toBe(a.peerId.toHex())
    expect(out.stats().pendingRequests).toBe(0)
  })

  it('refuses with a code when no handler exists or the handler throws, never with the remote error text', async () => {
    pair = await connectedPair()
    const { b, out, inb } = pair
    await expect(out.request(ECHO, new Uint8Array([1]))).rejects.toMatchObject({ name: 'RequestRefusedError', reason: 'no-handler' })
    b.handleDirect(ECHO, () => { throw new Error('secret internal detail') })
    const refused = await out.request(ECHO, new Uint8Array([1])).catch((e: Error) => e)
    expect(refused).toMatchObject({ name: 'RequestRefusedError', reason: 'handler-failed' })
    expect(String((refused as Error).message)).not.toContain('secret')
    b.unhandle(ECHO)
    b.handleDirect(ECHO, () => new Uint8Array(64 * 1024 + 1))
    await expect(out.request(ECHO, new Uint8Array([1]))).rejects.toMatchObject({ name: 'RequestRefusedError', reason: 'response-too-large' })
    // A plain message handler is not a request handler.
    b.unhandle(ECHO)
    b.handle(ECHO, () => {})
    await expect(out.request(ECHO, new Uint8Array([1]))).rejects.toMatchObject({ name: 'RequestRefusedError', reason: 'no-handler' })
    expect(inb.stats().drops['wrong-route']).toBe(1)
    expect(inb.stats().handlerErrors).toBe(1)
  })

  it('times out a request that gets no answer, and the late answer is a counted drop', async () => {
    pair = await connectedPair()
    const { b, out } = pair
    let release: (() => void) | undefined
    b.handleDirect(SLOW, () => new Promise<Uint8Array>((resolve) => { release = () => resolve(new Uint8Array([1])) }))
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const pending = out.request(SLOW, new Uint8Array([1]), { timeoutMs: 2_000 })
    const settled = pending.catch((e: Error) => e)
    await until(() => release !== undefined)
    vi.advanceTimersByTime(1_999)
    await turns(5)
    expect(out.stats().pendingRequests).toBe(1)
    vi.advanceTimersByTime(1)
    expect(await settled).toMatchObject({ name: 'RequestTimeoutError' })
    expect(out.stats().pendingRequests).toBe(0)
    release!()
    await until(() => out.stats().drops['unknown-response'] === 1)
  })

  it('aborts a request by its signal, before sending and while waiting', async () => {
    pair = await connectedPair()
    const { b, out } = pair
    let started = 0
    b.handleDirect(SLOW, () => { started++; return new Promise<Uint8Array>(() => {}) })
    await expect(out.request(SLOW, new Uint8Array([1]), { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    const controller = new AbortController()
    const pending = out.request(SLOW, new Uint8Array([1]), { signal: controller.signal })
    await until(() => started === 1)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(out.stats().pendingRequests).toBe(0)
  })

  it(`caps requests in flight per connection at ${MAX_INFLIGHT_REQUESTS}, and fails them all at once when the connection closes`, async () => {
    pair = await connectedPair()
    const { b, out } = pair
    let started = 0
    b.handleDirect(SLOW, () => { started++; return new Promise<Uint8Array>(() => {}) })
    const pending = Array.from({ length: MAX_INFLIGHT_REQUESTS }, () => out.request(SLOW, new Uint8Array([1])).catch((e: Error) => e))
    await expect(out.request(SLOW, new Uint8Array([1]))).rejects.toMatchObject({ name: 'TooManyRequestsError' })
    await until(() => started === MAX_INFLIGHT_REQUESTS)
    expect(out.stats().pendingRequests).toBe(MAX_INFLIGHT_REQUESTS)
    void out.close()
    for (const error of await Promise.all(pending)) expect(error).toMatchObject({ name: 'ConnectionClosedError' })
    await expect(out.request(SLOW, new Uint8Array([1]))).rejects.toMatchObject({ name: 'ConnectionClosedError' })
  })

  it('fails pending requests at once when the remote goes away, and aborts the remote handler signals', async () => {
    pair = await connectedPair()
    const { b, out } = pair
    const signals: AbortSignal[] = []
    b.handleDirect(SLOW, (_r, context) => { signals.push(context.signal); return new Promise<Uint8Array>(() => {}) })
    const pending = out.request(SLOW, new Uint8Array([1])).catch((e: Error) => e)
    await until(() => signals.length === 1)
    await b.close()
    expect(await pending).toMatchObject({ name: 'ConnectionClosedError' })
    expect(signals[0]!.aborted).toBe(true)
  })

  it('keeps stream, direct and message names in one namespace', async () => {
    pair = await connectedPair()
    const { b } = pair
    b.handleStream(BULK, () => {})
    expect(() => b.handle({ name: BULK.name, streamClass: 'mship' }, () => {})).toThrow(expect.objectContaining({ name: 'ProtocolAlreadyHandledError' }))
    b.unhandle(BULK.name)
    b.handle({ name: BULK.name, streamClass: 'mship' }, () => {})
  })
})
