/**
 * An in-memory network of replicas for tests: publishes go to every other replica, sends to their
 * target, every message through the real codec on its channel. `filter` lets a test drop, hold or
 * reorder; timers are kept as data and fired by the test.
 */
import { PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { channelOf, decodeSyncFrame, encodeSyncFrame } from '../src/codec.ts'
import { CRDT_LOCAL } from '../src/config.ts'
import type { DocState } from '../src/docs/doc-state.ts'
import type { SyncConfig } from '../src/proto/config.ts'
import type { SyncEvent, SyncMessage, SyncTimer } from '../src/proto/messages.ts'
import { ReplicaCore } from '../src/replica.ts'

export const DOC = TopicId.fromName('crdt/test-doc')

export interface Wire { from: PeerId; to: PeerId; msg: SyncMessage; bytes: number }

export class TestNet<D extends DocState> {
  readonly replicas: Array<ReplicaCore<D>> = []
  readonly peers: PeerId[] = []
  readonly events: Array<{ at: number; event: SyncEvent }> = []
  readonly timers: Array<{ at: number; timer: SyncTimer; owner: number }> = []
  readonly sent: Wire[] = []
  queue: Wire[] = []
  nowMs = 0
  /** Return false to drop a message. */
  filter: (w: Wire) => boolean = () => true

  constructor(n: number, makeDoc: (self: PeerId, i: number) => D, config: SyncConfig = CRDT_LOCAL, seed = 1) {
    for (let i = 0; i < n; i++) {
      const peer = PeerId.fromPublicKey(new Uint8Array(32).fill(i + 1))
      this.peers.push(peer)
      this.replicas.push(new ReplicaCore({ self: peer, doc: makeDoc(peer, i), config, rng: new SeededRng(seed * 1000 + i), now: () => this.nowMs }))
    }
  }

  /** Makes every replica a neighbour of every other. */
  connectAll(): void {
    this.replicas.forEach((r, i) => this.peers.forEach((p, j) => { if (i !== j) r.handle({ type: 'peer-up', peer: p }) }))
  }

  /** Moves outputs of every replica into the queue (through the codec). */
  collect(): void {
    this.replicas.forEach((r, i) => {
      for (const o of r.drain()) {
        if (o.type === 'publish') {
          this.peers.forEach((to, j) => { if (j !== i) this.#enqueue(this.peers[i]!, to, o.msg) })
        } else if (o.type === 'send') this.#enqueue(this.peers[i]!, o.to, o.msg)
        else if (o.type === 'schedule') this.timers.push({ at: this.nowMs + o.delayMs, timer: o.timer, owner: i })
        else if (o.type === 'emit') this.events.push({ at: i, event: o.event })
      }
    })
  }

  #enqueue(from: PeerId, to: PeerId, msg: SyncMessage): void {
    const bytes = encodeSyncFrame({ doc: DOC, msg })
    const decoded = decodeSyncFrame(bytes, channelOf(msg))
    const w = { from, to, msg: decoded.msg, bytes: bytes.length }
    this.sent.push(w)
    this.queue.push(w)
  }

  /** Delivers queued messages (and what they cause) until the network is quiet. */
  run(maxSteps = 100_000): void {
    this.collect()
    for (let step = 0; this.queue.length > 0; step++) {
      if (step > maxSteps) throw new Error('network did not go quiet')
      const w = this.queue.shift()!
      if (!this.filter(w)) continue
      this.replica(w.to).handle({ type: 'recv', from: w.from, msg: w.msg })
      this.collect()
    }
  }

  replica(peer: PeerId): ReplicaCore<D> {
    return this.replicas[this.peers.findIndex((p) => p.equals(peer))]!
  }

  /** Fires every timer due by `nowMs + ms`, in order, running the network after each. */
  advance(ms: number): void {
    const end = this.nowMs + ms
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at)
      const next = this.timers[0]
      if (next === undefined || next.at > end) break
      this.timers.shift()
      this.nowMs = next.at
      this.replicas[next.owner]!.handle({ type: 'timer', timer: next.timer })
      this.run()
    }
    this.nowMs = end
  }

  startAll(): void {
    for (const r of this.replicas) r.handle({ type: 'command', command: { type: 'start' } })
    this.collect()
  }
}
