/**
 * One demo node in its own worker thread (examples/demo.mjs starts several): a real `createNode`
 * on loopback TCP with the post-quantum channel. Terminating the worker kills the node abruptly,
 * without a clean leave, which is what the demo's failure detection is about.
 */
import { parentPort } from 'node:worker_threads'
import { createNode } from '@saorsa-gossip/node'

const now = () => performance.timeOrigin + performance.now()
const node = createNode({ listen: ['tcp://127.0.0.1:0'], preset: 'local' })
await node.start()
node.addEventListener('peer:up', (e) => parentPort.postMessage({ type: 'peer-up', peer: e.detail.peerId.toHex() }))
node.addEventListener('peer:down', (e) => parentPort.postMessage({ type: 'peer-down', peer: e.detail.peerId.toHex(), at: now() }))
parentPort.postMessage({ type: 'up', peerId: node.peerId.toHex(), addr: node.listenAddrs()[0] })

parentPort.on('message', async (cmd) => {
  try {
    switch (cmd.type) {
      case 'join': {
        let activePeers
        try {
          activePeers = (await node.join(cmd.addrs, { signal: AbortSignal.timeout(15_000) })).activePeers
        } catch (err) {
          // A busy machine can miss the first round trip; the node keeps redialling its contacts in the
          // background (as `saorsa-gossip network join` does), so a first neighbour soon after is a join.
          if (err?.name !== 'JoinFailedError') throw err
          if (node.status().activePeers === 0) {
            await new Promise((resolve, reject) => {
              const timer = setTimeout(() => reject(err), 15_000)
              node.addEventListener('peer:up', () => { clearTimeout(timer); resolve() }, { once: true })
            })
          }
          activePeers = node.status().activePeers
        }
        parentPort.postMessage({ type: 'joined', activePeers })
        break
      }
      case 'subscribe': {
        const sub = node.subscribe(cmd.topic)
        parentPort.postMessage({ type: 'subscribed' })
        for await (const m of sub) {
          const view = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength)
          parentPort.postMessage({ type: 'message', index: view.getUint32(0), hops: m.hops, origin: m.origin.toHex(), at: now() })
        }
        break
      }
      case 'publish': {
        const payload = new Uint8Array(256)
        new DataView(payload.buffer).setUint32(0, cmd.index)
        const at = now()
        const r = await node.publish(cmd.topic, payload)
        parentPort.postMessage({ type: 'published', index: cmd.index, at, sentTo: r.sentTo })
        break
      }
      case 'status':
        parentPort.postMessage({ type: 'status', status: node.status() })
        break
      case 'report':
        parentPort.postMessage({
          type: 'report',
          report: {
            status: node.status(), peers: node.peers(), trees: node.topicTrees(),
            coordinators: node.coordinator.adverts().map(({ advert: a }) => ({ peerId: a.peerId.toHex(), roles: [...a.roles], nat: a.nat })),
          },
        })
        break
      case 'freeze': {
        // Blocks this thread's event loop: sockets stay open but nothing answers, like a hung process.
        parentPort.postMessage({ type: 'frozen' })
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, cmd.ms)
        break
      }
      case 'stop':
        await node.stop()
        parentPort.postMessage({ type: 'stopped' })
        break
    }
  } catch (err) {
    parentPort.postMessage({ type: 'error', command: cmd.type, message: err.message })
  }
})
