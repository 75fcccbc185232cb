/**
 * The public Transport and Connection interfaces (docs/architecture.md section 5): listen, dial, connections
 * carrying the authenticated remote PeerId, named protocols on three prioritised stream classes
 * (messages, direct requests, bulk streams), and address reflection.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import type { PeerId } from '@saorsa-gossip/types'
import type { AbortOptions, Carrier } from './carrier.ts'
import type { RekeyPolicy } from './channel/records.ts'
import type { EdgeStats } from './edge/gate.ts'
import type { EdgeLimits } from './edge/preset.ts'
import type { MessageProtocol, StreamProtocol } from './protocols.ts'
import type { IncomingStream } from './streams/inbound.ts'
import type { StreamWriter } from './streams/outbound.ts'
import type { TrafficEntry } from './traffic.ts'

/** A handler may return a promise: while too many are pending on one connection, its reads pause. */
export type MessageHandler = (message: Uint8Array, connection: Connection) => void | Promise<void>

export interface DirectContext {
  readonly peer: PeerId
  readonly connection: Connection
  /** Aborted when the connection closes. */
  readonly signal: AbortSignal
}

/**
 * Answers direct requests of one protocol (and receives its one-way messages, whose result is ignored).
 * Returning nothing answers with an empty response; throwing answers with the refusal code
 * 'handler-failed' (the error text never leaves this node).
 */
export type DirectHandler = (request: Uint8Array, context: DirectContext) => Uint8Array | void | Promise<Uint8Array | void>

/** Called once per inbound stream of a registered protocol; read `stream` to grant the sender credit. */
export type StreamHandler = (stream: IncomingStream, connection: Connection) => void

export interface RequestOptions extends AbortOptions {
  /** Deadline for the response in ms (default 10,000); then RequestTimeoutError. */
  timeoutMs?: number
}

/** Frames received and dropped without a crash, by reason (SPEC.md section 5.5). */
export interface DropCounts {
  /** A routed frame, request or stream for a name nobody handles here (requests are refused as well). */
  readonly 'unknown-protocol': number
  /** A name handled here, but as another kind (message, direct, stream) or on another class. */
  readonly 'wrong-route': number
  /** A direct frame whose envelope does not parse. */
  readonly 'malformed-direct': number
  /** A response or refusal matching no request pending on this connection. */
  readonly 'unknown-response': number
  /** A stream frame for a stream that is not open (never opened, reset, refused or finished). */
  readonly 'unknown-stream': number
  /** A stream refused on open: too many streams or no memory budget left. */
  readonly 'refused-stream': number
}
export type DropReason = keyof DropCounts

export interface ConnectionStats {
  readonly recordsSent: number
  readonly recordsReceived: number
  readonly bytesSent: number
  readonly bytesReceived: number
  /** Key updates so far in each direction. */
  readonly sendEpoch: number
  readonly receiveEpoch: number
  /** Stream data chunks (bulk class) each way. */
  readonly bulkChunksSent: number
  readonly bulkChunksReceived: number
  /** Handler calls that threw or rejected (the connection stays up; handlers own their errors). */
  readonly handlerErrors: number
  /** Messages from the remote that failed to parse or validate (reported with `reportInvalid`, a handler's DecodeError, a malformed direct envelope). */
  readonly invalidMessages: number
  readonly drops: DropCounts
  /** Direct requests of ours awaiting a response on this connection. */
  readonly pendingRequests: number
  /** Our handlers still running for this connection: message handlers that returned a promise, and the remote's requests not yet answered. */
  readonly pendingHandlers: number
  readonly openStreams: { readonly inbound: number; readonly outbound: number }
}

export interface Connection {
  readonly id: string
  readonly remotePeer: PeerId
  readonly remotePublicKey: Uint8Array
  /** Remote endpoint as we see it. */
  readonly remoteAddr: string
  /** Our end of the carrier pipe (for TCP, the local port a NAT mapping belongs to). */
  readonly localAddr: string
  /** Our address as the remote sees it (address reflection). */
  readonly observedAddr: string
  readonly direction: 'inbound' | 'outbound'
  /**
   * Queues `message` for the remote's handler of `protocol`, on the protocol's stream class. The message
   * is copied and the promise resolves once queued (waiting while the class queue is over its
   * high-water mark). Rejects with ConnectionClosedError once the connection is closed,
   * InvalidParametersError if over the class cap (mship 64 KiB, pubsub 80 KiB).
   */
  send(protocol: MessageProtocol, message: Uint8Array, options?: AbortOptions): Promise<void>
  /** A one-way direct message to the remote's `handleDirect` handler of `protocol`. */
  sendDirect(protocol: MessageProtocol, message: Uint8Array, options?: AbortOptions): Promise<void>
  /**
   * A direct request: resolves with the response of the remote's `handleDirect` handler. Rejects with
   * RequestTimeoutError, RequestRefusedError (no handler, handler failed, busy, response too large),
   * AbortError, TooManyRequestsError, or ConnectionClosedError at once when the connection closes.
   */
  request(protocol: MessageProtocol, message: Uint8Array, options?: RequestOptions): Promise<Uint8Array>
  /** Opens a bulk stream to the remote's `handleStream` handler of `protocol` (chunked, flow-controlled). */
  openStream(protocol: StreamProtocol, options?: AbortOptions): Promise<StreamWriter>
  /** Round-trip time in ms of a ping/pong control frame. */
  ping(options?: AbortOptions): Promise<number>
  /**
   * Tells the transport that a message from this connection failed to decode or validate in an upper
   * layer (a handler throwing DecodeError counts by itself). It costs the remote PeerId score; at the
   * limit every connection of that peer ends with PeerGraylistedError and the peer is graylisted.
   */
  reportInvalid(): void
  /** Sends a close frame after the queued frames, then closes the pipe. Idempotent. */
  close(): Promise<void>
  /** Resolves when the connection closed for any reason (never rejects). */
  readonly closed: Promise<void>
  /** Why the connection closed: undefined while open or after an orderly close. */
  readonly closeError: Error | undefined
  stats(): ConnectionStats
}

