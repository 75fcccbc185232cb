/**
 * Demo step: finding the network without a fixed list (SPEC.md section 9). A coordinator publishes a
 * signed advert; two nodes that joined through it verify and cache the advert; one of them restarts
 * with no bootstrap address and no peer cache and rejoins through the coordinator it cached.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Identity } from '@saorsa-gossip/identity'
import { createNode } from '@saorsa-gossip/node'

export const name = 'coordinator'
export const title = 'Coordinator: signed adverts, cached, and a rejoin without a bootstrap list'

async function until(what, probe, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function run({ check, log, home }) {
  const nodes = []
  const start = async (init) => {
    const node = createNode({ preset: 'local', ...init })
    nodes.push(node)
    await node.start()
    return node
  }
  try {
    const coordinator = await start({ home: join(home, 'coordinator'), coordinator: { roles: ['coordinator', 'rendezvous'] }, rendezvous: { serve: true } })
    const contact = coordinator.listenAddrs()
    log(`coordinator ${coordinator.peerId.toShortString()} at ${contact[0]}, advert of ${coordinator.coordinator.publishedAdvertBytes} bytes`)
    const aliceId = Identity.generate()
    const aliceHome = join(home, 'alice')
    let alice = await start({ home: aliceHome, identity: aliceId })
    const bob = await start({ home: join(home, 'bob') })
    await alice.join(contact)
    await bob.join(contact)
    for (const [who, node] of [['alice', alice], ['bob', bob]]) {
      const [advert] = await until(`${who} to cache the advert`, () => node.coordinator.coordinators().length > 0 && node.coordinator.coordinators())
      check(`${who} verified and cached the coordinator's advert (roles ${advert.advert.roles.join(', ')})`, advert.advert.peerId.equals(coordinator.peerId))
    }
    check('the advert names the coordinator as a rendezvous server', alice.coordinator.adverts({ role: 'rendezvous' }).some((e) => e.advert.peerId.equals(coordinator.peerId)))

    await alice.stop()
    await rm(join(aliceHome, 'peers.cbor'), { force: true })
    log('alice restarts with no bootstrap address and no peer cache')
    alice = await start({ home: aliceHome, identity: aliceId })
    check('the advert cache survived the restart', alice.coordinator.coordinators().some((e) => e.advert.peerId.equals(coordinator.peerId)))
    const joined = await alice.join([])
    log(`joined through ${joined.contacted} cached contact(s), ${joined.activePeers} neighbour(s)`)
    check('alice rejoined through the cached coordinator', joined.activePeers >= 1 && alice.peers().some((p) => p.peerId === coordinator.peerId.toHex()))
  } finally {
    for (const node of nodes.reverse()) await node.stop().catch(() => {})
  }
}
