/**
 * An in-memory group network for session tests: every node is a GroupSession, `publish` outputs
 * are queued per receiver so a test decides the delivery order, timers fire on demand, and fetches
 * are answered from the named peer's commit log, as the service does over request/response.
 */
import type { Identity } from '@saorsa-gossip/identity'
import { toHex, type PeerId } from '@saorsa-gossip/types'
import type { GroupTopicPayload } from '../src/codec.ts'
import { createKeyPackage, openKeyPackage, type KeyPackageBundle } from '../src/key-package.ts'
import { COMMIT_LOG_LAN } from '../src/proto/config.ts'
import { GroupSession, type SessionOutput, type SessionTimer } from '../src/session.ts'
import type { GroupSuite } from '../src/suite.ts'
import { identity, NOW } from './helpers.ts'

export const OPTIONS = { commitLog: COMMIT_LOG_LAN }

export class Net {
  readonly nodes = new Map<string, { id: Identity; session: GroupSession | undefined; bundle: KeyPackageBundle | undefined }>()
  readonly inbox = new Map<string, Array<{ from: PeerId; payload: GroupTopicPayload }>>()
  readonly timers = new Map<string, SessionTimer[]>()
  readonly lost = new Map<string, string[]>()
  nowMs = NOW

  constructor(readonly suite: GroupSuite) {}

  static async withCreator(suite: GroupSuite, seed: number): Promise<{ net: Net; creator: PeerId }> {
    const net = new Net(suite)
    const id = identity(seed)
    const session = await GroupSession.create(id, suite, OPTIONS, net.nowMs, new Uint8Array(32).fill(seed))
    net.nodes.set(id.peerId.toHex(), { id, session, bundle: undefined })
    return { net, creator: id.peerId }
  }

  /** A creator (`seed`) that added three newcomers (`seed + 1` to `seed + 3`) in one commit, settled: leaves 0-3. */
  static async groupOfFour(suite: GroupSuite, seed: number): Promise<{ net: Net; creator: PeerId; others: PeerId[] }> {
    const { net, creator } = await Net.withCreator(suite, seed)
    const others = await Promise.all([1, 2, 3].map((i) => net.newcomer(seed + i)))
    await net.handle(creator, await net.session(creator).propose({ add: await net.keyPackages(others.map((o) => o.keyPackage)) }, net.nowMs))
    await net.settle()
    return { net, creator, others: others.map((o) => o.peer) }
  }

  session(peer: PeerId): GroupSession {
    return this.nodes.get(peer.toHex())!.session!
  }

  /** A node that is not in the group yet, with a published key package. */
  async newcomer(seed: number): Promise<{ peer: PeerId; keyPackage: Uint8Array }> {
    const id = identity(seed)
    const bundle = await createKeyPackage(id, this.suite, this.nowMs)
    this.nodes.set(id.peerId.toHex(), { id, session: undefined, bundle })
    return { peer: id.peerId, keyPackage: bundle.bytes }
  }

  async keyPackages(bytes: Uint8Array[]) {
    return Promise.all(bytes.map(async (b) => (await openKeyPackage(b, this.suite, this.nowMs)).keyPackage))
  }

  async handle(self: PeerId, outputs: SessionOutput[]): Promise<void> {
    const key = self.toHex()
    for (const o of outputs) {
      switch (o.type) {
        case 'publish':
          for (const [other, node] of this.nodes) {
            if (other !== key && node.session !== undefined) this.#queue(other).push({ from: self, payload: o.payload })
          }
          break
        case 'schedule': this.#timers(key).push(o.timer); break
        case 'lost': this.lost.set(key, [...(this.lost.get(key) ?? []), toHex(o.hash)]); break
        case 'fetch': {
          const served = this.session(o.peer).commitsSince(o.sinceEpoch, 64, o.hash)
          for (const c of served) await this.handle(self, await this.session(self).receive(o.peer, c, this.nowMs))
          break
        }
        case 'welcome':
          for (const to of o.to) {
            const node = this.nodes.get(to.toHex())!
            node.session = await GroupSession.join(node.id, this.suite, OPTIONS, node.bundle!, o.welcome, o.ratchetTree, this.nowMs)
          }
          break
        default: break
      }
    }
  }

  /** Delivers everything queued for `peer` (or only the first `count`). */
  async deliver(peer: PeerId, count = Infinity): Promise<void> {
    const queue = this.#queue(peer.toHex())
    for (let i = 0; i < count && queue.length > 0; i++) {
      const { from, payload } = queue.shift()!
      await this.handle(peer, await this.session(peer).receive(from, payload, this.nowMs))
    }
  }

  async fire(peer: PeerId): Promise<void> {
    const due = this.#timers(peer.toHex()).splice(0)
    for (const timer of due) await this.handle(peer, await this.session(peer).timer(timer, this.nowMs))
  }

  /** Delivers and fires until nothing is left anywhere. */
  async settle(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      let busy = false
      for (const [key, node] of this.nodes) {
        if (node.session === undefined) continue
        const peer = node.id.peerId
        if (this.#queue(key).length > 0 || this.#timers(key).length > 0) busy = true
        await this.deliver(peer)
        await this.fire(peer)
      }
      if (!busy) return
    }
    throw new Error('network did not settle')
  }

  dropInbox(peer: PeerId): void {
    this.#queue(peer.toHex()).length = 0
  }

  #queue(key: string) {
    let q = this.inbox.get(key)
    if (q === undefined) this.inbox.set(key, (q = []))
    return q
  }

  #timers(key: string) {
    let t = this.timers.get(key)
    if (t === undefined) this.timers.set(key, (t = []))
    return t
  }
}
