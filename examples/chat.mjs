#!/usr/bin/env node
/**
 * Minimal two-node chat over loopback TCP with the post-quantum channel: alice listens, bob joins
 * through her address, both subscribe to one topic and exchange signed messages. Each side prints
 * what it receives with the verified author and hop count. Exits 0 once both lines arrived.
 */
import { createNode } from '@saorsa-gossip/node'

const TOPIC = 'chat/lobby'
const text = (bytes) => new TextDecoder().decode(bytes)
const withTimeout = (ms) => AbortSignal.timeout(ms)

const alice = createNode({ listen: ['tcp://127.0.0.1:0'], preset: 'local' })
const bob = createNode({ listen: ['tcp://127.0.0.1:0'], preset: 'local' })
await alice.start()
await bob.start()
console.log(`alice ${alice.peerId.toShortString()} listening on ${alice.listenAddrs()[0]}`)
const joined = await bob.join(alice.listenAddrs(), { signal: withTimeout(10_000) })
console.log(`bob   ${bob.peerId.toShortString()} joined (${joined.activePeers} neighbour)`)

const aliceInbox = alice.subscribe(TOPIC)
const bobInbox = bob.subscribe(TOPIC)
// Read one message at a time without ending the subscription (a `for await` that returns early
// would unsubscribe).
const firstMessage = async (inbox, who) => {
  const { value: m } = await inbox[Symbol.asyncIterator]().next()
  console.log(`${who} received "${text(m.payload)}" from ${m.origin.toShortString()} (${m.hops} hop, signature verified)`)
  return m
}
const bobGot = firstMessage(bobInbox, 'bob  ')
const aliceGot = firstMessage(aliceInbox, 'alice')

// Publishing before the neighbour has learnt about the subscription is answered by the pubsub layer
// (it announces subscriptions on connect); retry briefly until a neighbour takes the message.
async function say(node, line) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const r = await node.publish(TOPIC, new TextEncoder().encode(line))
    if (r.sentTo > 0 || Date.now() > deadline) return r
    await new Promise((res) => setTimeout(res, 100))
  }
}
await say(alice, 'hi bob, this is alice')
await bobGot
await say(bob, 'hello alice, bob here')
await aliceGot

aliceInbox.unsubscribe()
bobInbox.unsubscribe()
await bob.stop()
await alice.stop()
console.log('chat done')
