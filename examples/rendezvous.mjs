#!/usr/bin/env node
/**
 * Find a provider without a DHT: three peers over the in-memory carrier, each with membership,
 * pubsub and @saorsa-gossip/rendezvous. `server` holds the rendezvous role; `site` provides the
 * target "example.site" with its address; `reader` seeks it, gets a verified summary (signature,
 * key bound to PeerId, unexpired) and dials the provider at its hinted address, checking the PeerId.
 */
import { Identity, loadMlDsa65Backend, verifySignature } from '@saorsa-gossip/identity'
import { createMemoryNetwork, createTransport } from '@saorsa-gossip/transport'
import { MEMBERSHIP_LOCAL, createMembership } from '@saorsa-gossip/membership'
import { PUBSUB_LOCAL, createPubSub } from '@saorsa-gossip/pubsub'
import { RENDEZVOUS_LOCAL, createRendezvous } from '@saorsa-gossip/rendezvous'

const backend = await loadMlDsa65Backend()
const network = createMemoryNetwork()

async function buildPeer(name, serve) {
  const identity = Identity.generate({ backend })
  const transport = createTransport({ identity, carriers: [network.carrier()], backend })
  const addr = await transport.listen(`mem://${name}`)
  const membership = createMembership({ transport, config: MEMBERSHIP_LOCAL })
  const pubsub = createPubSub({ config: PUBSUB_LOCAL }, { transport, identity, backend, membership })
  const rendezvous = createRendezvous({ config: { ...RENDEZVOUS_LOCAL, serve } }, {
    identity, pubsub, transport,
    verify: (pk, domain, body, sig) => verifySignature(pk, domain, body, sig, backend),
  })
  await membership.start()
  pubsub.start()
  await rendezvous.start()
  return { name, identity, transport, membership, pubsub, rendezvous, addr }
}

const [server, site, reader] = [await buildPeer('server', true), await buildPeer('site', false), await buildPeer('reader', false)]
await site.membership.join([server.addr], { signal: AbortSignal.timeout(10_000) })
await reader.membership.join([server.addr], { signal: AbortSignal.timeout(10_000) })
// Who holds the rendezvous role comes from coordinator adverts in a full node; here it is known.
for (const p of [server, site, reader]) p.rendezvous.setServers([server.identity.peerId])

const summary = site.rendezvous.provide('example.site', { capabilities: ['SITE'], addressHints: [site.addr] })
console.log(`site   provides example.site as ${summary.provider.toShortString()} until ${new Date(summary.expiresAtMs).toISOString()}`)

let found
for (let attempt = 0; attempt < 50 && found === undefined; attempt++) {
  for await (const provider of reader.rendezvous.seek('example.site', { capability: 'SITE', signal: AbortSignal.timeout(5_000) })) {
    found = provider
    break
  }
  if (found === undefined) await new Promise((r) => setTimeout(r, 100)) // the registration is still on its way
}
if (found === undefined) {
  console.log('FAIL: no provider found')
  process.exit(1)
}
console.log(`reader found ${found.provider.toShortString()} (${found.capabilities.join(', ')}) at ${found.addressHints.join(', ')}`)
const connection = await reader.transport.dial(found.addressHints[0], { expectedPeer: found.provider, signal: AbortSignal.timeout(10_000) })
console.log(`reader dialled the provider: authenticated as ${connection.remotePeer.toShortString()}`)
const ok = connection.remotePeer.equals(site.identity.peerId)

for (const p of [site, reader, server]) {
  await p.rendezvous.stop()
  p.pubsub.stop()
  await p.membership.stop()
  await p.transport.close()
}
if (!ok) {
  console.log('FAIL: the provider is not who the summary said')
  process.exit(1)
}
console.log('rendezvous done')
