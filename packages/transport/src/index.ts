/**
 * @packageDocumentation
 * Post-quantum secure transport of Saorsa Gossip (SPEC.md section 5).
 */
export type { AbortOptions, BytePipe, Carrier, CarrierListener } from './carrier.ts'
export { ConnectionClosedError, DialError, FrameError, HandshakeError, InvalidAddressError, PeerMismatchError, RecordAuthError } from './errors.ts'
export { createMemoryNetwork, type MemoryNetwork } from './carriers/memory.ts'
export { createTcpCarrier, type TcpCarrierInit } from './carriers/tcp.ts'
export { createWebTransportCarrier, type WebTransportCarrierInit } from './webtransport/index.ts'
