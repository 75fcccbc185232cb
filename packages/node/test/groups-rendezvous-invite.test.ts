/**
 * Inviting a peer known only by its PeerId (SPEC.md 10.3): three nodes on the in-memory carrier. C
 * joins the overlay through the rendezvous server S, which registers C's key-package record; B is
 * connected to S alone, outside the overlay, so it has no connection to C and no address for it.
 * B's invitation finds C through the record, dials it, fetches its key package and sends the
 * Welcome, from which C joins; a node that provides no record stays out of reach.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { createNode, type SaorsaNode, type SaorsaNodeInit } from '../src/node.ts'
import { keyPackageTarget } from '../src/groups-rendezvous.ts'

const running: SaorsaNode[] = []
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
})

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('group invite through rendezvous', () => {
  it('invites a peer the inviter has no address for, found through its key-package record', async () => {
    const net = createMemoryNetwork()
    const start = async (name: string, init: SaorsaNodeInit): Promise<SaorsaNode> => {
      const node = createNode({ carriers: [net.carrier()], listen: [`mem://${name}`], preset: 'local', ...init })
      await node.start()
      running.push(node)
      return node
    }
    const server = await start('kp-server', { rendezvous: { serve: true } })
    const servers = { rendezvousPeers: () => [server.peerId] }
    const invitee = await start('kp-invitee', { rendezvous: { servers } })
    const inviter = await start('kp-inviter', { rendezvous: { servers } })
    const hidden = await start('kp-hidden', { rendezvous: { servers }, groups: { provideKeyPackages: false } })
    await invitee.join(server.listenAddrs())
    await hidden.join(server.listenAddrs())
    // Outside the overlay: a plain connection to the server, so only rendezvous can tell it where C is.
    await inviter.connect(server.listenAddrs()[0]!)
    await until("the invitee's record to reach the server", () => server.rendezvous.core.store.live(keyPackageTarget(invitee.peerId), Date.now()).length === 1)
    expect(server.rendezvous.core.store.live(keyPackageTarget(invitee.peerId), Date.now())[0]!.signed.summary.addressHints).toEqual(invitee.listenAddrs())

    const probe = { name: '/saorsa-gossip/test/probe/1', streamClass: 'pubsub' as const }
    await expect(inviter.send(invitee.peerId, probe, new Uint8Array(1))).rejects.toMatchObject({ name: 'NoRouteError' })

    const groupId = await inviter.groups.create()
    await inviter.groups.invite(groupId, invitee.peerId, { signal: AbortSignal.timeout(20_000) })
    await until('the invitee to join from its Welcome', () => invitee.groups.list().length === 1)
    expect(invitee.groups.members(groupId).map((m) => m.peerId.toHex()).sort()).toEqual([inviter.peerId.toHex(), invitee.peerId.toHex()].sort())

    // A node that does not provide its record cannot be invited by PeerId alone.
    await expect(inviter.groups.invite(groupId, hidden.peerId, { signal: AbortSignal.timeout(20_000) }))
      .rejects.toMatchObject({ name: 'NoRouteError', message: /no key-package record of it through rendezvous led to it/ })
  }, 60_000)
})
