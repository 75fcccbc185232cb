/**
 * The node's coordinator service over the in-memory carrier (real layers): a node holding the
 * `coordinator` and `rendezvous` roles publishes its advert; the other nodes verify and cache it and,
 * with no servers named by the application, use its publisher as their rendezvous server.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { targetFromName } from '@saorsa-gossip/rendezvous'
import { createNode, type SaorsaNode } from '../src/node.ts'

const running: SaorsaNode[] = []
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
})

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('node coordinator', () => {
  it('caches a verified advert and takes rendezvous servers from the adverts holding that role', async () => {
    const net = createMemoryNetwork()
    const make = async (name: string, init: Parameters<typeof createNode>[0] = {}) => {
      const node = createNode({ carriers: [net.carrier()], listen: [`mem://co-${name}`], preset: 'local', ...init })
      expect(() => node.coordinator).toThrow(expect.objectContaining({ name: 'NotStartedError' }))
      await node.start()
      running.push(node)
      return node
    }
    const server = await make('server', { coordinator: { roles: ['coordinator', 'rendezvous'], nat: 'eim' }, rendezvous: { serve: true } })
    const provider = await make('provider')
    const seeker = await make('seeker')
    expect(server.coordinator.publishedAdvertBytes).toBeGreaterThan(4_000)
    await provider.join(server.listenAddrs())
    await seeker.join(server.listenAddrs())
    for (const node of [provider, seeker]) {
      const [advert] = await until('the advert to be cached', () => node.coordinator.coordinators().length > 0 && node.coordinator.coordinators())
      expect(advert!.advert).toMatchObject({ roles: ['coordinator', 'rendezvous'], nat: 'eim', addresses: server.listenAddrs() })
      expect(advert!.advert.peerId.equals(server.peerId)).toBe(true)
    }
    // The coordinator's own topics are not the application's.
    expect(provider.topics()).toEqual([])

    provider.rendezvous.provide('maps.example', { capabilities: ['SITE'], addressHints: provider.listenAddrs() })
    const found = await (async () => {
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        for await (const p of seeker.rendezvous.seek('maps.example', { capability: 'SITE', signal: AbortSignal.timeout(5_000) })) return p
        await new Promise((r) => setTimeout(r, 20))
      }
      return undefined
    })()
    expect(found?.provider.equals(provider.peerId)).toBe(true)
    // One summary for the target, beside the nodes' key-package records (SPEC.md 10.3).
    expect(server.rendezvous.core.store.live(targetFromName('maps.example'), Date.now())).toHaveLength(1)
  })
})
