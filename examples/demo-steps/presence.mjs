/**
 * Demo step: presence on full nodes (`node.presence`) over loopback TCP. Three nodes share a group
 * keyed by a 32-byte secret and each lists the other two online; a fourth node on the same overlay,
 * holding another secret, cannot even find their beacon topics and reads nobody, yet finds a
 * member's address through FIND_USER over friends of friends; a member stopping cleanly shows
 * offline at once.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createNode } from '@saorsa-gossip/node'
import { sharedSecretGroup } from '@saorsa-gossip/presence'

export const name = 'presence'
export const title = 'Presence: who is online in a group, unreadable to others, and FIND_USER'

async function until(probe, ms) {
  const deadline = Date.now() + ms
  while (!probe() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  return probe()
}

export async function run({ check, log, home }) {
  const labels = ['ann', 'bo', 'cy', 'outsider']
  const nodes = []
  try {
    for (const label of labels) {
      const node = createNode({ home: join(home, `presence-${label}`), listen: ['tcp://127.0.0.1:0'], preset: 'local' })
      await node.start()
      nodes.push(node)
    }
    for (const node of nodes.slice(1)) await node.join(nodes[0].listenAddrs(), { signal: AbortSignal.timeout(10_000) })
    const nameOf = (peer) => labels[nodes.findIndex((n) => n.peerId.equals(peer))] ?? peer.toShortString()
    const members = nodes.slice(0, 3)
    const outsider = nodes[3]

    const secret = randomBytes(32)
    for (const node of members) {
      await node.presence.addGroup('team', sharedSecretGroup(secret))
      node.presence.announce('team')
    }
    await outsider.presence.addGroup('team', sharedSecretGroup(randomBytes(32)))
    outsider.presence.announce('team')

    const started = Date.now()
    const allSeen = await until(() => members.every((n) => n.presence.online('team').length === 2), 15_000)
    for (const node of members) {
      log(`${nameOf(node.peerId).padEnd(8)} sees online: ${node.presence.online('team').map((m) => `${nameOf(m.peer)} (${m.status}, ${m.addrs[0]})`).join(', ')}`)
    }
    check(`each member lists the other two online (after ${Date.now() - started} ms)`, allSeen)

    const drops = outsider.presence.metrics().drops
    check(`the outsider, another secret on the same overlay, reads nobody (online: ${outsider.presence.online('team').length})`,
      outsider.presence.online('team').length === 0)
    log(`outsider: ${drops.undecryptable} undecryptable beacons, none delivered (the members' topics derive from a secret it lacks)`)

    const found = await outsider.presence.find(members[2].peerId, { signal: AbortSignal.timeout(15_000) })
    log(`outsider FIND_USER ${nameOf(members[2].peerId)}: ${found.status} at ${found.addrs.join(' ')} (via ${found.via})`)
    check('the outsider finds a member\'s address through friends of friends, sealed to it',
      found.via === 'foaf' && found.addrs[0] === members[2].listenAddrs()[0])

    const offline = []
    members[0].presence.addEventListener('member:offline', (e) => offline.push(`${nameOf(e.detail.member)} (${e.detail.reason})`))
    const stopAt = Date.now()
    await members[2].presence.stop()
    const gone = await until(() => members.slice(0, 2).every((n) => n.presence.online('team').length === 1), 5_000)
    log(`${nameOf(members[0].peerId)} saw offline: ${offline.join(', ')}`)
    check(`a member that stops cleanly shows offline at once (${Date.now() - stopAt} ms)`, gone && offline.length === 1)
  } finally {
    for (const node of nodes) await node.stop().catch(() => undefined)
  }
}
