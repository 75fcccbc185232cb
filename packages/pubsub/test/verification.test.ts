import { describe, expect, it } from 'vitest'
import type { PubSubOutput } from '../src/proto/pubsub.ts'
import { idOf } from '../src/proto/admission.ts'
import { MAX_COPIES_WHILE_VERIFYING, VERIFICATION_TIMEOUT_MS } from '../src/proto/verification.ts'
import { TOPIC, connect, emitted, makeNode, sends } from './helpers.ts'

/** Node a checks signatures off its loop; b and c are its topic neighbours, origin publishes. */
function setup(config = {}) {
  const [a, b, c, origin] = [makeNode(1, { maxPendingVerifications: 8, ...config }, { verifyOffLoop: true }), makeNode(2), makeNode(3), makeNode(4)]
  connect(a, [b, c])
  return { a, b, c, origin }
}

function answer(a: ReturnType<typeof makeNode>, verificationId: number, valid: boolean, nowMs: number): PubSubOutput[] {
  const out: PubSubOutput[] = []
  a.core.handle({ type: 'command', command: { type: 'verified', verificationId, valid } }, nowMs, out)
  return out
}

describe('PubSubCore with signatures checked by the driver', () => {
  it('offers the signature as a verify event and holds the message until the verdict', () => {
    const { a, b, c, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([1]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 1, out)
    const [verify] = emitted(out, 'verify')
    expect(verify).toMatchObject({ publicKey: origin.publicKey, headerBytes: msg.headerBytes, signature: msg.signature, neighborsOnly: false })
    expect(emitted(out, 'message')).toEqual([])
    expect(sends(out, 'publish')).toEqual([])
    expect(out).toContainEqual({ type: 'schedule', delayMs: VERIFICATION_TIMEOUT_MS, timer: { type: 'verification-timeout', verificationId: verify!.verificationId } })
    expect(a.verifier.calls()).toBe(0)

    const after = answer(a, verify!.verificationId, true, 2)
    expect(emitted(after, 'message')[0]?.delivery).toMatchObject({ origin: origin.id, from: b.id, hop: 2 })
    expect(sends(after, 'publish').map((s) => s.to)).toEqual([c.id])
    expect(a.core.verifications).toBe(1)
    // A stale or repeated verdict is a no-op.
    expect(answer(a, verify!.verificationId, true, 3)).toEqual([])
  })

  it('treats a copy that arrived during the check as the duplicate it is once the message is valid: PRUNE, no second check', () => {
    const { a, b, c, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([2]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 1, out)
    a.core.handle({ type: 'recv', from: c.id, msg: { ...msg, hop: 3 } }, 2, out)
    const verifies = emitted(out, 'verify')
    expect(verifies).toHaveLength(1)
    expect(sends(out, 'prune')).toEqual([])

    const after = answer(a, verifies[0]!.verificationId, true, 3)
    expect(emitted(after, 'message')).toHaveLength(1)
    expect(sends(after, 'prune').map((s) => s.to)).toEqual([c.id])
    // c holds it already: the message is not pushed back to it.
    expect(sends(after, 'publish')).toEqual([])
    expect(a.core.drops.duplicate).toBe(1)
    expect(emitted(after, 'verify')).toEqual([])
  })

  it('does not lose the honest copy that arrived behind a badly signed one', () => {
    const { a, b, c, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([3]), 0)
    const forged = { ...msg, signature: msg.signature.map((x) => x ^ 1), hop: 2, originKey: origin.publicKey }
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: forged }, 1, out)
    a.core.handle({ type: 'recv', from: c.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 2, out)
    const first = emitted(out, 'verify')
    expect(first).toHaveLength(1)

    const after = answer(a, first[0]!.verificationId, false, 3)
    expect(a.core.drops['bad-signature']).toBe(1)
    expect(a.core.peers.peek(b.id)?.score.counter('invalid', 3)).toBe(1)
    // The honest copy is now checked on its own.
    const second = emitted(after, 'verify')
    expect(second).toHaveLength(1)
    expect(second[0]!.signature).toEqual(msg.signature)
    const delivered = answer(a, second[0]!.verificationId, true, 4)
    expect(emitted(delivered, 'message')[0]?.delivery).toMatchObject({ from: c.id })
    expect(a.core.peers.peek(c.id)?.score.counter('invalid', 4)).toBe(0)
  })

  it('penalises, without a second check, a copy that repeats the very bytes found bad', () => {
    const { a, b, c, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([4]), 0)
    const forged = { ...msg, signature: msg.signature.map((x) => x ^ 1), hop: 2, originKey: origin.publicKey }
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: forged }, 1, out)
    a.core.handle({ type: 'recv', from: c.id, msg: forged }, 2, out)
    const after = answer(a, emitted(out, 'verify')[0]!.verificationId, false, 3)
    expect(emitted(after, 'verify')).toEqual([])
    expect(a.core.drops['bad-signature']).toBe(2)
    expect(a.core.peers.peek(c.id)?.score.counter('invalid', 3)).toBe(1)
  })

  it('checks the signature itself when no verdict comes in time', () => {
    const { a, b, origin } = setup()
    const msg = origin.publisher.build(TOPIC, new Uint8Array([5]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: b.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 1, out)
    const { verificationId } = emitted(out, 'verify')[0]!
    const fired: PubSubOutput[] = []
    a.core.handle({ type: 'timer', timer: { type: 'verification-timeout', verificationId } }, 1 + VERIFICATION_TIMEOUT_MS, fired)
    expect(a.verifier.calls()).toBe(1)
    expect(emitted(fired, 'message')).toHaveLength(1)
    // The late verdict changes nothing.
    expect(answer(a, verificationId, true, 3_000)).toEqual([])
  })

  it('checks inline past maxPendingVerifications, and starts no graft for a message whose check is out', () => {
    const { a, b, c, origin } = setup({ maxPendingVerifications: 1 })
    const first = origin.publisher.build(TOPIC, new Uint8Array([6]), 0)
    const second = origin.publisher.build(TOPIC, new Uint8Array([7]), 0)
    const out: PubSubOutput[] = []
    a.core.handle({ type: 'command', command: { type: 'learn-key', peer: origin.id, publicKey: origin.publicKey } }, 0, out)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...first, hop: 2 } }, 1, out)
    a.core.handle({ type: 'recv', from: b.id, msg: { ...second, hop: 2 } }, 2, out)
    expect(emitted(out, 'verify')).toHaveLength(1)
    expect(a.verifier.calls()).toBe(1)
    expect(emitted(out, 'message').map((m) => m.delivery.seq)).toEqual([second.header.seq])
    // An IHAVE for the message under check: its verdict, not a copy, is missing.
    const ihave: PubSubOutput[] = []
    a.core.handle({ type: 'recv', from: c.id, msg: { type: 'ihave', topic: TOPIC, ids: [idOf(first.header)], hops: [1] } }, 3, ihave)
    expect(ihave.filter((o) => o.type === 'schedule')).toEqual([])
  })

  it('keeps at most MAX_COPIES_WHILE_VERIFYING copies of a message under check', () => {
    const peers = Array.from({ length: MAX_COPIES_WHILE_VERIFYING + 3 }, (_, i) => makeNode(10 + i))
    const a = makeNode(1, { maxPendingVerifications: 8, initialEagerPeers: 1 }, { verifyOffLoop: true })
    const origin = makeNode(4)
    connect(a, peers)
    const msg = origin.publisher.build(TOPIC, new Uint8Array([8]), 0)
    const out: PubSubOutput[] = []
    for (const p of peers) a.core.handle({ type: 'recv', from: p.id, msg: { ...msg, hop: 2, originKey: origin.publicKey } }, 1, out)
    expect(a.core.drops.duplicate).toBe(2)
    const after = answer(a, emitted(out, 'verify')[0]!.verificationId, true, 2)
    expect(a.core.drops.duplicate).toBe(2 + MAX_COPIES_WHILE_VERIFYING)
    expect(emitted(after, 'message')).toHaveLength(1)
  })

  it('checks inline unless told to check off the loop, and with a cap of 0', () => {
    for (const node of [makeNode(1), makeNode(1, { maxPendingVerifications: 0 }, { verifyOffLoop: true })]) {
      const [b, origin] = [makeNode(2), makeNode(4)]
      connect(node, [b])
      const out: PubSubOutput[] = []
      node.core.handle({ type: 'recv', from: b.id, msg: { ...origin.publisher.build(TOPIC, new Uint8Array([9]), 0), hop: 2, originKey: origin.publicKey } }, 1, out)
      expect(emitted(out, 'verify')).toEqual([])
      expect(emitted(out, 'message')).toHaveLength(1)
      expect(node.verifier.calls()).toBe(1)
    }
  })

  it('rejects a negative or fractional maxPendingVerifications', () => {
    expect(() => makeNode(1, { maxPendingVerifications: -1 })).toThrow(/maxPendingVerifications/)
    expect(() => makeNode(1, { maxPendingVerifications: 1.5 })).toThrow(/maxPendingVerifications/)
  })
})
