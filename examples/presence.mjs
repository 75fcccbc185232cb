#!/usr/bin/env node
/**
 * Presence over a hand-composed stack: four peers (identity + in-memory transport + membership +
 * pubsub), three of them in one group. Each member announces itself; every member lists the other
 * two as online; one stops cleanly and the others see it offline at once; the fourth peer, on the
 * same overlay and relaying pubsub, holds a guessed group secret and sees nobody. A shared 32-byte
 * secret stands in for the MLS exporter of @saorsa-gossip/groups (any `{ epoch, exportSecret,
 * members }` object is a group to presence).
 */
import { randomBytes } from 'node:crypto'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createMemoryNetwork, createTransport } from '@saorsa-gossip/transport'
import { MEMBERSHIP_LOCAL, createMembership } from '@saorsa-gossip/membership'
import { PUBSUB_LOCAL, createPubSub } from '@saorsa-gossip/pubsub'
import { PRESENCE_LOCAL, createPresence } from '@saorsa-gossip/presence'

const backend = await loadMlDsa65Backend()
const network = createMemoryNetwork()
const groupSecret = randomBytes(32)

async function buildPeer(name) {
  const identity = Identity.generate({ backend })
  const transport = createTransport({ identity, carriers: [network.carrier()], backend })
  const addr = await transport.listen(`mem://${name}`)
  const membership = createMembership({ transport, config: MEMBERSHIP_LOCAL })
  const pubsub = createPubSub({ config: PUBSUB_LOCAL }, { transport, identity, backend, membership })
  await membership.start()
  pubsub.start()
  const presence = createPresence({ config: PRESENCE_LOCAL, addrs: [addr] }, { peerId: identity.peerId, pubsub })
  presence.start()
  return { name, identity, transport, membership, pubsub, presence, addr }
}

const peers = [await buildPeer('alpha'), await buildPeer('beta'), await buildPeer('gamma'), await buildPeer('delta')]
for (let i = 1; i < peers.length; i++) await peers[i].membership.join([peers[i - 1].addr], { signal: AbortSignal.timeout(10_000) })
const members = peers.slice(0, 3)
const roster = members.map((p) => p.identity.peerId)
const group = (secret) => ({ epoch: 1, exportSecret: () => secret, members: () => roster })
for (const p of members) await p.presence.addGroup('friends', group(groupSecret))
await peers[3].presence.addGroup('friends', group(randomBytes(32)))
for (const p of members) {
  p.presence.addEventListener('member:offline', (e) => console.log(`${p.name.padEnd(6)} sees ${nameOf(e.detail.member)} offline (${e.detail.reason})`))
  p.presence.announce('friends')
}
const nameOf = (id) => peers.find((p) => p.identity.peerId.equals(id))?.name ?? id.toShortString()

async function until(check, ms) {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  return check()
}

const started = Date.now()
const allSeen = await until(() => members.every((p) => p.presence.online('friends').length === 2), 15_000)
for (const p of members) {
  console.log(`${p.name.padEnd(6)} online: ${p.presence.online('friends').map((m) => `${nameOf(m.peer)} (${m.status}, ${m.addrs[0]})`).join(', ')}`)
}
console.log(`every member saw the other two after ${Date.now() - started} ms`)

await members[2].presence.stop()
const offlineSeen = await until(() => members.slice(0, 2).every((p) => p.presence.online('friends').length === 1), 5_000)
console.log(`delta (guessed secret) sees ${peers[3].presence.online('friends').length} member(s); drops ${JSON.stringify(peers[3].presence.metrics().drops)}`)
const outsiderBlind = peers[3].presence.online('friends').length === 0

for (const p of peers) {
  await p.presence.stop()
  p.pubsub.stop()
  await p.membership.stop()
  await p.transport.close()
}
if (!allSeen || !offlineSeen || !outsiderBlind) {
  console.log(`FAIL: ${JSON.stringify({ allSeen, offlineSeen, outsiderBlind })}`)
  process.exit(1)
}
console.log('presence done')
