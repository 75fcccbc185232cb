/**
 * The node's presence service over the in-memory carrier (real layers, real coordinator FOAF): three
 * members of a shared-secret group see each other online, a clean stop shows offline at once, an
 * outsider with another secret sees nobody, and the outsider finds a member's addresses through
 * FIND_USER over friends of friends. Waits are bounded polls.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { sharedSecretGroup } from '@saorsa-gossip/presence'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { presenceMethods } from '../src/control/methods/presence.ts'
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

const onlineIn = (node: SaorsaNode, group: string): string[] => node.presence.online(group).map((m) => m.peer.toHex()).sort()

describe('node presence', () => {
  it('members see each other online and a stopped one offline; an outsider sees nobody yet finds a member through FOAF', async () => {
    const net = createMemoryNetwork()
    const make = async (name: string) => {
      const node = createNode({ carriers: [net.carrier()], listen: [`mem://presence-${name}`], preset: 'local' })
      expect(() => node.presence).toThrow(expect.objectContaining({ name: 'NotStartedError' }))
      await node.start()
      running.push(node)
      return node
    }
    const [a, b, c, outsider] = [await make('a'), await make('b'), await make('c'), await make('outsider')]
    for (const n of [b, c, outsider]) await n.join(a.listenAddrs())
    const secret = new Uint8Array(32).fill(7)
    for (const n of [a, b, c]) {
      await n.presence.addGroup('team', sharedSecretGroup(secret))
      n.presence.announce('team')
    }
    await outsider.presence.addGroup('team', sharedSecretGroup(new Uint8Array(32).fill(8)))
    outsider.presence.announce('team')

    const others = (n: SaorsaNode) => [a, b, c].filter((m) => m !== n).map((m) => m.peerId.toHex()).sort()
    for (const n of [a, b, c]) await until(`${n.peerId.toShortString()} to see the others`, () => onlineIn(n, 'team').join() === others(n).join())
    expect(a.presence.online('team').find((m) => m.peer.equals(b.peerId))?.addrs).toEqual(b.listenAddrs())

    const found = await outsider.presence.find(c.peerId, { signal: AbortSignal.timeout(10_000) })
    expect(found).toMatchObject({ via: 'foaf', addrs: c.listenAddrs(), status: 'online' })
    expect(onlineIn(outsider, 'team')).toEqual([])

    const left: string[] = []
    a.presence.addEventListener('member:offline', (e) => left.push((e as CustomEvent<{ reason: string }>).detail.reason))
    // A node that stops sends its offline beacon while the overlay still carries it: c shows offline
    // at once, not after the TTL.
    await c.stop()
    running.splice(running.indexOf(c), 1)
    await until('c to show offline', () => onlineIn(a, 'team').join() === [b.peerId.toHex()].join(), 2_000)
    expect(left).toEqual(['left'])
    expect(outsider.presence.metrics().drops['not-member'] + outsider.presence.metrics().drops['undecryptable']).toBe(0)
  })

  it('its control methods refuse bad parameters by name before touching the node', () => {
    const methods = presenceMethods({} as SaorsaNode)
    const refused = (method: string, params: Record<string, unknown>): string => {
      try {
        methods[method]!.parse(params, 7)
      } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`
      }
      return 'accepted'
    }
    expect(refused('presence.start', { group: 'team', secret: 'ab'.repeat(32) })).toBe('accepted')
    expect(refused('presence.start', { group: 'team', secret: 'AB'.repeat(32) })).toMatch(/^BadRequest: params\.secret/)
    expect(refused('presence.start', { group: '' })).toMatch(/^BadRequest: params\.group/)
    expect(refused('presence.start', { group: 'x'.repeat(129) })).toMatch(/^BadRequest: params\.group/)
    expect(refused('presence.start', { group: 'team', status: 'offline' })).toMatch(/^BadRequest: params\.status/)
    expect(refused('presence.stop', { group: 'team', extra: 1 })).toMatch(/^BadRequest: unknown parameter 'extra'/)
    expect(refused('presence.find', { peerId: 'ab'.repeat(31) })).toMatch(/^BadRequest: params\.peerId/)
    expect(refused('presence.find', { peerId: 'ab'.repeat(32), timeoutMs: 0 })).toMatch(/^BadRequest: params\.timeoutMs/)
    expect(refused('presence.online', {})).toBe('accepted')
  })
})
