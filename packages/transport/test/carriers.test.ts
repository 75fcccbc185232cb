import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { createTcpCarrier } from '../src/carriers/tcp.ts'
import { runCarrierConformance } from './carrier-conformance.ts'

runCarrierConformance('tcp', async () => {
  const carrier = createTcpCarrier()
  return { carrier, listenAddr: 'tcp://127.0.0.1:0', cleanup: () => carrier.close() }
})

runCarrierConformance('tcp over IPv6 loopback', async () => {
  const carrier = createTcpCarrier()
  return { carrier, listenAddr: 'tcp://[::1]:0', cleanup: () => carrier.close() }
})

let memCount = 0
runCarrierConformance('mem', async () => {
  const network = createMemoryNetwork()
  const carrier = network.carrier()
  return { carrier, listenAddr: `mem://conformance-${++memCount}`, cleanup: () => carrier.close() }
})
