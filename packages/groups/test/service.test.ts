/**
 * Three groups services over an in-memory pubsub and transport: invite, group messages, removal,
 * and a restart that keeps the group. Timers are faked; state files are real (temp directories).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Identity } from '@saorsa-gossip/identity'
import { toHex, utf8, type PeerId, type TopicId } from '@saorsa-gossip/types'
import { COMMIT_LOG_LOCAL, type CommitLogConfig } from '../src/proto/config.ts'
import { decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc } from '../src/codec.ts'
import { COMMITS_PROTOCOL, createGroups, GROUPS_PROTOCOL, WELCOME_PROTOCOL, type Groups, type GroupsPubSub, type GroupsTransport } from '../src/service.ts'
import { identity, suiteFor } from './helpers.ts'

class Network {
  readonly topics = new Map<string, Map<string, (origin: PeerId, payload: Uint8Array) => 'accept' | 'reject' | 'ignore'>>()
  readonly inboxes = new Map<string, (topic: TopicId, origin: PeerId, payload: Uint8Array) => void>()
  readonly handlers = new Map<string, (peer: PeerId, request: Uint8Array) => Promise<Uint8Array>>()
  readonly rejected: string[] = []
  /** Who published what on group topics: `<PeerId hex> <payload type>`. */
  readonly published: string[] = []

  pubsub(self: PeerId): GroupsPubSub {
    return {
      join: (topic, validate) => {
        const members = this.topics.get(topic.toHex()) ?? new Map()
        members.set(self.toHex(), validate)
        this.topics.set(topic.toHex(), members)
      },
      leave: (topic) => { this.topics.get(topic.toHex())?.delete(self.toHex()) },
      publish: async (topic, payload) => {
        this.published.push(`${self.toHex()} ${decodeGroupTopicPayload(payload).type}`)
        for (const [peer, validate] of this.topics.get(topic.toHex()) ?? []) {
          if (peer === self.toHex()) continue
          const verdict = validate(self, payload)
          if (verdict !== 'accept') { this.rejected.push(`${peer.slice(0, 8)}:${verdict}`); continue }
          queueMicrotask(() => this.inboxes.get(peer)?.(topic, self, payload))
        }
      },
      onMessage: (handler) => { this.inboxes.set(self.toHex(), handler) },
    }
  }

  transport(self: PeerId): GroupsTransport {
    return {
      handleRequests: (protocol, handler) => { this.handlers.set(`${self.toHex()} ${protocol}`, handler) },
      request: async (peer, protocol, request) => {
        const handler = this.handlers.get(`${peer.toHex()} ${protocol}`)
        if (handler === undefined) throw new Error('unreachable')
        return handler(self, request)
      },
      handleBulk: (protocol, maxBytes, handler) => {
        this.handlers.set(`${self.toHex()} ${protocol}`, async (peer, data) => {
          if (data.length > maxBytes) throw new Error('stream over its cap')
          await handler(peer, data)
          return new Uint8Array(0)
        })
      },
      sendBulk: async (peer, protocol, data) => {
        const handler = this.handlers.get(`${peer.toHex()} ${protocol}`)
        if (handler === undefined) throw new Error('unreachable')
        await handler(self, data)
      },
    }
  }
}

