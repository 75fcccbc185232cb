/**
 * The node's rendezvous service over the in-memory carrier (real layers): a serving node, a
 * provider and a seeker; the seeker finds the provider through the server and reaches it with a
 * direct request at the PeerId the summary names. Waits are bounded polls.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { targetFromName } from '@saorsa-gossip/rendezvous'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { toHex } from '@saorsa-gossip/types'
import { keyPackageTarget } from '../src/groups-rendezvous.ts'
import { createNode, type SaorsaNode } from '../src/node.ts'

const PING = { name: '/test/rv-ping/1', streamClass: 'pubsub' } as const
const running: SaorsaNode[] = []
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
})

describe('node rendezvous', () => {
  it('a seeker finds a provider through a serving node and reaches it; the service refuses use while stopped', async () => {
    const net = createMemoryNetwork()
    const make = async (name: string, serve: boolean) => {
      const node = createNode({ carriers: [net.carrier()], listen: [`mem://rv-${name}`], preset: 'local', rendezvous: { serve } })
      expect(() => node.rendezvous).toThrow(expect.objectContaining({ name: 'NotStartedError' }))
      await node.start()
      running.push(node)
      return node
    }
    const server = await make('server', true)
    const provider = await make('provider', false)
    const seeker = await make('seeker', false)
    await provider.join(server.listenAddrs())
    await seeker.join(server.listenAddrs())
    for (const n of [server, provider, seeker]) n.rendezvous.setServers([server.peerId])
    provider.handle(PING, () => new TextEncoder().encode('pong'))

    provider.rendezvous.provide('docs.example', { capabilities: ['DOC'], addressHints: provider.listenAddrs() })
    const deadline = Date.now() + 10_000
    let found
    while (found === undefined && Date.now() < deadline) {
      for await (const p of seeker.rendezvous.seek('docs.example', { capability: 'DOC', signal: AbortSignal.timeout(5_000) })) {
        found = p
        break
      }
      if (found === undefined) await new Promise((r) => setTimeout(r, 20))
    }
    expect(found?.provider.equals(provider.peerId)).toBe(true)
    expect(found?.addressHints).toEqual(provider.listenAddrs())
    const reply = await seeker.request(found!.provider, PING, new Uint8Array(0), { timeoutMs: 5_000 })
    expect(new TextDecoder().decode(reply)).toBe('pong')
    // The server keeps this one summary for the target, beside the nodes' key-package records (SPEC.md 10.3).
    expect(server.rendezvous.core.store.live(targetFromName('docs.example'), Date.now())).toHaveLength(1)
    const others = [...server.rendezvous.core.store.liveEntries(Date.now())].map((e) => e.signed.summary).filter((r) => !r.capabilities.includes('DOC'))
    for (const r of others) expect(toHex(r.target)).toBe(toHex(keyPackageTarget(r.provider)))
  })
})
