/**
 * The node's direct messages and streams over the in-memory carrier (real layers): request/response,
 * one-way send, refusal, timeout, abort, no route, a dial through a cached address, a bulk stream,
 * and handlers registered before start surviving a restart. Waits are bounded polls.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Identity } from '@saorsa-gossip/identity'
import { createMemoryNetwork, type MemoryNetwork } from '@saorsa-gossip/transport'
import { PeerCache } from '../src/config/peer-cache.ts'
import { homeLayout } from '../src/config/paths.ts'
import { createNode, type SaorsaNode } from '../src/node.ts'

const ECHO = { name: '/test/node-echo/1', streamClass: 'mship' } as const
const NOTE = { name: '/test/node-note/1', streamClass: 'pubsub' } as const
const SNAPSHOT = { name: '/test/node-snapshot/1', maxBytes: 8 * 1024 * 1024 } as const

const running: SaorsaNode[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

let n = 0
async function started(net: MemoryNetwork, home?: string): Promise<SaorsaNode> {
  const node = createNode({ carriers: [net.carrier()], listen: [`mem://direct-${n++}`], preset: 'local', ...(home === undefined ? {} : { home }) })
  await node.start()
  running.push(node)
  return node
}

describe('node direct messages', () => {
  it('answers requests and one-way messages between joined nodes, with typed refusal, timeout and abort', async () => {
    const net = createMemoryNetwork()
    const a = await started(net)
    const b = await started(net)
    const notes: string[] = []
    b.handle(ECHO, (request, { peer }) => {
      expect(peer.equals(a.peerId)).toBe(true)
      if (request[0] === 0) return new Promise<Uint8Array>(() => {})
      if (request[0] === 1) throw new Error('not for you')
      return request.slice().reverse()
    })
    b.handle(NOTE, (message) => { notes.push(new TextDecoder().decode(message)) })
    expect(() => b.handle(ECHO, () => new Uint8Array(0))).toThrow(expect.objectContaining({ name: 'ProtocolAlreadyHandledError' }))
    expect(() => b.handle({ name: '/saorsa/membership/1', streamClass: 'mship' }, () => new Uint8Array(0)))
      .toThrow(expect.objectContaining({ name: 'ProtocolAlreadyHandledError' }))
    await b.join(a.listenAddrs())
    expect([...await a.request(b.peerId, ECHO, new Uint8Array([7, 8, 9]))]).toEqual([9, 8, 7])
    await a.send(b.peerId, NOTE, new TextEncoder().encode('hi b'))
    await until('the note', () => notes.length === 1)
    expect(notes).toEqual(['hi b'])
    await expect(a.request(b.peerId, ECHO, new Uint8Array([1]))).rejects.toMatchObject({ name: 'RequestRefusedError', reason: 'handler-failed' })
    await expect(b.request(a.peerId, ECHO, new Uint8Array([5]))).rejects.toMatchObject({ name: 'RequestRefusedError', reason: 'no-handler' })
    await expect(a.request(b.peerId, ECHO, new Uint8Array([0]), { timeoutMs: 50 })).rejects.toMatchObject({ name: 'RequestTimeoutError' })
    const controller = new AbortController()
    const aborted = a.request(b.peerId, ECHO, new Uint8Array([0]), { signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    await expect(a.request(Identity.generate().peerId, ECHO, new Uint8Array([2]))).rejects.toMatchObject({ name: 'NoRouteError' })
  })

  it('dials a peer known only from the peer cache, and streams a multi-megabyte snapshot to it', async () => {
    const net = createMemoryNetwork()
    const b = await started(net)
    const received: Uint8Array[] = []
    b.handleStream(SNAPSHOT, (stream) => { void stream.bytes().then((bytes) => received.push(bytes)) })
    const home = await mkdtemp(join(tmpdir(), 'sg-direct-'))
    dirs.push(home)
    const cache = await PeerCache.load(homeLayout(home).peerCacheFile)
    cache.recordSuccess(b.peerId, b.listenAddrs(), Date.now())
    await cache.save(Date.now())
    const a = await started(net, home)
    const snapshot = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251)
    const writer = await a.openStream(b.peerId, SNAPSHOT)
    await writer.write(snapshot)
    await writer.close()
    await until('the snapshot', () => received.length === 1)
    expect(received[0]!.length).toBe(snapshot.length)
    expect(received[0]!.every((x, i) => x === i % 251)).toBe(true)
  })

  it('keeps handlers registered before start across a restart, and rejects calls while stopped', async () => {
    const net = createMemoryNetwork()
    const a = await started(net)
    const b = createNode({ carriers: [net.carrier()], listen: ['mem://direct-restart'], preset: 'local' })
    b.handle(ECHO, (request) => request)
    await expect(b.request(a.peerId, ECHO, new Uint8Array([1]))).rejects.toMatchObject({ name: 'NotStartedError' })
    await b.start()
    running.push(b)
    await b.join(a.listenAddrs())
    expect([...await a.request(b.peerId, ECHO, new Uint8Array([4]))]).toEqual([4])
    await b.stop()
    await b.start()
    await b.join(a.listenAddrs())
    expect([...await a.request(b.peerId, ECHO, new Uint8Array([5]))]).toEqual([5])
    b.unhandle(ECHO)
    await expect(a.request(b.peerId, ECHO, new Uint8Array([6]))).rejects.toMatchObject({ name: 'RequestRefusedError', reason: 'no-handler' })
  })
})