export interface DialOptions extends AbortOptions {
  /** Authenticate this peer or fail (an open connection to it is returned instead of dialling). */
  expectedPeer?: PeerId
  /** TCP: bind the dialling socket to this local port (hole punching reuses the port a NAT mapped). */
  localPort?: number
  /**
   * Run the responder side of the handshake on the dialled pipe, which then counts as inbound. Both
   * ends of a TCP simultaneous open dial; they agree beforehand which of them answers (SPEC.md 5.10).
   */
  handshakeRole?: 'initiator' | 'responder'
}

export interface TransportInit {
  identity: Identity
  /** Carriers by scheme; default `[createTcpCarrier()]`. The transport closes only carriers it created. */
  carriers?: Carrier[]
  /** ML-DSA-65 backend for verifying peers' handshake signatures (default: the identity package's active one). */
  backend?: SignatureBackend
  /** Handshake deadline in ms (default 10,000). */
  handshakeTimeoutMs?: number
  /** Same as `edge.maxPendingHandshakes` (kept for existing callers). */
  maxPendingHandshakes?: number
  /** Limits of the inbound edge (default EDGE_DEFAULTS, each with its reason). */
  edge?: Partial<EdgeLimits>
  /** Open connections; inbound pipes beyond this are closed (default 1,024). */
  maxConnections?: number
  /** Bytes all inbound streams together may buffer or be owed as credit (default 64 MiB). */
  maxStreamMemoryBytes?: number
  /** Queued bytes per class (mship, pubsub) above which `send` waits (default 1 MiB). */
  highWaterMark?: number
  /** Pending handler promises per connection above which reading pauses (default 16). */
  maxPendingHandlers?: number
  /** Key update policy (default DEFAULT_REKEY). */
  rekey?: RekeyPolicy
}

export interface ConnectionEventDetail { connection: Connection; error?: Error }

export interface TransportEvents {
  'connection:open': CustomEvent<{ connection: Connection }>
  'connection:close': CustomEvent<ConnectionEventDetail>
}

export interface TransportStats {
  readonly connections: number
  readonly pendingHandshakes: number
  /** Inbound handshakes that failed (bad input, timeout) since start. */
  readonly failedHandshakes: number
  /** Inbound pipes refused on arrival (maxConnections, or an edge limit). */
  readonly refusedPipes: number
  /** The inbound edge: evictions, silent pipes, rate limiting, responder crypto spent, graylists. */
  readonly edge: EdgeStats & { readonly closedOverPeerCap: number }
  /** Dropped frames by reason, over every connection since start. */
  readonly drops: DropCounts
  /** Inbound stream memory: reserved (credit granted plus buffered) and actually buffered bytes. */
  readonly streamMemory: { readonly reserved: number; readonly buffered: number; readonly limit: number }
  /** Frame bytes by direction, stream class and protocol, over every connection since start (SPEC.md section 5.5.1). */
  readonly traffic: readonly TrafficEntry[]
}

/** An EventTarget whose `connection:*` events are typed. */
export interface Transport extends Omit<EventTarget, 'addEventListener' | 'removeEventListener'> {
  readonly peerId: PeerId
  /** Listens on `addr` (port 0 picks a free port) and resolves with the bound address. */
  listen(addr: string, options?: AbortOptions): Promise<string>
  /** Connects and authenticates; with `expectedPeer`, fails with PeerMismatchError before revealing our identity to anyone else. */
  dial(addr: string, options?: DialOptions): Promise<Connection>
  /**
   * Receives every inbound message of `protocol` on any connection. Names are one namespace across
   * `handle`, `handleDirect` and `handleStream`: a name already handled throws ProtocolAlreadyHandledError.
   */
  handle(protocol: MessageProtocol, handler: MessageHandler): void
  /** Answers direct requests (and receives one-way direct messages) of `protocol`. */
  handleDirect(protocol: MessageProtocol, handler: DirectHandler): void
  /** Accepts inbound bulk streams of `protocol`; only these make this transport allocate stream buffers. */
  handleStream(protocol: StreamProtocol, handler: StreamHandler): void
  /** Removes the handler of a protocol (by object or name); later frames for it are counted drops. */
  unhandle(protocol: MessageProtocol | StreamProtocol | string): void
  /** Open connections (one closing is no longer listed). */
  connections(): Connection[]
  connectionTo(peer: PeerId): Connection | undefined
  listenAddrs(): string[]
  stats(): TransportStats
  close(options?: AbortOptions): Promise<void>
  addEventListener<K extends keyof TransportEvents>(type: K, listener: (event: TransportEvents[K]) => void, options?: { once?: boolean; signal?: AbortSignal }): void
  addEventListener(...args: Parameters<EventTarget['addEventListener']>): void
  removeEventListener<K extends keyof TransportEvents>(type: K, listener: (event: TransportEvents[K]) => void): void
  removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void
}
