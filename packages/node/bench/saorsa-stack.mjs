/**
 * Our stack for the comparison benchmark: `createNode` over TCP with the post-quantum channel
 * (ML-KEM-768 + ML-DSA-65), HyParView + SWIM membership and Plumtree pubsub with ML-DSA-65 origin
 * signatures. Each node listens on its own 127.0.0.x address like the libp2p side. Membership uses the
 * LAN preset (1 s probes, 500 ms ack timeout): with up to 100 nodes on one event loop, the LOCAL
 * preset's 200 ms ack timeout is shorter than the loop's own delays under load, and the resulting
 * false suspicions churn the overlay (measured: about 4x the idle traffic at 100 nodes).
 */
import pino from 'pino'
import { COORDINATOR_LAN } from '@saorsa-gossip/coordinator'
import { createNode } from '../dist/index.js'

/**
 * `SAORSA_ADDRESS_BOOK=off` turns off the LAN preset's address book (every node publishes its peer
 * record, a pubsub message of about 3.5 KB with its origin signature, to every other once a minute),
 * which the libp2p stack has no counterpart of: with it off, both stacks run pubsub alone.
 */
const addressBookOff = process.env.SAORSA_ADDRESS_BOOK === 'off'
const coordinator = addressBookOff
  ? { config: { ...COORDINATOR_LAN, addressBook: { ...COORDINATOR_LAN.addressBook, enabled: false } } }
  : undefined

/**
 * `SAORSA_VERIFIER=pool` checks origin signatures on the process's pool of worker threads instead
 * of the event loop (createNode's default), to compare the two on the same harness.
 */
const verifyOnPool = process.env.SAORSA_VERIFIER === 'pool'

export const name = ['saorsa-gossip', ...(addressBookOff ? ['address book off'] : []), ...(verifyOnPool ? ['signatures on the pool'] : [])].join(', ')

export async function createStack({ count, topic, onMessage }) {
  const nodes = []
  let neighbourLosses = 0
  // SWIM's verdicts reach us only as the node's info log lines; count them there (a few per second at most).
  const swim = { suspected: 0, dead: 0 }
  const logger = pino({ level: 'info' }, {
    write(line) {
      if (line.includes('"peer suspected"')) swim.suspected++
      else if (line.includes('"peer declared dead"')) swim.dead++
    },
  })
  for (let i = 0; i < count; i++) {
    const host = `127.0.${1 + Math.floor((i + 2) / 254)}.${((i + 2) % 254) + 1}`
    const node = createNode({ listen: [`tcp://${host}:0`], preset: 'lan', logger, ...(verifyOnPool ? { verifier: 'pool' } : {}), ...(coordinator === undefined ? {} : { coordinator }) })
    await node.start()
    node.addEventListener('peer:down', () => { neighbourLosses++ })
    const subscription = node.subscribe(topic)
    void (async () => {
      for await (const m of subscription) onMessage(i, m.payload)
    })()
    nodes.push(node)
  }
  return {
    async link(i, targets) {
      await nodes[i].join(targets.map((j) => nodes[j].listenAddrs()[0])).catch(() => {})
    },
    async publish(i, payload) {
      await nodes[i].publish(topic, payload)
    },
    /** Pubsub drop counters summed over all nodes, by reason. */
    dropped() {
      const total = {}
      for (const n of nodes) for (const [k, v] of Object.entries(n.status().dropped)) total[k] = (total[k] ?? 0) + v
      return total
    },
    /** Overlay churn seen so far: neighbour losses summed over all nodes. */
    churn() {
      return neighbourLosses
    },
    /** SWIM suspicions and deaths seen so far, summed over all nodes. */
    swim() {
      return { ...swim }
    },
    /** Open connections per node, and how many of them go to active-view neighbours. */
    connections() {
      return nodes.map((n) => {
        const s = n.status()
        return { open: s.connections, neighbours: s.activePeers }
      })
    },
    readyCount() {
      return nodes.filter((n) => n.status().activePeers > 0).length
    },
    async close() {
      await Promise.all(nodes.map((n) => n.stop()))
    },
  }
}
