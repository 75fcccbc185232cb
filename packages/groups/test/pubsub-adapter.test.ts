import { describe, expect, it } from 'vitest'
import { MessageId, PeerId, TopicId, utf8 } from '@saorsa-gossip/types'
import { groupsPubSub, type PubSubDeliveryLike, type PubSubLike } from '../src/pubsub-adapter.ts'

describe('the pubsub adapter', () => {
  it('installs the group validator before joining, removes it on leave, and passes deliveries on', async () => {
    const calls: string[] = []
    let validator: ((m: { origin: PeerId; payload: Uint8Array }) => 'accept' | 'reject' | 'ignore') | undefined
    let listener: ((e: CustomEvent<PubSubDeliveryLike>) => void) | undefined
    const id = MessageId.fromBytes(new Uint8Array(32).fill(7))
    const pubsub: PubSubLike = {
      join: () => { calls.push('join') },
      leave: () => { calls.push('leave') },
      addValidator: (_t, v) => { calls.push('addValidator'); validator = v },
      removeValidator: () => { calls.push('removeValidator') },
      publish: async () => { calls.push('publish'); return { outcome: 'sent', id, peers: 3 } },
      addEventListener: (_type, l) => { listener = l },
    }
    const adapted = groupsPubSub(pubsub)
    const topic = TopicId.fromName('t')
    const origin = PeerId.fromPublicKey(new Uint8Array([1]))
    adapted.join(topic, (from, payload) => (from.equals(origin) && payload.length === 2 ? 'accept' : 'reject'))
    expect(validator!({ origin, payload: utf8('ok') })).toBe('accept')
    expect(validator!({ origin, payload: utf8('bad') })).toBe('reject')
    const seen: string[] = []
    adapted.onMessage((t, from, payload, delivery) => seen.push(`${t.equals(topic)} ${from.equals(origin)} ${payload.length} ${delivery?.hops ?? '-'}`))
    listener!(new CustomEvent('message', { detail: { topic, origin, payload: utf8('hi') } }))
    // A full pubsub Delivery also says how the message travelled.
    listener!(new CustomEvent('message', { detail: { topic, origin, payload: utf8('hi'), id, from: origin, hop: 2, seq: 5, timestampMs: 1 } }))
    expect(await adapted.publish(topic, utf8('x'))).toEqual({ messageId: id, sentTo: 3 })
    adapted.leave(topic)
    expect(calls).toEqual(['addValidator', 'join', 'publish', 'removeValidator', 'leave'])
    expect(seen).toEqual(['true true 2 -', 'true true 2 2'])
  })
})
