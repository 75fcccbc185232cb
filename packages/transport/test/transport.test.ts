import { createMemoryNetwork } from '../src/carriers/memory.ts'
import { createTcpCarrier } from '../src/carriers/tcp.ts'
import { runTransportSuite } from './transport-suite.ts'

runTransportSuite('tcp', async () => {
  const a = createTcpCarrier()
  const b = createTcpCarrier()
  return {
    carriers: [a, b],
    listenAddrs: ['tcp://127.0.0.1:0', 'tcp://127.0.0.1:0'],
    cleanup: async () => { await a.close(); await b.close() },
  }
})

let n = 0
runTransportSuite('mem', async () => {
  const network = createMemoryNetwork()
  const a = network.carrier()
  const b = network.carrier()
  n++
  return {
    carriers: [a, b],
    listenAddrs: [`mem://a-${n}`, `mem://b-${n}`],
    cleanup: async () => { await a.close(); await b.close() },
  }
})
