/**
 * NAT traversal wired into the node over loopback TCP: two reflector nodes (127.0.0.1 and 127.0.0.2)
 * and a relay; a client node learns its reflexive address and NAT class, holds a reservation, puts
 * its relayed address first in what it announces, and is reached through the relay by a third node.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.ts'
import { EXIT } from '../src/cli/exit-codes.ts'
import { createNode, type SaorsaNode } from '../src/node.ts'

const running: SaorsaNode[] = []
afterEach(async () => { for (const n of running.splice(0)) await n.stop() })

async function started(init: Parameters<typeof createNode>[0]): Promise<SaorsaNode> {
  const node = createNode({ preset: 'local', ...init })
  await node.start()
  running.push(node)
  return node
}

describe('node NAT traversal', () => {
  it('learns its address from two reflectors, reserves at a relay and is reached through it', async () => {
    const relay = await started({ listen: ['tcp://127.0.0.1:0'], nat: { roles: ['reflector', 'relay'] } })
    const second = await started({ listen: ['tcp://127.0.0.2:0'], nat: { roles: ['reflector'] } })
    const relayAddr = relay.listenAddrs()[0]!
    const client = await started({ listen: ['tcp://127.0.0.1:0'], nat: { reflectors: [relayAddr, second.listenAddrs()[0]!], relays: [relayAddr] } })
    const status = client.status().nat!
    expect(status.nat).toBe('eim')
    expect(status.reflexiveAddr).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
    expect(status.relayedAddrs).toEqual([`circuit://${relay.peerId.toHex()}/${client.peerId.toHex()}/${relayAddr}`])
    // 127.0.0.1 is one of our interfaces: no NAT, so the listener is announced there, not the probe port.
    expect(status.behindNat).toBe(false)
    expect(client.nat.addresses()).toEqual([status.relayedAddrs[0], client.listenAddrs().find((a) => a.startsWith('tcp://'))])
    expect(relay.status().nat?.relay).toMatchObject({ reservations: 1, circuits: 0 })
    expect(relay.status().nat?.roles).toEqual(['reflector', 'relay'])

    // A third node joins through the client's relayed address alone: the overlay forms across the circuit.
    const third = await started({ listen: ['tcp://127.0.0.1:0'] })
    const joined = await third.join([status.relayedAddrs[0]!])
    expect(joined.activePeers).toBeGreaterThanOrEqual(1)
    const path = third.status().nat!.peers.find((p) => p.peerId === client.peerId.toHex())
    expect(path?.path).toBe('relayed')
    expect(relay.status().nat?.relay?.circuits).toBeGreaterThanOrEqual(1)
  })

  it('refuses an unknown role at createNode', () => {
    expect(() => createNode({ nat: { roles: ['turn' as 'relay'] } })).toThrow(/unknown role "turn"/)
  })

  it('refuses an unknown role on the command line before touching any identity', async () => {
    const home = await mkdtemp(join(tmpdir(), 'saorsa-nat-cli-'))
    try {
      const stderr = new PassThrough()
      let err = ''
      stderr.on('data', (d) => { err += d })
      const io = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, interrupt: new AbortController().signal }
      const code = await main(['--home', home, 'network', 'join', '--roles', 'reflector,turn', '--bind', 'tcp://127.0.0.1:0'], io)
      expect(code).toBe(EXIT.usage)
      expect(err).toMatch(/--roles: unknown role 'turn' \(expected reflector, relay\)/)
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })
})
