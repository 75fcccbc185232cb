/**
 * Demo step: find a provider without a DHT (SPEC.md section 11). Three full nodes over loopback TCP:
 * one holds the rendezvous role, one provides a target with its address, one seeks it, gets a
 * verified summary and reaches the provider by the PeerId the summary names. Then the provider
 * withdraws and the seek comes back empty, and a requester asking too fast is refused with a retry time.
 */
import { join } from 'node:path'
import { createNode } from '@saorsa-gossip/node'
import { decodeRendezvousMessage, encodeRendezvousMessage, RENDEZVOUS_PROTOCOL, targetFromName } from '@saorsa-gossip/rendezvous'

export const name = 'rendezvous'
export const title = 'Rendezvous: provide a target, seek it, reach the provider, withdraw'

const HELLO = { name: '/demo/hello/1', streamClass: 'pubsub' }
const TARGET = 'docs.example'

/** Every provider of the target the seek yields (it ends when the shard's server answered). */
async function seekAll(node, target) {
  const found = []
  for await (const p of node.rendezvous.seek(target, { capability: 'DOC', signal: AbortSignal.timeout(10_000) })) found.push(p)
  return found
}

/** Seeks until `done(found)` holds: a registration is a one-way message still on its way. */
async function seekUntil(node, target, done, deadlineMs = 10_000) {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const found = await seekAll(node, target)
    if (done(found) || Date.now() > deadline) return found
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function run({ check, log, home }) {
  const nodes = []
  const start = async (label, serve) => {
    const node = createNode({ home: join(home, label), listen: ['tcp://127.0.0.1:0'], preset: 'local', rendezvous: { serve } })
    await node.start()
    nodes.push(node)
    return node
  }
  try {
    const server = await start('server', true)
    const provider = await start('provider', false)
    const reader = await start('reader', false)
    await provider.join(server.listenAddrs())
    await reader.join(server.listenAddrs())
    // In a network the rendezvous servers come from coordinator adverts; here each node is told.
    for (const n of nodes) n.rendezvous.setServers([server.peerId])
    provider.handle(HELLO, () => new TextEncoder().encode(`hello from ${provider.peerId.toShortString()}`))

    const summary = provider.rendezvous.provide(TARGET, { capabilities: ['DOC'], addressHints: provider.listenAddrs() })
    log(`provider ${provider.peerId.toShortString()} provides ${TARGET} at ${summary.addressHints.join(', ')}`)
    const found = await seekUntil(reader, TARGET, (f) => f.length > 0)
    check('the reader finds exactly the provider through the rendezvous server', found.length === 1 && found[0].provider.equals(provider.peerId))
    check('the summary carries the provider\'s address', found[0]?.addressHints[0] === provider.listenAddrs()[0])
    if (found.length === 0) return
    const reply = await reader.request(found[0].provider, HELLO, new Uint8Array(0), { timeoutMs: 5_000 })
    log(`reader asked ${found[0].provider.toShortString()}: "${new TextDecoder().decode(reply)}"`)
    check('the provider answers at the PeerId the signed summary names', new TextDecoder().decode(reply).startsWith('hello from'))

    provider.rendezvous.unprovide(TARGET)
    const after = await seekUntil(reader, TARGET, (f) => f.length === 0)
    check('after the withdrawal the seek comes back empty', after.length === 0)
    check('the server holds the withdrawal, not the summary', server.rendezvous.core.store.live(targetFromName(TARGET), Date.now()).length === 0)

    // A requester asking pages faster than its share: the server answers its burst, then refuses
    // with the time its bucket needs (SPEC.md section 11.5.1) instead of doing the work.
    let answered = 0
    let refusal
    for (let queryId = 1; refusal === undefined && queryId <= 1_000; queryId++) {
      const query = encodeRendezvousMessage({ type: 'query', queryId, target: targetFromName(TARGET), limit: 8 })
      const response = decodeRendezvousMessage(await reader.request(server.peerId, RENDEZVOUS_PROTOCOL, query, { timeoutMs: 5_000 }))
      if (response.type === 'refused') refusal = response
      else answered++
    }
    log(`the server answered ${answered} pages, then: refused (${refusal?.why}), retry after ${refusal?.retryAfterMs} ms`)
    check('a requester over its share is refused with a retry time, after its burst', refusal?.why === 'rate' && answered > 0 && refusal.retryAfterMs > 0)
  } finally {
    for (const n of nodes.reverse()) await n.stop()
  }
}