describe('the groups service', () => {
  let dirs: string[]
  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    dirs = await Promise.all([0, 1, 2, 3].map(() => mkdtemp(join(tmpdir(), 'saorsa-groups-svc-'))))
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  /**
   * Lets timers, promises, crypto and file I/O run until `done()`. Virtual time moves 20 ms per step;
   * the bound is real time, because crypto and file I/O finish on the thread pool, not on timers.
   */
  async function until(done: () => boolean): Promise<void> {
    const deadline = performance.now() + 30_000
    while (!done() && performance.now() < deadline) {
      await vi.advanceTimersByTimeAsync(20)
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(done()).toBe(true)
  }

  it('invites two nodes, delivers group messages to both, keeps the removed one out, and survives a restart', async () => {
    await suiteFor('saorsa')
    const net = new Network()
    const ids: Identity[] = [identity(90), identity(91), identity(92)]
    const make = (i: number): Groups => createGroups(
      { directory: dirs[i]!, commitLog: COMMIT_LOG_LOCAL },
      { identity: ids[i]!, pubsub: net.pubsub(ids[i]!.peerId), transport: net.transport(ids[i]!.peerId) },
    )
    const nodes = [make(0), make(1), make(2)]
    for (const n of nodes) await n.start()
    const inbox: Array<Array<string>> = [[], [], []]
    const sealedIn: number[] = []
    const listen = (i: number, n: Groups): void => n.addEventListener('group:message', (e) => {
      inbox[i]!.push(new TextDecoder().decode(e.detail.data))
      sealedIn.push(e.detail.epoch)
    })
    nodes.forEach((n, i) => listen(i, n))

    const groupId = await nodes[0]!.create()
    await nodes[0]!.invite(groupId, ids[1]!.peerId)
    await until(() => nodes[1]!.list().length === 1)
    await nodes[0]!.invite(groupId, ids[2]!.peerId)
    await until(() => nodes[2]!.list().length === 1 && nodes[1]!.epoch(groupId) === 2)
    expect(nodes.map((n) => n.epoch(groupId))).toEqual([2, 2, 2])

    // This pubsub reports no message id or reach: the result says only the sealing epoch.
    expect(await nodes[0]!.send(groupId, utf8('hello both'))).toEqual({ epoch: 2 })
    await until(() => inbox[1]!.length === 1 && inbox[2]!.length === 1)
    expect(inbox).toEqual([[], ['hello both'], ['hello both']])
    expect(sealedIn).toEqual([2, 2])
    expect(nodes[1]!.metrics()).toMatchObject({ messages: 1, epochs: 1 })

    await nodes[0]!.remove(groupId, ids[2]!.peerId)
    await until(() => nodes[1]!.epoch(groupId) === 3)
    await nodes[0]!.send(groupId, utf8('only b'))
    await until(() => inbox[1]!.length === 2 && nodes[2]!.list().length === 0)
    expect(inbox[2]).toEqual(['hello both'])
    expect(nodes[1]!.members(groupId).map((m) => m.peerId.toHex()).sort()).toEqual([ids[0]!, ids[1]!].map((i) => i.peerId.toHex()).sort())

    // Restart a and b: same directories, new services, same group and epoch keys.
    const secret = toHex(await nodes[1]!.exportSecret(groupId, 'presence/v1', 32))
    for (const n of nodes) await n.stop()
    const again = [make(0), make(1)]
    for (const n of again) await n.start()
    expect(again.map((n) => n.list().map(toHex))).toEqual([[toHex(groupId)], [toHex(groupId)]])
    expect(toHex(await again[1]!.exportSecret(groupId, 'presence/v1', 32))).toBe(secret)
    const after: string[] = []
    again[1]!.addEventListener('group:message', (e) => after.push(new TextDecoder().decode(e.detail.data)))
    await again[0]!.send(groupId, utf8('after restart'))
    await until(() => after.length === 1)
    for (const n of again) await n.stop()
  })

  it('re-proposes an invitation whose commit lost its epoch to a concurrent one', async () => {
    await suiteFor('saorsa')
    const net = new Network()
    const ids: Identity[] = [93, 94, 95, 96].map((n) => identity(n))
    const nodes = ids.map((id, i) => createGroups(
      { directory: dirs[i]!, commitLog: COMMIT_LOG_LOCAL },
      { identity: id, pubsub: net.pubsub(id.peerId), transport: net.transport(id.peerId) },
    ))
    for (const n of nodes) await n.start()
    const [a, b, c, d] = nodes as [Groups, Groups, Groups, Groups]
    const groupId = await a.create()
    await a.invite(groupId, ids[1]!.peerId)
    await until(() => b.list().length === 1)
    // a invites c while b invites d, on the same epoch.
    await Promise.all([a.invite(groupId, ids[2]!.peerId), b.invite(groupId, ids[3]!.peerId)])
    await until(() => c.list().length === 1 && d.list().length === 1 && [a, b, c, d].every((n) => n.epoch(groupId) === 3))
    expect(a.members(groupId)).toHaveLength(4)
    for (const n of nodes) await n.stop()
  })

  /** Four services on one network: a creates the group and invites b, c and d in turn (leaves 0-3). */
  async function groupOfFour(seeds: readonly number[], commitLog: CommitLogConfig = COMMIT_LOG_LOCAL) {
    await suiteFor('saorsa')
    const net = new Network()
    const ids: Identity[] = seeds.map((n) => identity(n))
    const nodes = ids.map((id, i) => createGroups(
      { directory: dirs[i]!, commitLog },
      { identity: id, pubsub: net.pubsub(id.peerId), transport: net.transport(id.peerId) },
    ))
    for (const n of nodes) await n.start()
    const [a, b, c, d] = nodes as [Groups, Groups, Groups, Groups]
    const groupId = await a.create()
    for (const [i, n] of [[1, b], [2, c], [3, d]] as const) {
      await a.invite(groupId, ids[i]!.peerId)
      await until(() => n.list().length === 1 && a.epoch(groupId) === i)
    }
    await until(() => nodes.every((n) => n.epoch(groupId) === 3))
    return { net, ids, nodes, groupId, a, b, c, d }
  }

  it('has the member nearest a removed one commit its removal', async () => {
    // A fallback far beyond the test's virtual steps, which outrun file I/O: only c may commit.
    const commitLog = { ...COMMIT_LOG_LOCAL, removalFallbackMs: 60_000 }
    const { net, ids, nodes, groupId, a, b, c, d } = await groupOfFour([70, 71, 72, 73], commitLog)
    expect(a.members(groupId).map((m) => m.leafIndex)).toEqual([0, 1, 2, 3])

    // a removes d (leaf 3): it proposes, c (leaf 2) commits.
    net.published.length = 0
    await a.remove(groupId, ids[3]!.peerId)
    await until(() => [a, b, c].every((n) => n.epoch(groupId) === 4) && d.list().length === 0)
    expect(net.published).toEqual([`${ids[0]!.peerId.toHex()} proposal`, `${ids[2]!.peerId.toHex()} commit`])
    // The fallback check finds d gone: nothing more is published.
    await vi.advanceTimersByTimeAsync(commitLog.removalFallbackMs * 4)
    expect(net.published).toHaveLength(2)

    for (const n of nodes) await n.stop()
  })

  it('commits a removal when the member nearest the removed one does not answer', async () => {
    const { net, ids, groupId, a, b, c, d } = await groupOfFour([74, 75, 76, 77])
    // c, nearest to d, is offline: a's proposal goes unanswered and a commits after the fallback delay.
    await c.stop()
    net.published.length = 0
    await a.remove(groupId, ids[3]!.peerId)
    await vi.advanceTimersByTimeAsync(COMMIT_LOG_LOCAL.removalFallbackMs - 100)
    expect(net.published).toEqual([`${ids[0]!.peerId.toHex()} proposal`])
    await until(() => [a, b].every((n) => n.epoch(groupId) === 4) && d.list().length === 0)
    expect(net.published).toEqual([`${ids[0]!.peerId.toHex()} proposal`, `${ids[0]!.peerId.toHex()} commit`])
    for (const n of [a, b, d]) await n.stop()
  })

  it('invites with a key package passed out of band, commits a member\'s leave, and ends the group when the last member leaves', async () => {
    await suiteFor('saorsa')
    const net = new Network()
    const ids: Identity[] = [identity(80), identity(81)]
    const make = (i: number): Groups => createGroups(
      { directory: dirs[i]!, commitLog: COMMIT_LOG_LOCAL },
      { identity: ids[i]!, pubsub: net.pubsub(ids[i]!.peerId), transport: net.transport(ids[i]!.peerId) },
    )
    const [a, b] = [make(0), make(1)]
    await Promise.all([a.start(), b.start()])
    const groupId = await a.create()
    const keyPackage = await b.keyPackage()
    // b's key-package handler is never asked: the invitation uses the bytes b handed out.
    const answered = net.handlers.get(`${ids[1]!.peerId.toHex()} ${GROUPS_PROTOCOL}`)!
    net.handlers.set(`${ids[1]!.peerId.toHex()} ${GROUPS_PROTOCOL}`, async () => { throw new Error('asked for a key package') })
    await a.invite(groupId, ids[1]!.peerId, { keyPackage })
    await until(() => b.list().length === 1)
    net.handlers.set(`${ids[1]!.peerId.toHex()} ${GROUPS_PROTOCOL}`, answered)

    const removed: string[] = []
    b.addEventListener('group:removed', (e) => removed.push(toHex(e.detail.groupId)))
    await b.leave(groupId)
    await until(() => removed.length === 1 && a.members(groupId).length === 1)
    expect(removed).toEqual([toHex(groupId)])
    expect(b.list()).toEqual([])

    await a.leave(groupId)
    expect(a.list()).toEqual([])
    await a.stop()
    const again = make(0)
    await again.start()
    expect(again.list()).toEqual([])
    await Promise.all([again.stop(), b.stop()])
  })

  it('starts past a damaged group file and key package file, counting them and keeping the group file', async () => {
    await suiteFor('saorsa')
    const net = new Network()
    const me = identity(82)
    const make = (): Groups => createGroups({ directory: dirs[0]!, commitLog: COMMIT_LOG_LOCAL }, { identity: me, pubsub: net.pubsub(me.peerId), transport: net.transport(me.peerId) })
    const first = make()
    await first.start()
    const groupId = await first.create()
    await first.keyPackage()
    await first.stop()
    const groupFile = join(dirs[0]!, `${toHex(groupId)}.group`)
    await writeFile(groupFile, 'damaged')
    await writeFile(join(dirs[0]!, 'key-packages.bin'), 'damaged')
    const again = make()
    await again.start()
    expect(again.list()).toEqual([])
    expect(again.metrics().dropped).toEqual({ 'state-corrupt': 1, 'key-packages-corrupt': 1 })
    expect(await readFile(groupFile, 'utf8')).toBe('damaged')
    // New key packages replace the unreadable file.
    await again.keyPackage()
    await again.stop()
  })

  it('answers malformed requests with err naming the error, drops forged bulk Welcomes, and joins nothing', async () => {
    await suiteFor('saorsa')
    const net = new Network()
    const [me, stranger] = [identity(97), identity(98)]
    const node = createGroups({ directory: dirs[0]!, commitLog: COMMIT_LOG_LOCAL }, { identity: me, pubsub: net.pubsub(me.peerId), transport: net.transport(me.peerId) })
    await node.start()
    const stranger_ = net.transport(stranger.peerId)
    const ask = async (bytes: Uint8Array) => decodeGroupsRpc(await stranger_.request(me.peerId, GROUPS_PROTOCOL, bytes))
    expect(await ask(utf8('garbage'))).toEqual({ type: 'error', reason: 'DecodeError' })
    expect(await ask(encodeGroupsRpc({ type: 'commits-request', groupId: new Uint8Array(32), sinceEpoch: 0, hash: undefined })))
      .toEqual({ type: 'error', reason: 'unknown-group' })
    expect(await ask(encodeGroupsRpc({ type: 'key-package-request', suite: 3 }))).toEqual({ type: 'error', reason: 'unsupported-suite' })
    // Bulk transfers have no answer: garbage and a forged Welcome are dropped without a throw.
    await stranger_.sendBulk(me.peerId, WELCOME_PROTOCOL, new Uint8Array([0xff]))
    await stranger_.sendBulk(me.peerId, WELCOME_PROTOCOL, encodeGroupsRpc({ type: 'welcome', groupId: new Uint8Array(32), welcome: utf8('not mls'), ratchetTree: utf8('t') }))
    await stranger_.sendBulk(me.peerId, COMMITS_PROTOCOL, utf8('garbage'))
    expect(node.list()).toEqual([])
    await node.stop()
  })
})
