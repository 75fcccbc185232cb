/**
 * The structural interfaces crdt-sync asks for are filled by the real pubsub driver and transport
 * (checked by the type checker: this file does not compile if either drifts).
 */
import { describe, expect, it } from 'vitest'
import type { PubSub } from '@saorsa-gossip/pubsub'
import type { Transport } from '@saorsa-gossip/transport'
import type { CrdtPubSub, CrdtTransport } from '../src/service.ts'

const asPubSub = (p: PubSub): CrdtPubSub => p
const asTransport = (t: Transport): CrdtTransport => t

describe('component interfaces', () => {
  it('are satisfied by createPubSub and createTransport', () => {
    expect(typeof asPubSub).toBe('function')
    expect(typeof asTransport).toBe('function')
  })
})
