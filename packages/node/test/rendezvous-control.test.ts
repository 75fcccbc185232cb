/**
 * The `rendezvous.*` control methods (SPEC.md section 11.7) on one node over the in-memory carrier:
 * parameters are checked at the socket's boundary, naming the one refused, and a provide, the list,
 * a local seek and a withdrawal go through the node's rendezvous service.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { toHex } from '@saorsa-gossip/types'
import { targetFromName } from '@saorsa-gossip/rendezvous'
import { keyPackageTarget } from '../src/groups-rendezvous.ts'
import { rendezvousMethods } from '../src/control/methods/rendezvous.ts'
import { layerControlMethods } from '../src/control/methods/index.ts'
import { createNode, type SaorsaNode } from '../src/node.ts'

const running: SaorsaNode[] = []
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
})

describe('rendezvous control methods', () => {
  const methods = rendezvousMethods({} as never)
  const parse = (name: string, params: Record<string, unknown>) => () => methods[name]!.parse(params, 1)

  it('refuse bad parameters naming them', () => {
    expect(parse('rendezvous.provide', {})).toThrow(/params\.target/)
    expect(parse('rendezvous.provide', { target: 'x'.repeat(1_025) })).toThrow(/params\.target/)
    expect(parse('rendezvous.provide', { target: 'a', capabilities: ['SITE', 'SITE'] })).toThrow(/params\.capabilities/)
    expect(parse('rendezvous.provide', { target: 'a', capabilities: ['WEB'] })).toThrow(/params\.capabilities/)
    expect(parse('rendezvous.provide', { target: 'a', addrs: Array.from({ length: 9 }, () => 'tcp://1.2.3.4:5') })).toThrow(/params\.addrs/)
    expect(parse('rendezvous.provide', { target: 'a', lifetimeMs: 999 })).toThrow(/params\.lifetimeMs/)
    expect(parse('rendezvous.provide', { target: 'a', extra: 1 })).toThrow(/'extra'/)
    expect(parse('rendezvous.seek', { target: 'a', limit: 1_001 })).toThrow(/params\.limit/)
    expect(parse('rendezvous.seek', { target: 'a', capability: 'WEB' })).toThrow(/params\.capability/)
    expect(parse('rendezvous.providing', { target: 'a' })).toThrow(/'target'/)
    expect(parse('rendezvous.seek', { target: 'a', follow: 'yes' })).toThrow(/params\.follow/)
    expect(methods['rendezvous.seek']!.parse({ target: 'a' }, 1)).toEqual({ target: 'a', limit: 20, follow: false, connect: false })
    // Declared once and well named among every layer's methods.
    expect([...layerControlMethods({} as never).keys()].filter((m) => m.startsWith('rendezvous.')).sort())
      .toEqual(['rendezvous.providing', 'rendezvous.provide', 'rendezvous.seek', 'rendezvous.status', 'rendezvous.withdraw'].sort())
  })

  it('provide, list, seek and withdraw through the node', async () => {
    const net = createMemoryNetwork()
    const node = createNode({ carriers: [net.carrier()], listen: ['mem://rv-control'], preset: 'local' })
    await node.start()
    running.push(node)
    const m = rendezvousMethods(node)
    const call = async (name: string, params: Record<string, unknown>) => m[name]!.run!(m[name]!.parse(params, 1), AbortSignal.timeout(5_000))
    const seek = async (target: string) => {
      const out: unknown[] = []
      for await (const p of m['rendezvous.seek']!.stream!(m['rendezvous.seek']!.parse({ target }, 1), AbortSignal.timeout(5_000))) out.push(p)
      return out
    }
    const hex = toHex(targetFromName('notes.example'))
    const provided = await call('rendezvous.provide', { target: 'notes.example', capabilities: ['DOC'] }) as Record<string, unknown>
    expect(provided).toMatchObject({ target: hex, provider: node.peerId.toHex(), capabilities: ['DOC'], addressHints: ['mem://rv-control'] })
    // Beside it, the node's key-package record (SPEC.md 10.3), provided since the node started.
    const keyPackages = { target: toHex(keyPackageTarget(node.peerId)), name: `saorsa-gossip/key-package/v1/${node.peerId.toHex()}`, shard: expect.any(Number) }
    expect(await call('rendezvous.providing', {})).toEqual(expect.arrayContaining([{ target: hex, name: 'notes.example', shard: provided.shard }, keyPackages]))
    expect(await call('rendezvous.providing', {})).toHaveLength(2)
    // The node's own store answers its seek at once (no server is known).
    expect(await seek(hex)).toMatchObject([{ provider: node.peerId.toHex(), target: hex }])
    expect(await call('rendezvous.withdraw', { target: 'notes.example' })).toEqual({ target: hex, withdrawn: true })
    expect(await call('rendezvous.withdraw', { target: 'notes.example' })).toEqual({ target: hex, withdrawn: false })
    expect(await seek('notes.example')).toEqual([])
    expect(await call('rendezvous.providing', {})).toEqual([keyPackages])
    expect(await call('rendezvous.status', {})).toMatchObject({ providing: 1, stored: 2 })
  })
})
