/**
 * @packageDocumentation
 * Post-quantum secure transport of Saorsa Gossip (SPEC.md section 5): an ML-KEM-768 + ML-DSA-65
 * handshake, ChaCha20-Poly1305 records with per-direction BLAKE3-derived keys and rekeying, and named
 * protocols on three prioritised stream classes (`mship` > `pubsub` > `bulk`): whole messages, direct
 * requests with responses, and flow-controlled bulk streams, over TCP, in-memory or any other carrier.
 *
 * @example
 * ```ts
 * import { Identity } from '@saorsa-gossip/identity'
 * import { createTransport } from '@saorsa-gossip/transport'
 *
 * const alice = createTransport({ identity: Identity.generate() })   // TCP by default
 * const bob = createTransport({ identity: Identity.generate() })
 * const chat = { name: '/example/chat/1', streamClass: 'pubsub' } as const
 * bob.handle(chat, (message, connection) => {
 *   console.log(new TextDecoder().decode(message), 'from', connection.remotePeer.toShortString())
 * })
 * const echo = { name: '/example/echo/1', streamClass: 'mship' } as const
 * bob.handleDirect(echo, (request) => request)                       // request/response
 * const addr = await bob.listen('tcp://127.0.0.1:0')                  // resolves with the bound port
 * const connection = await alice.dial(addr, { expectedPeer: bob.peerId })
 * await connection.send(chat, new TextEncoder().encode('hello'))
 * const answer = await connection.request(echo, new Uint8Array([1, 2, 3]), { timeoutMs: 5_000 })
 * console.log('bob sees alice at', connection.observedAddr)            // address reflection
 * await alice.close()
 * await bob.close()
 * ```
 */
export type { AbortOptions, BytePipe, Carrier, CarrierListener } from './carrier.ts'
export {
  ConnectionClosedError, DialError, FrameError, HandshakeError, PeerGraylistedError, InvalidAddressError, NoRouteError, PeerMismatchError,
  ProtocolAlreadyHandledError, RecordAuthError, RequestRefusedError, RequestTimeoutError, StreamResetError, TooManyRequestsError,
  type RefusalReason, type StreamResetReason,
} from './errors.ts'
export {
  MAX_PROTOCOL_NAME_BYTES, PROTOCOL_CODES, validateMessageProtocol, validateProtocolName, validateStreamProtocol, type MessageProtocol, type StreamProtocol,
} from './protocols.ts'
export { DEFAULT_REQUEST_TIMEOUT_MS, MAX_INFLIGHT_REQUESTS } from './direct/pending.ts'
export { MAX_INBOUND_REQUESTS } from './direct/endpoint.ts'
export { DEFAULT_STREAM_MEMORY_BYTES } from './streams/budget.ts'
export { STREAM_IDLE_TIMEOUT_MS, STREAM_WINDOW_BYTES, type IncomingStream } from './streams/inbound.ts'
export { MAX_INBOUND_STREAMS } from './streams/mux.ts'
export type { StreamWriter } from './streams/outbound.ts'
export { addressScheme, formatHostPort, parseHostPort, parseMemoryName, type HostPort } from './address.ts'
export { createMemoryNetwork, type MemoryNetwork } from './carriers/memory.ts'
export { createTcpCarrier, type TcpCarrierInit } from './carriers/tcp.ts'
export { createFaultInjector, type FaultConfig, type FaultInjector } from './carriers/faults.ts'
export { createTransport } from './transport.ts'
export { STREAM_CLASSES, type StreamClass } from './frames.ts'
export { MAX_TRAFFIC_SERIES, UNKNOWN_PROTOCOL, type TrafficClass, type TrafficEntry } from './traffic.ts'
export { DEFAULT_REKEY, REKEY_CEILING, type RekeyPolicy } from './channel/records.ts'
export { EDGE_DEFAULTS, type EdgeLimits } from './edge/preset.ts'
export type { EdgeStats } from './edge/gate.ts'
export {
  createNatTraversal, NAT_ROLES, type NatRole, type NatStatus, type NatTraversal, type NatTraversalComponents, type NatTraversalEvents,
  type NatTraversalInit, type PeerPath,
} from './nat/traversal.ts'
export { createCircuitCarrier, type CircuitCarrier } from './nat/circuit-carrier.ts'
export { CIRCUIT_SCHEME, formatCircuitAddress, parseCircuitAddress, type CircuitAddress } from './nat/circuit-address.ts'
export { queryReflector, serveReflector, REFLECT_ANSWERS_PER_SECOND, REFLECT_DOMAIN, REFLECT_PROTOCOL } from './nat/reflector.ts'
export { serveRelay, type RelayService } from './nat/relay.ts'
export { HOP_DATA_PROTOCOL, HOP_PROTOCOL, PUNCH_PROTOCOL, STOP_DATA_PROTOCOL, STOP_PROTOCOL } from './nat/protocols.ts'
export { NatError, PunchFailedError, RelayRefusedError } from './nat/errors.ts'
export type { RelayStatus } from './nat/codec.ts'
export {
  NAT_CLASSES, PUNCH_DEFAULTS, REFLECT_DEFAULTS, RELAY_DEFAULTS, type NatClass, type PunchConfig, type ReflectConfig, type RelayLimits,
} from './proto/nat-config.ts'
export { REDIAL_DEFAULTS, type RedialPolicy } from './nat/punch-redial.ts'
export type {
  Connection, ConnectionEventDetail, ConnectionStats, DialOptions, DirectContext, DirectHandler, DropCounts, DropReason, MessageHandler,
  RequestOptions, StreamHandler, Transport, TransportEvents, TransportInit, TransportStats,
} from './types.ts'
// The WebTransport carrier is a separate entry point, '@saorsa-gossip/transport/webtransport', so that
// importing the transport never loads the WebTransport library unless an application opts in.
