import { describe, expect, it } from 'vitest'
import { PeerId, TopicId, utf8 } from '@saorsa-gossip/types'
import { groupsPubSub, type PubSubLike } from '../src/pubsub-adapter.ts'

describe('the pubsub adapter', () => {
  it('installs the group validator before joining, removes it on leave, and passes deliveries on', async () => {
    const calls: string[] = []
    let validator: ((m: { origin: PeerId; payload: Uint8Array }) => 'accept' | 'reject' | 'ignore') | undefined
    let listener: ((e: CustomEvent<{ topic: TopicId; origin: PeerId; payload: Uint8Array }>) => void) | undefined
    const pubsub: PubSubLike = {
      join: () => { calls.push('join') },
      leave: () => { calls.push('leave') },
      addValidator: (_t, v) => { calls.push('addValidator'); validator = v },
      removeValidator: () => { calls.push('removeValidator') },
      publish: async () => { calls.push('publish'); return { outcome: 'sent' } },
      addEventListener: (_type, l) => { listener = l },
    }
    const adapted = groupsPubSub(pubsub)
    const topic = TopicId.fromName('t')
    const origin = PeerId.fromPublicKey(new Uint8Array([1]))
    adapted.join(topic, (from, payload) => (from.equals(origin) && payload.length === 2 ? 'accept' : 'reject'))
    expect(validator!({ origin, payload: utf8('ok') })).toBe('accept')
    expect(validator!({ origin, payload: utf8('bad') })).toBe('reject')
    const seen: string[] = []
    adapted.onMessage((t, from, payload) => seen.push(`${t.equals(topic)} ${from.equals(origin)} ${payload.length}`))
    listener!(new CustomEvent('message', { detail: { topic, origin, payload: utf8('hi') } }))
    await adapted.publish(topic, utf8('x'))
    adapted.leave(topic)
    expect(calls).toEqual(['addValidator', 'join', 'publish', 'removeValidator', 'leave'])
    expect(seen).toEqual(['true true 2'])
  })
})
