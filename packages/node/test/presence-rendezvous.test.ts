/**
 * FIND_USER's rendezvous fallback through the node (SPEC.md sections 11 and 13): a node started with
 * `presence.discoverable` provides its PeerId as an IDENTITY target; a seeker whose friends of friends
 * know nothing about it finds its addresses on the shard, and a node that is not discoverable stays
 * unfound.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { createNode, type SaorsaNode, type SaorsaNodeInit } from '../src/node.ts'

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

describe('FIND_USER through the rendezvous shard', () => {
  it('finds a discoverable node that no friend of a friend knows, and not an undiscoverable one', async () => {
    const net = createMemoryNetwork()
    const start = async (name: string, init: SaorsaNodeInit): Promise<SaorsaNode> => {
      const node = createNode({ carriers: [net.carrier()], listen: [`mem://${name}`], preset: 'local', ...init })
      await node.start()
      running.push(node)
      return node
    }
    const server = await start('rdv-server', { rendezvous: { serve: true } })
    const servers = { rendezvousPeers: () => [server.peerId] }
    const user = await start('rdv-user', { rendezvous: { servers }, presence: { discoverable: true } })
    const hidden = await start('rdv-hidden', { rendezvous: { servers } })
    const seeker = await start('rdv-seeker', { rendezvous: { servers } })
    for (const n of [user, hidden, seeker]) await n.join(server.listenAddrs())
    await until('neighbours', () => [user, hidden, seeker].every((n) => n.status().activePeers >= 1))

    let found: Awaited<ReturnType<SaorsaNode['presence']['find']>> | undefined
    const deadline = Date.now() + 30_000
    // The user's summary reaches the server as a one-way registration: ask until it is there.
    while (found === undefined && Date.now() < deadline) {
      found = await seeker.presence.find(user.peerId, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
    }
    expect(found).toMatchObject({ via: 'rendezvous', addrs: user.listenAddrs() })
    expect(found!.target.equals(user.peerId)).toBe(true)
    await expect(seeker.presence.find(hidden.peerId, { signal: AbortSignal.timeout(10_000) })).rejects.toMatchObject({ name: 'UserNotFoundError' })
  }, 90_000)
})
