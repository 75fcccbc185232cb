import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { createNode, type SaorsaNode } from '../src/node.ts'
import { PeerCache } from '../src/config/peer-cache.ts'
import { loadIdentity } from '../src/identity-store.ts'

// createNode end to end over the in-memory carrier (real layers, no sockets). Waits are bounded polls.

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
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function network(count: number, options: { home?: (i: number) => string; verifier?: 'inline' | 'pool' } = {}) {
  const net = createMemoryNetwork()
  const nodes: SaorsaNode[] = []
  for (let i = 0; i < count; i++) {
    const home = options.home?.(i)
    const node = createNode({ carriers: [net.carrier()], listen: [`mem://n${i}`], preset: 'local', ...(home === undefined ? {} : { home }), ...(options.verifier === undefined ? {} : { verifier: options.verifier }) })
    await node.start()
    running.push(node)
    nodes.push(node)
  }
  return { net, nodes }
}

describe('createNode', () => {
  it('reports the subscriber a first publish on a not yet joined topic reaches', async () => {
    const { nodes: [a, b] } = await network(2)
    await b!.join(a!.listenAddrs())
    await until('neighbours', () => a!.status().activePeers >= 1)
    const inbox = b!.subscribe('first')[Symbol.asyncIterator]()
    // a has not joined 'first': publishing joins it, and waits for b's SUBSCRIBE reply before sending.
    const result = await a!.publish('first', new TextEncoder().encode('one'))
    expect(result.sentTo).toBe(1)
    expect((await inbox.next()).value!.id.toHex()).toBe(result.id.toHex())
  })

  it("checks signatures on the process's worker pool with verifier 'pool', and refuses an unknown verifier", async () => {
    expect(() => createNode({ verifier: 'threads' as never })).toThrow(/verifier/)
    const { nodes: [a, b, c] } = await network(3, { verifier: 'pool' })
    await b!.join(a!.listenAddrs())
    await c!.join(b!.listenAddrs())
    const inbox = c!.subscribe('pooled')[Symbol.asyncIterator]()
    b!.subscribe('pooled')
    await until('the tree to reach c', () => c!.status().activePeers >= 1 && b!.status().activePeers >= 1)
    const { sharedVerifyPool } = await import('../src/verify-pool.ts')
    for (;;) {
      const result = await a!.publish('pooled', new TextEncoder().encode('checked elsewhere'))
      if (result.sentTo > 0) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(new TextDecoder().decode((await inbox.next()).value!.payload)).toBe('checked elsewhere')
    expect(sharedVerifyPool()?.workerChecks).toBeGreaterThan(0)
    expect(c!.status().signatureChecks).toBeGreaterThan(0)
  })

  it('joins, delivers a signed message with origin, sender and hop count, and reports status', async () => {
    const { nodes: [a, b, c] } = await network(3)
    await b!.join(a!.listenAddrs())
    await c!.join(b!.listenAddrs())
    const inboxC = c!.subscribe('news')[Symbol.asyncIterator]()
    const inboxB = b!.subscribe('news')[Symbol.asyncIterator]()
    a!.subscribe('news')
    await until('the tree to reach c', () => c!.status().activePeers >= 1 && b!.status().activePeers >= 1)
    // A publish before the neighbours announced the topic reaches them later through anti-entropy,
    // so every attempt's id is a valid first delivery.
    const ids: string[] = []
    const deadline = Date.now() + 10_000
    for (;;) {
      const result = await a!.publish('news', new TextEncoder().encode('hello'))
      ids.push(result.id.toHex())
      if (result.sentTo > 0 || Date.now() > deadline) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const atB = (await inboxB.next()).value!
    const atC = (await inboxC.next()).value!
    for (const m of [atB, atC]) {
      expect(m.origin.equals(a!.peerId)).toBe(true)
      expect(new TextDecoder().decode(m.payload)).toBe('hello')
      expect(ids).toContain(m.id.toHex())
      expect(m.topic).toBe('news')
    }
    expect(atB.hops).toBeGreaterThanOrEqual(1)
    const status = c!.status()
    expect(status).toMatchObject({ state: 'running', topics: ['news'] })
    expect(status.delivered).toBeGreaterThanOrEqual(1)
    expect(status.signatureChecks).toBeGreaterThanOrEqual(1)
    expect(c!.peers().some((p) => p.view === 'active')).toBe(true)
  })

  it('leaves cleanly: neighbours see the node go down and its subscriptions end', async () => {
    const { nodes: [a, b] } = await network(2)
    await b!.join(a!.listenAddrs())
    await until('a to see b', () => a!.status().activePeers === 1)
    const down: string[] = []
    a!.addEventListener('peer:down', (e) => down.push(e.detail.peerId.toHex()))
    const sub = b!.subscribe('t')
    const ended = (async () => {
      for await (const _ of sub) { /* drain */ }
      return true
    })()
    await b!.stop()
    running.splice(running.indexOf(b!), 1)
    expect(await ended).toBe(true)
    expect(b!.status().state).toBe('stopped')
    await until('a to see b leave', () => down.includes(b!.peerId.toHex()), 5_000)
    await expect(b!.join(a!.listenAddrs())).rejects.toMatchObject({ name: 'NotStartedError' })
  })

  it('re-dispatches topic neighbours, and counts no lag for a topic joined without a reader', async () => {
    const { nodes: [a, b] } = await network(2)
    const ups: string[] = []
    b!.addEventListener('topic:peer-up', (e) => ups.push(`${e.detail.topic} ${e.detail.peerId.toHex()}`))
    await b!.join(a!.listenAddrs())
    await until('the two to be neighbours', () => a!.status().activePeers === 1 && b!.status().activePeers === 1)
    // Publishing joins the topic without a reader: deliveries reach only the 'message' event.
    await b!.publish('quiet', new Uint8Array([0]))
    const controller = new AbortController()
    const sub = a!.subscribe('quiet', { signal: controller.signal })
    await until('b to see a in the topic tree', () => ups.length > 0)
    expect(ups).toEqual([`quiet ${a!.peerId.toHex()}`])
    const received: number[] = []
    b!.addEventListener('message', (e) => received.push(e.detail.payload[0]!))
    for (let i = 1; i <= 20; i++) await a!.publish('quiet', new Uint8Array([i]))
    await until('b to deliver all 20', () => received.length === 20)
    expect(b!.status().delivered).toBe(20)
    expect(b!.status().dropped).not.toHaveProperty('driver:lagged')
    expect(b!.topics()).toEqual(['quiet'])
    controller.abort()
    expect(sub.closed).toBe(true)
  })

  it('fails to join with JoinFailedError when nothing answers, and with nothing to try', async () => {
    const { nodes: [a] } = await network(1)
    await expect(a!.join([])).rejects.toMatchObject({ name: 'JoinFailedError' })
    await expect(a!.join(['mem://nobody'])).rejects.toMatchObject({ name: 'JoinFailedError' })
  })

  it('aborts a join through its signal', async () => {
    const { nodes: [a] } = await network(1)
    const controller = new AbortController()
    controller.abort()
    await expect(a!.join(['mem://nobody'], { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('remembers good peers in the peer cache and rejoins through it without bootstrap addresses', async () => {
    const base = await mkdtemp(join(tmpdir(), 'sg-node-'))
    dirs.push(base)
    const { net, nodes: [a, b] } = await network(2, { home: (i) => join(base, `n${i}`) })
    await b!.join(a!.listenAddrs())
    await b!.stop()
    running.splice(running.indexOf(b!), 1)
    const cache = await PeerCache.load(join(base, 'n1', 'peers.cbor'))
    expect(cache.candidates().map((e) => e.peerId.toHex())).toContain(a!.peerId.toHex())
    const again = createNode({ carriers: [net.carrier()], listen: ['mem://n1-again'], preset: 'local', home: join(base, 'n1') })
    await again.start()
    running.push(again)
    const joined = await again.join()
    expect(joined.activePeers).toBeGreaterThanOrEqual(1)
  })

  it('loads a stored identity so the PeerId survives restarts', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sg-id-'))
    dirs.push(home)
    await expect(loadIdentity({ home, passphrase: 'pw' })).rejects.toMatchObject({ name: 'IdentityNotFoundError' })
    const first = await loadIdentity({ home, passphrase: 'pw', create: true })
    const second = await loadIdentity({ home, passphrase: 'pw' })
    expect(first.created).toBe(true)
    expect(second.created).toBe(false)
    expect(second.identity.peerId.equals(first.identity.peerId)).toBe(true)
  })
})
