/**
 * @packageDocumentation
 * Post-quantum secure transport of Saorsa Gossip (SPEC.md section 5): an ML-KEM-768 + ML-DSA-65
 * handshake, ChaCha20-Poly1305 records with per-direction BLAKE3-derived keys and rekeying, and three
 * prioritised stream classes (`mship` > `pubsub` > `bulk`) over TCP, in-memory or any other carrier.
 *
 * @example
 * ```ts
 * import { Identity } from '@saorsa-gossip/identity'
 * import { createTransport } from '@saorsa-gossip/transport'
 *
 * const alice = createTransport({ identity: Identity.generate() })   // TCP by default
 * const bob = createTransport({ identity: Identity.generate() })
 * bob.handle('pubsub', (message, connection) => {
 *   console.log(new TextDecoder().decode(message), 'from', connection.remotePeer.toShortString())
 * })
 * const addr = await bob.listen('tcp://127.0.0.1:0')                  // resolves with the bound port
 * const connection = await alice.dial(addr, { expectedPeer: bob.peerId })
 * await connection.send('pubsub', new TextEncoder().encode('hello'))
 * console.log('bob sees alice at', connection.observedAddr)            // address reflection
 * await alice.close()
 * await bob.close()
 * ```
 */
export type { AbortOptions, BytePipe, Carrier, CarrierListener } from './carrier.ts'
export {
  ConnectionClosedError, DialError, FrameError, HandshakeError, InvalidAddressError, PeerMismatchError, RecordAuthError,
} from './errors.ts'
export { addressScheme, formatHostPort, parseHostPort, parseMemoryName, type HostPort } from './address.ts'
export { createMemoryNetwork, type MemoryNetwork } from './carriers/memory.ts'
export { createTcpCarrier, type TcpCarrierInit } from './carriers/tcp.ts'
export { createFaultInjector, type FaultConfig, type FaultInjector } from './carriers/faults.ts'
export { createTransport } from './transport.ts'
export { STREAM_CLASSES, type StreamClass } from './frames.ts'
export { DEFAULT_REKEY, type RekeyPolicy } from './channel/records.ts'
export type {
  Connection, ConnectionEventDetail, ConnectionStats, MessageHandler, Transport, TransportEvents, TransportInit, TransportStats,
} from './types.ts'
// The WebTransport carrier is a separate entry point, '@saorsa-gossip/transport/webtransport', so that
// importing the transport never loads the WebTransport library unless an application opts in.
