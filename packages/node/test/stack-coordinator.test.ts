/**
 * The coordinator edge of the shipped stack, on two nodes' cores joined by an in-test pump: the
 * coordinator's advert goes out through pubsub on the advert topic, the other node's pubsub asks the
 * coordinator core for a verdict before it delivers or forwards, and a verified advert lands in its
 * cache; a forged one is rejected there and never cached.
 */
import { describe, expect, it } from 'vitest'
import { Identity, nobleMlDsa65Deterministic, signingInput, verifySignature } from '@saorsa-gossip/identity'
import { COORDINATOR_LOCAL, COORDINATOR_TOPIC, signAdvert } from '@saorsa-gossip/coordinator'
import { Publisher } from '@saorsa-gossip/pubsub/wire'
import { DOMAIN, PeerId, SeededRng } from '@saorsa-gossip/types'
import { GossipStack, STACK_PRESETS, type StackInput, type StackOutput } from '../src/proto/stack.ts'

const WALL = 1_767_225_600_000
const identityOf = (n: number) => Identity.generate({ seed: new Uint8Array(32).fill(n), backend: nobleMlDsa65Deterministic })
const verify = (pk: Uint8Array, domain: string, body: Uint8Array, sig: Uint8Array) => verifySignature(pk, domain, body, sig, nobleMlDsa65Deterministic)

function stackOf(identity: Identity, peers: Map<string, Identity>, advertise: boolean): GossipStack {
  return new GossipStack({
    self: { id: identity.peerId, publicKey: identity.publicKey }, rng: new SeededRng(identity.publicKey[0]!), config: STACK_PRESETS.local,
    verify: (pk, header, sig, nbr) => nobleMlDsa65Deterministic.verify(pk, signingInput(nbr ? DOMAIN.pubsubNeighbor : DOMAIN.pubsubMessage, header), sig),
    revealedKey: (peer) => peers.get(peer.toHex())?.publicKey,
    coordinator: {
      config: COORDINATOR_LOCAL, signer: identity, verify, wallOffsetMs: WALL,
      signHeader: (header) => identity.sign(DOMAIN.pubsubMessage, header),
      ...(advertise ? { advertise: { roles: ['coordinator', 'rendezvous'], addresses: ['tcp://127.0.0.1:7000'] } } : {}),
    },
  })
}

/** Delivers every send between the stacks until none is left; returns every output, by node. */
function pump(stacks: Map<string, GossipStack>, start: Array<[PeerId, StackInput]>, nowMs = 1_000): Map<string, StackOutput[]> {
  const seen = new Map<string, StackOutput[]>([...stacks.keys()].map((k) => [k, []]))
  const queue = [...start]
  for (let steps = 0; queue.length > 0 && steps < 10_000; steps++) {
    const [to, input] = queue.shift()!
    const out: StackOutput[] = []
    stacks.get(to.toHex())!.handle(input, nowMs, out)
    seen.get(to.toHex())!.push(...out)
    for (const o of out) if (o.type === 'send') queue.push([o.to, { type: 'recv', from: to, msg: o.msg }])
  }
  return seen
}

describe('the shipped stack with the coordinator layer', () => {
  const coordinator = identityOf(1)
  const node = identityOf(2)
  const forger = identityOf(3)
  const ids = new Map([coordinator, node, forger].map((i) => [i.peerId.toHex(), i]))

  function connectedPair(): { stacks: Map<string, GossipStack>; outputs: Map<string, StackOutput[]> } {
    const stacks = new Map([[coordinator.peerId.toHex(), stackOf(coordinator, ids, true)], [node.peerId.toHex(), stackOf(node, ids, false)]])
    const outputs = pump(stacks, [
      [coordinator.peerId, { type: 'peer-up', peer: node.peerId }],
      [node.peerId, { type: 'peer-up', peer: coordinator.peerId }],
      [node.peerId, { type: 'command', command: { layer: 'membership', command: { type: 'join', contacts: [{ id: coordinator.peerId, addrs: [] }] } } }],
    ])
    return { stacks, outputs }
  }

  it('joins the advert topic with a validator and publishes the coordinator advert through pubsub', () => {
    const { stacks, outputs } = connectedPair()
    const c = stacks.get(coordinator.peerId.toHex())!
    expect(c.pubsub.topics.has(COORDINATOR_TOPIC.toHex())).toBe(true)
    const published = outputs.get(coordinator.peerId.toHex())!.filter((o) => o.type === 'emit' && o.event.layer === 'coordinator' && o.event.event.type === 'publish')
    expect(published.length).toBeGreaterThanOrEqual(1)
  })

  it('delivers the advert only after the coordinator core accepted it, and caches it', () => {
    const { stacks } = connectedPair()
    const n = stacks.get(node.peerId.toHex())!
    // The next advert of the publish interval, pushed over the tree the two nodes now share.
    const outputs = pump(stacks, [[coordinator.peerId, { type: 'timer', timer: { layer: 'coordinator', timer: { layer: 'advertise', epoch: 1 } } }]], 11_000)
    const atNode = outputs.get(node.peerId.toHex())!
    const verdict = atNode.findIndex((o) => o.type === 'emit' && o.event.layer === 'coordinator' && o.event.event.type === 'validated' && o.event.event.result === 'accept')
    const delivered = atNode.findIndex((o) => o.type === 'emit' && o.event.layer === 'pubsub' && o.event.event.type === 'message')
    expect(verdict).toBeGreaterThanOrEqual(0)
    expect(delivered).toBeGreaterThan(verdict)
    const cached = n.coordinator!.cache.best(WALL + 11_000, { role: 'rendezvous' })
    expect(cached.map((e) => e.advert.peerId.toHex())).toEqual([coordinator.peerId.toHex()])
  })

  it('rejects an advert whose publisher is not the pubsub origin, and never caches it', () => {
    const { stacks } = connectedPair()
    const n = stacks.get(node.peerId.toHex())!
    // The forger signs a valid advert of its own but sends it as a pubsub message of the coordinator's.
    const advert = signAdvert(forger, { roles: ['coordinator'], addresses: ['tcp://198.51.100.9:1'], nat: 'eim', notBeforeMs: WALL, notAfterMs: WALL + 60_000, sequence: 1 })
    // A sequence number above the coordinator's own adverts: a reused one would be dropped earlier, as a replay.
    const message = new Publisher(coordinator.peerId, (h) => coordinator.sign(DOMAIN.pubsubMessage, h), 1_000_000).build(COORDINATOR_TOPIC, advert.bytes, 2_000)
    const out: StackOutput[] = []
    n.handle({ type: 'recv', from: coordinator.peerId, msg: { layer: 'pubsub', msg: message } }, 2_000, out)
    const verdicts = out.flatMap((o) => (o.type === 'emit' && o.event.layer === 'coordinator' && o.event.event.type === 'validated' ? [o.event.event.result] : []))
    expect(verdicts).toEqual(['reject'])
    expect(out.some((o) => o.type === 'emit' && o.event.layer === 'pubsub' && o.event.event.type === 'message')).toBe(false)
    expect(n.coordinator!.cache.get(forger.peerId)).toBeUndefined()
  })
})
