/**
 * The comparison stack for the benchmark: js-libp2p 2.10 + @chainsafe/libp2p-gossipsub 14.1.2 over
 * TCP with Noise and Yamux, at the versions and settings of the project's libp2p notes (Node 20
 * needs a Promise.withResolvers polyfill; every node listens on its own 127.0.0.x address). Gossipsub
 * defaults (D=6, heartbeat 1 s, flood publish) except the settings explained next to them below.
 */
if (typeof Promise.withResolvers !== 'function') {
  // Spec-equivalent polyfill (ES2024 Promise.withResolvers), needed by it-queue on Node 20.
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve
      let reject
      const promise = new this((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    },
  })
}

const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@chainsafe/libp2p-noise')
const { yamux } = await import('@chainsafe/libp2p-yamux')
const { identify } = await import('@libp2p/identify')
const { gossipsub } = await import('@chainsafe/libp2p-gossipsub')

export const name = 'js-libp2p gossipsub'

const toHex = (bytes) => (bytes === undefined ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'))

/**
 * Starts `count` nodes subscribed to `topic`; `onMessage(nodeIndex, payload)` sees every delivery.
 * Returns the harness adapter: `link(i, targets)`, `publish(i, payload)`, `readyCount()`, `close()`.
 */
export async function createStack({ count, topic, onMessage }) {
  const nodes = []
  for (let i = 0; i < count; i++) {
    const host = `127.0.${1 + Math.floor((i + 2) / 254)}.${((i + 2) % 254) + 1}`
    const node = await createLibp2p({
      addresses: { listen: [`/ip4/${host}/tcp/0`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Every dial leaves from 127.0.0.1, so the default per-host inbound rate limit (5 per second)
      // would refuse most of the harness's connections; raise it so topology setup is not throttled.
      connectionManager: { maxConnections: 1000, inboundConnectionThreshold: 10_000, maxIncomingPendingConnections: 1000 },
      services: {
        identify: identify(),
        // fastMsgIdFn (from || seqno, the default message id's inputs) drops duplicate copies before
        // signature verification, as production deployments configure it; our stack also
        // deduplicates before verifying, so both sides get the same advantage.
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          fastMsgIdFn: (msg) => `${toHex(msg.from)}:${toHex(msg.seqno)}`,
          // Outbound dials leave from 127.0.0.1 whatever the listen address, so the IP-colocation
          // penalty would see every peer as one host and prune the mesh: a harness artefact.
          scoreParams: { IPColocationFactorWeight: 0 },
        }),
      },
    })
    node.services.pubsub.addEventListener('message', (evt) => {
      if (evt.detail.topic === topic) onMessage(i, evt.detail.data)
    })
    node.services.pubsub.subscribe(topic)
    nodes.push(node)
  }
  return {
    async link(i, targets) {
      for (const j of targets) await nodes[i].dial(nodes[j].getMultiaddrs()[0])
    },
    async publish(i, payload) {
      await nodes[i].services.pubsub.publish(topic, payload)
    },
    /** Nodes whose gossipsub mesh for the topic has at least one peer. */
    /** Open connections per node, and how many go to the node's mesh peers for the topic. */
    connections() {
      return nodes.map((n) => ({ open: n.getConnections().length, neighbours: n.services.pubsub.getMeshPeers(topic).length }))
    },
    readyCount() {
      return nodes.filter((n) => n.services.pubsub.getMeshPeers(topic).length > 0).length
    },
    async close() {
      await Promise.all(nodes.map((n) => n.stop()))
    },
  }
}
