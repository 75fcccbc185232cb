#!/usr/bin/env node
/**
 * Compose your own stack: the layers `createNode` wires, put together by hand, for applications
 * that want to swap a carrier, share a transport, or tune one layer. Three peers, each built from
 * @saorsa-gossip/identity + transport (in-memory carrier here, so no sockets) + membership (SWIM)
 * + pubsub (Plumtree); one broadcast must reach both other peers.
 */
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createMemoryNetwork, createTransport } from '@saorsa-gossip/transport'
import { MEMBERSHIP_LOCAL, createMembership } from '@saorsa-gossip/membership'
import { PUBSUB_LOCAL, createPubSub } from '@saorsa-gossip/pubsub'

const TOPIC = 'compose/demo'
const backend = await loadMlDsa65Backend()
const network = createMemoryNetwork() // an isolated in-process address space (mem://name)

async function buildPeer(name) {
  const identity = Identity.generate({ backend })
  const transport = createTransport({ identity, carriers: [network.carrier()], backend })
  const addr = await transport.listen(`mem://${name}`)
  const membership = createMembership({ transport, config: MEMBERSHIP_LOCAL })
  const pubsub = createPubSub({ config: PUBSUB_LOCAL }, { transport, identity, backend, membership })
  await membership.start()
  pubsub.start()
  return { name, identity, transport, membership, pubsub, addr }
}

const peers = [await buildPeer('alpha'), await buildPeer('beta'), await buildPeer('gamma')]
for (const p of peers) console.log(`${p.name.padEnd(6)} ${p.identity.peerId.toShortString()} on ${p.addr}`)
await peers[1].membership.join([peers[0].addr], { signal: AbortSignal.timeout(10_000) })
await peers[2].membership.join([peers[1].addr], { signal: AbortSignal.timeout(10_000) })

const inboxes = peers.map((p) => p.pubsub.subscribe(TOPIC))
const receivers = [1, 2].map(async (k) => {
  const { value } = await inboxes[k][Symbol.asyncIterator]().next()
  console.log(`${peers[k].name.padEnd(6)} got "${new TextDecoder().decode(value.payload)}" from ${value.origin.toShortString()} after ${value.hop} hop(s)`)
  return value
})

// Subscriptions travel to neighbours asynchronously; publish once a neighbour takes the message.
const deadline = Date.now() + 10_000
let result
do {
  await new Promise((r) => setTimeout(r, 50))
  result = await peers[0].pubsub.publish(TOPIC, new TextEncoder().encode('hello from a hand-built stack'))
} while (result.outcome !== 'sent' && Date.now() < deadline)
console.log(`alpha  published (${result.outcome}, ${result.peers} neighbour(s))`)
let timer
const got = await Promise.race([Promise.all(receivers), new Promise((r) => { timer = setTimeout(() => r(undefined), 10_000) })])
clearTimeout(timer)

for (const p of peers) {
  p.pubsub.stop()
  await p.membership.stop()
  await p.transport.close()
}
if (got === undefined) {
  console.log('FAIL: the broadcast did not reach every peer')
  process.exit(1)
}
console.log('compose done')
