/**
 * Demo step: MLS groups on three nodes over loopback TCP. Alice creates a group on the post-quantum
 * suite 0xF165 and invites Bob and Carol (key packages fetched by direct request, Welcomes over bulk
 * streams); a group message reaches both; Bob is removed and cannot read what follows; Carol restarts
 * from her home and still reads the group. Last, Erin, outside the overlay with one connection to
 * Alice (the rendezvous server), invites Dave knowing only his PeerId: his key-package record on
 * rendezvous says where to ask (SPEC.md 10.3).
 */
import { join } from 'node:path'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { createNode } from '@saorsa-gossip/node'

export const name = 'groups'
export const title = 'MLS groups: invite, group-encrypted messages, removal, restart, invite through rendezvous'

const text = (s) => new TextEncoder().encode(s)
const hex = (b) => Buffer.from(b).toString('hex')

async function until(what, probe, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Resolves with the texts `node` reads on the group, as they arrive. */
function inbox(node) {
  const got = []
  node.groups.addEventListener('group:message', (e) => got.push(new TextDecoder().decode(e.detail.data)))
  return got
}

export async function run({ check, log, home }) {
  const backend = await loadMlDsa65Backend()
  const identities = Object.fromEntries(['alice', 'bob', 'carol', 'dave', 'erin'].map((who) => [who, Identity.generate({ backend })]))
  // Alice holds the rendezvous role; everyone registers and seeks there.
  const rendezvous = (who) => (who === 'alice' ? { serve: true } : { servers: { rendezvousPeers: () => [identities.alice.peerId] } })
  const start = async (who, bootstrap) => {
    const node = createNode({ identity: identities[who], home: join(home, who), preset: 'local', backend, rendezvous: rendezvous(who) })
    await node.start()
    if (bootstrap !== undefined) await node.join([bootstrap])
    return node
  }
  const alice = await start('alice')
  const bob = await start('bob', alice.listenAddrs()[0])
  let carol = await start('carol', alice.listenAddrs()[0])
  const extra = []
  try {
    const groupId = await alice.groups.create()
    log(`alice created group ${hex(groupId).slice(0, 16)} (suite 0xF165: ML-KEM-768, ML-DSA-65, ChaCha20-Poly1305)`)
    for (const [who, node] of [['bob', bob], ['carol', carol]]) {
      await alice.groups.invite(groupId, node.peerId)
      await until(`${who} to join`, () => node.groups.list().length === 1 && node.groups.epoch(groupId) === alice.groups.epoch(groupId))
    }
    await until('bob at epoch 2', () => bob.groups.epoch(groupId) === 2)
    check('bob and carol joined from their Welcomes and agree on the epoch', alice.groups.epoch(groupId) === 2 && carol.groups.epoch(groupId) === 2)
    const [bobGot, carolGot] = [inbox(bob), inbox(carol)]
    // Re-sent until read: a fresh member's place in the topic tree may still be forming.
    for (let i = 0; !(bobGot.length > 0 && carolGot.length > 0); i++) {
      if (i > 100) throw new Error('the first group message never arrived')
      await alice.groups.send(groupId, text('hello, group'))
      await new Promise((r) => setTimeout(r, 200))
    }
    check('a group message from alice is read by bob and carol', bobGot[0] === 'hello, group' && carolGot[0] === 'hello, group')
    const exported = await Promise.all([alice, bob, carol].map((n) => n.groups.exportSecret(groupId, 'demo/v1', 32)))
    check('all three derive the same exporter secret for other layers', exported.every((s) => hex(s) === hex(exported[0])))

    await alice.groups.remove(groupId, bob.peerId)
    await until('bob to process his removal', () => bob.groups.list().length === 0)
    await until('carol at epoch 3', () => carol.groups.epoch(groupId) === 3)
    const bobBefore = bobGot.length
    for (let i = 0; !carolGot.includes('after bob left'); i++) {
      if (i > 100) throw new Error('the message after the removal never reached carol')
      await alice.groups.send(groupId, text('after bob left'))
      await new Promise((r) => setTimeout(r, 200))
    }
    check('after bob is removed, carol reads the next message and bob reads nothing', bobGot.length === bobBefore && !bobGot.includes('after bob left'))
    log(`members now: ${alice.groups.members(groupId).map((m) => m.peerId.toShortString()).join(', ')}`)

    await carol.stop()
    carol = await start('carol', alice.listenAddrs()[0])
    check('carol restarts from her home still a member, at the same epoch', carol.groups.list().length === 1 && carol.groups.epoch(groupId) === 3)
    const carolAfter = inbox(carol)
    for (let i = 0; carolAfter.length === 0; i++) {
      if (i > 100) throw new Error('no message reached carol after her restart')
      await alice.groups.send(groupId, text('welcome back'))
      await new Promise((r) => setTimeout(r, 200))
    }
    check('carol reads the group after her restart', carolAfter[0] === 'welcome back')

    const dave = await start('dave', alice.listenAddrs()[0])
    const erin = await start('erin')
    extra.push(dave, erin)
    await erin.connect(alice.listenAddrs()[0])
    const erinsGroup = await erin.groups.create()
    const noRoute = await erin.send(dave.peerId, { name: '/demo/probe/1', streamClass: 'pubsub' }, text('?')).catch((e) => e.name)
    // Dave's record reaches alice as a one-way registration once he joins: ask until it is there.
    await until('erin to invite dave through rendezvous', () => erin.groups.invite(erinsGroup, dave.peerId).then(() => true, () => false))
    await until('dave to join erin\'s group', () => dave.groups.list().some((g) => hex(g) === hex(erinsGroup)))
    check('erin, with no address for dave, invites him through his key-package record on rendezvous', noRoute === 'NoRouteError' && dave.groups.members(erinsGroup).length === 2)
  } finally {
    for (const node of [alice, bob, carol, ...extra]) await node.stop()
  }
}
