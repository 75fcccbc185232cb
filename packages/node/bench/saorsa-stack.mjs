/**
 * Our stack for the comparison benchmark: `createNode` over TCP with the post-quantum channel
 * (ML-KEM-768 + ML-DSA-65), HyParView + SWIM membership and Plumtree pubsub with ML-DSA-65 origin
 * signatures. Each node listens on its own 127.0.0.x address like the libp2p side. Membership uses the
 * LAN preset (1 s probes, 500 ms ack timeout): with up to 100 nodes on one event loop, the LOCAL
 * preset's 200 ms ack timeout is shorter than the loop's own delays under load, and the resulting
 * false suspicions churn the overlay (measured: about 4x the idle traffic at 100 nodes).
 */
import { createNode } from '../dist/index.js'

export const name = 'saorsa-gossip'

export async function createStack({ count, topic, onMessage }) {
  const nodes = []
  let neighbourLosses = 0
  for (let i = 0; i < count; i++) {
    const host = `127.0.${1 + Math.floor((i + 2) / 254)}.${((i + 2) % 254) + 1}`
    const node = createNode({ listen: [`tcp://${host}:0`], preset: 'lan' })
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
    readyCount() {
      return nodes.filter((n) => n.status().activePeers > 0).length
    },
    async close() {
      await Promise.all(nodes.map((n) => n.stop()))
    },
  }
}
