import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Identity, nobleMlDsa65 } from '@saorsa-gossip/identity'
import { ManualClock, SeededRng, decodeCbor, schema as s, type PeerId } from '@saorsa-gossip/types'
import { createPubSub, type PubSub, type PubSubInit, type PubSubProtocol } from '../src/index.ts'
import type { Delivery } from '../src/proto/messages.ts'
import type { PubSubConnection, PubSubTransport } from '../src/driver-types.ts'
import { SEQUENCE_BLOCK, SequenceFile } from '../src/sequence-file.ts'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'pubsub-seq-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const stored = async (path: string) => decodeCbor(new Uint8Array(await readFile(path)), s.object({ v: s.literal(1), next: s.uint() }), { maxBytes: 64 }).next

describe('SequenceFile', () => {
  it('reserves a block before handing out a number, and never goes back below the mark after a restart', async () => {
    const path = join(dir, 'seq')
    const { file, first } = await SequenceFile.open(path, 5_000)
    expect(first).toBe(5_000)
    expect(await stored(path)).toBe(5_000 + SEQUENCE_BLOCK)
    expect(file.covers(5_000 + SEQUENCE_BLOCK - 1)).toBe(true)
    expect(file.covers(5_000 + SEQUENCE_BLOCK)).toBe(false)
    // Past half a block the next one is written ahead of need.
    await file.reserve(5_000 + SEQUENCE_BLOCK / 2 + 1)
    expect(await stored(path)).toBe(5_000 + SEQUENCE_BLOCK / 2 + 1 + SEQUENCE_BLOCK)
    // A restart whose floor went back (a clock stepped back) starts above everything reserved.
    const again = await SequenceFile.open(path, 10)
    expect(again.first).toBe(5_000 + SEQUENCE_BLOCK / 2 + 1 + SEQUENCE_BLOCK)
  })

  it('refuses a file that is not a sequence mark with a DecodeError naming it', async () => {
    const path = join(dir, 'seq')
    await writeFile(path, 'not cbor at all')
    await expect(SequenceFile.open(path, 0)).rejects.toMatchObject({ name: 'DecodeError', message: expect.stringContaining(path) })
  })
})

/** Frames go to the peer's handler on a microtask. */
class Link extends EventTarget implements PubSubTransport {
  readonly identity: Identity
  peer: Link | undefined
  handler: ((m: Uint8Array, c: PubSubConnection) => void) | undefined
  constructor(identity: Identity) {
    super()
    this.identity = identity
  }
  handle(_p: PubSubProtocol, handler: (m: Uint8Array, c: PubSubConnection) => void): void { this.handler = handler }
  unhandle(): void { this.handler = undefined }
  connectionTo(peer: PeerId): PubSubConnection | undefined {
    const remote = this.peer
    if (remote === undefined || !remote.identity.peerId.equals(peer)) return undefined
    const self = this.identity
    return {
      remotePeer: peer, remotePublicKey: remote.identity.publicKey,
      send: async (_p, message) => {
        const back = { remotePeer: self.peerId, remotePublicKey: self.publicKey, send: async () => {}, close: async () => {} }
        queueMicrotask(() => remote.handler?.(message, back))
      },
      close: async () => {},
    }
  }
}

function start(n: number, clock: ManualClock, init: PubSubInit = {}): { pubsub: PubSub; link: Link; identity: Identity } {
  const identity = Identity.generate({ seed: new Uint8Array(32).fill(n), backend: nobleMlDsa65 })
  const link = new Link(identity)
  const pubsub = createPubSub({ lagSampleMs: 0, ...init }, { transport: link, identity, backend: nobleMlDsa65, clock, rng: new SeededRng(n) })
  return { pubsub, link, identity }
}

async function publishAndReceive(from: PubSub, to: PubSub): Promise<Delivery | 'dropped'> {
  const received = new Promise<Delivery>((resolve) => to.addEventListener('message', (e) => resolve(e.detail), { once: true }))
  await from.publish('chat', new TextEncoder().encode('hi'))
  // The frame crosses on a microtask; give it a few turns of the loop.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
  return Promise.race([received, Promise.resolve('dropped' as const)])
}

