import { describe, expect, it } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { DecodeError, PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { decodePubSubMessage, encodePubSubMessage } from '../src/codec.ts'
import { PubSubCore, type PubSubOutput } from '../src/proto/pubsub.ts'
import type { PublishMessage } from '../src/proto/messages.ts'
import { Publisher } from '../src/publisher.ts'
import { signHeaderWith, verifyHeaderWith } from '../src/signatures.ts'

const topic = TopicId.fromName('tamper')

describe('origin signatures with ML-DSA-65', () => {
  it('rejects every single-bit flip of the header, the payload and the signature', async () => {
    const backend = await loadMlDsa65Backend()
    const origin = Identity.generate({ seed: new Uint8Array(32).fill(1), backend })
    const receiver = Identity.generate({ seed: new Uint8Array(32).fill(2), backend })
    const publisher = new Publisher(origin.peerId, signHeaderWith(origin))
    const message = publisher.build(topic, new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80]), 1_000)
    const core = new PubSubCore({ self: receiver.peerId, publicKey: receiver.publicKey, verify: verifyHeaderWith(backend), rng: new SeededRng(1), config: { publishBurst: 1e9, publishRatePerSecond: 1e9 } })
    const setup: PubSubOutput[] = []
    core.handle({ type: 'command', command: { type: 'join', topic } }, 0, setup)
    core.handle({ type: 'command', command: { type: 'wall-clock', wallMs: 1_000 } }, 0, setup)
    core.handle({ type: 'command', command: { type: 'learn-key', peer: origin.peerId, publicKey: origin.publicKey } }, 0, setup)

    let sender = 0
    const accepted = (msg: PublishMessage): boolean => {
      // A fresh sender per attempt, so scoring never hides a verdict.
      const from = PeerId.fromBytes(new SeededRng(`sender-${sender++}`).fill(new Uint8Array(32)))
      let decoded
      try {
        decoded = decodePubSubMessage(encodePubSubMessage(msg))
      } catch (err) {
        if (err instanceof DecodeError) return false
        throw err
      }
      const out: PubSubOutput[] = []
      core.handle({ type: 'recv', from, msg: decoded }, 1, out)
      return out.some((o) => o.type === 'emit' && o.event.type === 'message')
    }
    const flip = (bytes: Uint8Array, bit: number) => {
      const copy = bytes.slice()
      copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7))
      return copy
    }
    let attempts = 0
    let rejected = 0
    // About 27,000 verifications: hand the event loop back now and then (docs/architecture.md section 9).
    const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
    for (let bit = 0; bit < message.headerBytes.length * 8; bit++) {
      if (++attempts % 512 === 0) await nextTurn()
      if (!accepted({ ...message, headerBytes: flip(message.headerBytes, bit) })) rejected++
    }
    for (let bit = 0; bit < message.payload.length * 8; bit++) {
      if (++attempts % 512 === 0) await nextTurn()
      if (!accepted({ ...message, payload: flip(message.payload, bit) })) rejected++
    }
    for (let bit = 0; bit < message.signature.length * 8; bit++) {
      if (++attempts % 512 === 0) await nextTurn()
      if (!accepted({ ...message, signature: flip(message.signature, bit) })) rejected++
    }
    expect(rejected).toBe(attempts)
    expect(attempts).toBe((message.headerBytes.length + message.payload.length + message.signature.length) * 8)
    // The untouched message is accepted, and only once.
    expect(accepted(message)).toBe(true)
    expect(accepted(message)).toBe(false)
    console.log(`tamper: ${attempts} single-bit flips rejected with the ${backend.name} backend`)
  })

  it('rejects a valid signature under another origin\'s key', async () => {
    const backend = await loadMlDsa65Backend()
    const a = Identity.generate({ seed: new Uint8Array(32).fill(3), backend })
    const b = Identity.generate({ seed: new Uint8Array(32).fill(4), backend })
    const verify = verifyHeaderWith(backend)
    const msg = new Publisher(a.peerId, signHeaderWith(a)).build(topic, new Uint8Array([1]), 0)
    expect(verify(a.publicKey, msg.headerBytes, msg.signature, false)).toBe(true)
    expect(verify(b.publicKey, msg.headerBytes, msg.signature, false)).toBe(false)
  })

  it('signs a neighbour broadcast under its own domain, so neither signature passes for the other', async () => {
    const backend = await loadMlDsa65Backend()
    const a = Identity.generate({ seed: new Uint8Array(32).fill(5), backend })
    const verify = verifyHeaderWith(backend)
    const neighbor = new Publisher(a.peerId, signHeaderWith(a)).build(topic, new Uint8Array([1]), 0, { neighborsOnly: true })
    expect(neighbor.neighborsOnly).toBe(true)
    expect(verify(a.publicKey, neighbor.headerBytes, neighbor.signature, true)).toBe(true)
    expect(verify(a.publicKey, neighbor.headerBytes, neighbor.signature, false)).toBe(false)
  })
})
