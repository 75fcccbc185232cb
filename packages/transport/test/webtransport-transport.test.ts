/**
 * The transport-level suite (handshake, stream classes, priority, rekeying, backpressure, close)
 * run over the WebTransport carrier, so the secure channel is exercised on top of HTTP/2 WebTransport.
 */
import { createWebTransportCarrier } from '../src/webtransport/index.ts'
import { runTransportSuite } from './transport-suite.ts'

runTransportSuite('wt', async () => {
  const a = createWebTransportCarrier()
  const b = createWebTransportCarrier()
  return {
    carriers: [a, b],
    listenAddrs: ['wt://127.0.0.1:0', 'wt://127.0.0.1:0'],
    cleanup: async () => { await a.close(); await b.close() },
  }
})