async function connect(a: ReturnType<typeof start>, b: ReturnType<typeof start>): Promise<void> {
  a.link.peer = b.link
  b.link.peer = a.link
  a.pubsub.start()
  a.pubsub.join('chat')
  a.pubsub.neighborUp(b.identity.peerId)
  b.pubsub.neighborUp(a.identity.peerId)
  // The topic subscriptions cross.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}

describe('restart-safe publish sequence in the driver', () => {
  it('keeps a restarted publisher whose clock stepped back 10 s from being silenced as a replay', async () => {
    const wall = 1_700_000_000_000
    const b = start(2, new ManualClock(0, wall))
    b.pubsub.start()
    b.pubsub.join('chat')
    const path = join(dir, 'pubsub.seq')
    const a1 = start(1, new ManualClock(0, wall), { sequenceFile: path })
    await connect(a1, b)
    const first = await publishAndReceive(a1.pubsub, b.pubsub)
    expect(first).not.toBe('dropped')
    a1.pubsub.stop()
    // Without the file the restarted node's numbers come from its clock, now 10 s behind: replays.
    const bare = start(1, new ManualClock(0, wall - 10_000))
    await connect(bare, b)
    expect(await publishAndReceive(bare.pubsub, b.pubsub)).toBe('dropped')
    expect(b.pubsub.core.drops.replayed).toBe(1)
    bare.pubsub.stop()
    // With it, numbers continue above the stored mark.
    const a2 = start(1, new ManualClock(0, wall - 10_000), { sequenceFile: path })
    await connect(a2, b)
    const second = await publishAndReceive(a2.pubsub, b.pubsub)
    expect(second).not.toBe('dropped')
    expect((second as Delivery).seq).toBeGreaterThan((first as Delivery).seq)
    a2.pubsub.stop()
    b.pubsub.stop()
  })
})

describe('driver API for harnesses and back-pressure', () => {
  it('counts pubsub bytes and frames each way and reports per-topic eager and lazy peer counts', async () => {
    const wall = 1_700_000_000_000
    const b = start(2, new ManualClock(0, wall))
    b.pubsub.start()
    b.pubsub.join('chat')
    const a = start(1, new ManualClock(0, wall))
    await connect(a, b)
    expect(a.pubsub.topicPeers('chat')).toEqual({ eager: 1, lazy: 0 })
    expect(a.pubsub.topicPeers('elsewhere')).toEqual({ eager: 0, lazy: 0 })
    const before = { ...b.pubsub.traffic }
    expect(await publishAndReceive(a.pubsub, b.pubsub)).not.toBe('dropped')
    // One published frame: an ML-DSA-65 signature alone is 3,309 bytes.
    expect(a.pubsub.traffic.framesSent).toBeGreaterThanOrEqual(2)
    expect(b.pubsub.traffic.framesReceived - before.framesReceived).toBe(1)
    expect(b.pubsub.traffic.bytesReceived - before.bytesReceived).toBeGreaterThan(3_309)
    expect(a.pubsub.traffic.bytesSent).toBeGreaterThanOrEqual(b.pubsub.traffic.bytesReceived)
    a.pubsub.stop()
    b.pubsub.stop()
  })

  it('rejects a publish with PublishBackpressureError while the node runs later than maxPublishLagMs, before signing anything', async () => {
    const clock = new ManualClock(0)
    const a = start(1, clock, { maxPublishLagMs: 500 })
    a.pubsub.start()
    a.pubsub.join('chat')
    // What the lag sampler reports when the event loop ran 2 s late.
    a.pubsub.core.handle({ type: 'command', command: { type: 'local-lag', lagMs: 2_000 } }, 0, [])
    await expect(a.pubsub.publish('chat', new Uint8Array([1]))).rejects.toMatchObject({ name: 'PublishBackpressureError', lagMs: 2_000 })
    // The estimate halves every second: 3 s later it is 250 ms, under the limit again.
    clock.advance(3_000)
    expect((await a.pubsub.publish('chat', new Uint8Array([1]))).outcome).toBe('no-peers')
    a.pubsub.stop()
  })

  it('refuses a negative lag sampling period or publish lag limit, and an empty sequence file path', () => {
    expect(() => start(1, new ManualClock(0), { lagSampleMs: -1 })).toThrow(/lagSampleMs/)
    expect(() => start(1, new ManualClock(0), { maxPublishLagMs: Number.NaN })).toThrow(/maxPublishLagMs/)
    expect(() => start(1, new ManualClock(0), { sequenceFile: '' })).toThrow(/sequenceFile/)
  })
})
