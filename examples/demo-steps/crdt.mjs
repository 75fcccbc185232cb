/**
 * Demo step: replicated documents (@saorsa-gossip/crdt-sync through `node.crdt`). Three nodes over
 * loopback TCP open a shopping list (an add-wins set) and a text; all edit at once and end equal.
 * One node stops, the others keep editing, and the restarted node reloads its replicas from its home
 * and catches up by anti-entropy.
 */
import { join } from 'node:path'
import { Identity } from '@saorsa-gossip/identity'
import { createNode } from '@saorsa-gossip/node'

export const name = 'crdt'
export const title = 'crdt-sync: three nodes edit a list and a text concurrently, a restarted node catches up'

/** Polls `probe` every 50 ms until it holds or `ms` pass. */
async function eventually(probe, ms = 15_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (probe()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return probe()
}

export async function run({ check, log, home }) {
  const identities = [0, 1, 2].map(() => Identity.generate())
  const homes = [0, 1, 2].map((i) => join(home, `crdt-${i}`))
  const start = async (i, bootstrap) => {
    const node = createNode({ identity: identities[i], home: homes[i], preset: 'local' })
    await node.start()
    if (bootstrap !== undefined) await node.join([bootstrap])
    return node
  }
  const nodes = [await start(0)]
  const bootstrap = nodes[0].listenAddrs()[0]
  nodes.push(await start(1, bootstrap), await start(2, bootstrap))
  try {
    const lists = await Promise.all(nodes.map((n) => n.crdt.open('shopping', { type: 'set' })))
    const texts = await Promise.all(nodes.map((n) => n.crdt.open('essay', { type: 'text' })))
    // Concurrent edits: every node adds an item and types at the start of the text, at once.
    const items = ['milk', 'bread', 'apples']
    lists.forEach((l, i) => l.doc.add(items[i]))
    texts.forEach((t, i) => t.doc.insert(0, `[${i}]`))
    lists[0].doc.remove('milk')
    lists[1].doc.add('milk') // concurrent with the remove: add wins
    const same = (replicas, read) => new Set(replicas.map((r) => JSON.stringify(read(r)))).size === 1
    const listsAgree = await eventually(() => same(lists, (l) => l.doc.values()) && lists[0].doc.values().length === 3)
    log(`shopping list on every node: ${lists[0].doc.values().join(', ')}`)
    check('three nodes editing one set concurrently end equal, the concurrent add of milk wins over its remove', listsAgree && lists[2].doc.has('milk'))
    const textsAgree = await eventually(() => same(texts, (t) => t.doc.toString()) && texts[0].doc.toString().length === 9)
    log(`text on every node: "${texts[0].doc.toString()}"`)
    check('three nodes typing into one text at the same position end with the same text', textsAgree)

    // Node 2 stops (its replicas are on disk); the others keep editing.
    await Promise.all([lists[2].flushed(), texts[2].flushed()])
    await nodes[2].stop()
    lists[0].doc.add('coffee')
    texts[1].doc.insert(texts[1].doc.toString().length, ' (edited while node 2 was away)')
    await eventually(() => lists[1].doc.has('coffee') && texts[0].doc.toString().endsWith('away)'))
    // Restarted, before it joins anyone: its replicas come back from its home.
    nodes[2] = await start(2)
    const reopened = nodes[2].crdt.replica('shopping')
    check('the restarted node reopened its documents from its home, with what it had before stopping',
      reopened !== undefined && reopened.doc.has('bread') && !reopened.doc.has('coffee'))
    await nodes[2].join([bootstrap])
    const caughtUp = await eventually(() => reopened.doc.has('coffee')
      && nodes[2].crdt.replica('essay')?.doc.toString() === texts[0].doc.toString())
    log(`after restart: ${reopened.doc.values().join(', ')}; "${nodes[2].crdt.replica('essay')?.doc.toString()}"`)
    check('and caught up with the edits made while it was away, by anti-entropy', caughtUp)
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
  }
}
