/**
 * Test fixtures: nodes with cheap deterministic "signatures" (BLAKE3 of key and header, so a
 * tampered header or a wrong key fails exactly as a real signature would), and outbox filters.
 */
import { PeerId, SeededRng, TopicId, bytesEqual, concatBytes, payloadHash as blake3 } from '@saorsa-gossip/types'
import { PubSubCore, type PubSubOutput } from '../src/proto/pubsub.ts'
import { Publisher } from '../src/publisher.ts'
import type { PubSubConfig } from '../src/proto/config.ts'
import type { PubSubMessage } from '../src/proto/messages.ts'

export const TOPIC = TopicId.fromName('test/topic')

/** A neighbour broadcast signs under its own domain; the fake marks it with one trailing byte. */
const NEIGHBOR_DOMAIN = new Uint8Array([0x4e])

function fakeSignature(publicKey: Uint8Array, headerBytes: Uint8Array, neighborsOnly: boolean): Uint8Array {
  return blake3(neighborsOnly ? concatBytes(publicKey, headerBytes, NEIGHBOR_DOMAIN) : concatBytes(publicKey, headerBytes))
}

export function fakeSign(publicKey: Uint8Array): (headerBytes: Uint8Array, neighborsOnly: boolean) => Uint8Array {
  return (headerBytes, neighborsOnly) => fakeSignature(publicKey, headerBytes, neighborsOnly)
}

export function countingVerifier(): { verify: (pk: Uint8Array, h: Uint8Array, sig: Uint8Array, neighborsOnly: boolean) => boolean; calls: () => number } {
  let calls = 0
  return {
    verify: (pk, h, sig, neighborsOnly) => {
      calls++
      return bytesEqual(fakeSignature(pk, h, neighborsOnly), sig)
    },
    calls: () => calls,
  }
}

export interface TestNode {
  readonly id: PeerId
  readonly publicKey: Uint8Array
  readonly core: PubSubCore
  readonly publisher: Publisher
  readonly verifier: ReturnType<typeof countingVerifier>
}

export function makeNode(n: number, config: Partial<PubSubConfig> = {}, options: { verifyOffLoop?: boolean } = {}): TestNode {
  const publicKey = new SeededRng(`key-${n}`).fill(new Uint8Array(32))
  const id = PeerId.fromPublicKey(publicKey)
  const verifier = countingVerifier()
  const core = new PubSubCore({ self: id, publicKey, verify: verifier.verify, rng: new SeededRng(n), config, ...options })
  return { id, publicKey, core, publisher: new Publisher(id, fakeSign(publicKey)), verifier }
}

export function sends(out: PubSubOutput[], type?: PubSubMessage['type']): Array<{ to: PeerId; msg: PubSubMessage }> {
  const result: Array<{ to: PeerId; msg: PubSubMessage }> = []
  for (const o of out) if (o.type === 'send' && (type === undefined || o.msg.type === type)) result.push({ to: o.to, msg: o.msg })
  return result
}

export function emitted<T extends string>(out: PubSubOutput[], type: T): Array<Extract<Extract<PubSubOutput, { type: 'emit' }>['event'], { type: T }>> {
  const result: unknown[] = []
  for (const o of out) if (o.type === 'emit' && o.event.type === type) result.push(o.event)
  return result as never
}

/** Joins `node` to TOPIC and makes each of `peers` a subscribed neighbour (eager up to initialEagerPeers). */
export function connect(node: TestNode, peers: TestNode[], nowMs = 0): PubSubOutput[] {
  const out: PubSubOutput[] = []
  node.core.handle({ type: 'command', command: { type: 'join', topic: TOPIC } }, nowMs, out)
  for (const p of peers) {
    node.core.handle({ type: 'peer-up', peer: p.id }, nowMs, out)
    node.core.handle({ type: 'command', command: { type: 'learn-key', peer: p.id, publicKey: p.publicKey } }, nowMs, out)
    node.core.handle({ type: 'recv', from: p.id, msg: { type: 'subscribe', topics: [TOPIC], reply: false } }, nowMs, out)
  }
  return out
}
