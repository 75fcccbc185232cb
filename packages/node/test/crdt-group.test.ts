/**
 * A document bound to one of the node's MLS groups (SPEC.md section 12.7) through the node: members
 * converge, a node outside the group sees nothing, and a restarted member reopens the document in its
 * group from the manifest in its home.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createMemoryNetwork } from '@saorsa-gossip/transport'
import { createNode, type SaorsaNode } from '../src/node.ts'
import { crdtGroupOf } from '../src/crdt.ts'
import type { MapDoc } from '@saorsa-gossip/crdt-sync'

const running: SaorsaNode[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('a crdt document bound to a node group', () => {
  it('converges between members, stays unreadable to an outsider, and reopens in its group after a restart', async () => {
    const net = createMemoryNetwork()
    const home = await mkdtemp(join(tmpdir(), 'sg-crdt-group-'))
    dirs.push(home)
    // The member that restarts keeps its identity, as a daemon does through its keystore: its group state is sealed under it.
    const identity = Identity.generate({ backend: await loadMlDsa65Backend() })
    const start = async (i: number, withHome = false): Promise<SaorsaNode> => {
      const node = createNode({ carriers: [net.carrier()], listen: [`mem://crdt-group-${i}`], preset: 'local', ...(withHome ? { home, identity } : {}) })
      await node.start()
      running.push(node)
      return node
    }
    const [a, b, outsider] = [await start(0, true), await start(1), await start(2)]
    await b.join(a.listenAddrs())
    await outsider.join(a.listenAddrs())
    await until('neighbours', () => a.status().activePeers >= 1 && b.status().activePeers >= 1 && outsider.status().activePeers >= 1)
    const groupId = await a.groups.create()
    await a.groups.invite(groupId, b.peerId)
    await until('b to join the group', () => b.groups.list().length === 1)

    const docA = await a.crdt.open('plans', { type: 'map', group: crdtGroupOf(a.groups, groupId) })
    const docB = await b.crdt.open('plans', { type: 'map', group: crdtGroupOf(b.groups, groupId) })
    const docOut = await outsider.crdt.open('plans', { type: 'map' })
    docA.doc.set('where', 'harbour')
    await until('b to read the edit', () => docB.doc.get('where') === 'harbour')
    docB.doc.set('when', 'noon')
    await until('a to read b\'s edit', () => docA.doc.get('when') === 'noon')
    await docA.flushed()
    expect(docOut.doc.get('where')).toBeUndefined()

    // A restarts from its home: the manifest names the group, so the document is reopened keyed by it.
    await a.stop()
    running.splice(running.indexOf(a), 1)
    const again = await start(0, true)
    await again.join(b.listenAddrs())
    const reopened = again.crdt.replica('plans') as { doc: MapDoc } | undefined
    expect(reopened?.doc.get('where')).toBe('harbour')
    docB.doc.set('who', 'everyone')
    await until('the restarted member to read a new edit', () => (again.crdt.replica('plans')?.doc as MapDoc | undefined)?.get('who') === 'everyone', 30_000)
    expect(docOut.doc.get('who')).toBeUndefined()
  }, 90_000)
})
