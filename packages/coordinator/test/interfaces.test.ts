/**
 * The structural interfaces the coordinator service asks for are filled by the real pubsub driver,
 * transport and membership service (checked by the type checker: this file does not compile if one drifts).
 */
import { describe, expect, it } from 'vitest'
import type { Membership } from '@saorsa-gossip/membership'
import type { PubSub } from '@saorsa-gossip/pubsub'
import type { Transport } from '@saorsa-gossip/transport'
import type { CoordinatorPubSub, CoordinatorTransport, NeighborEvents } from '../src/service-types.ts'

const asPubSub = (p: PubSub): CoordinatorPubSub => p
const asTransport = (t: Transport): CoordinatorTransport => t
const asMembership = (m: Membership): NeighborEvents => m

describe('component interfaces', () => {
  it('are satisfied by createPubSub, createTransport and createMembership', () => {
    expect([typeof asPubSub, typeof asTransport, typeof asMembership]).toEqual(['function', 'function', 'function'])
  })
})
