/**
 * The public Transport and Connection interfaces (ARCHITECTURE.md section 5): listen, dial, connections
 * carrying the authenticated remote PeerId, three prioritised stream classes, and address reflection.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import type { PeerId } from '@saorsa-gossip/types'
import type { AbortOptions, Carrier } from './carrier.ts'
import type { RekeyPolicy } from './channel/records.ts'
import type { StreamClass } from './frames.ts'

/** A handler may return a promise: while too many are pending on one connection, its reads pause. */
export type MessageHandler = (message: Uint8Array, connection: Connection) => void | Promise<void>

export interface ConnectionStats {
  readonly recordsSent: number
  readonly recordsReceived: number
  readonly bytesSent: number
  readonly bytesReceived: number
  /** Key updates so far in each direction. */
  readonly sendEpoch: number
  readonly receiveEpoch: number
  readonly bulkChunksSent: number
  readonly bulkChunksReceived: number
  /** Handler calls that threw or rejected (the connection stays up; handlers own their errors). */
  readonly handlerErrors: number
}

export interface Connection {
  readonly id: string
  readonly remotePeer: PeerId
  readonly remotePublicKey: Uint8Array
  /** Remote endpoint as we see it. */
  readonly remoteAddr: string
  /** Our address as the remote sees it (address reflection). */
  readonly observedAddr: string
  readonly direction: 'inbound' | 'outbound'
  /**
   * Queues `message` on `streamClass`. mship and pubsub messages are copied and the promise resolves once
   * queued (waiting while the class queue is over its high-water mark); a bulk message is sent in chunks
   * without copying, so do not modify it until the promise resolves (when its last chunk reached the carrier).
   * Rejects with ConnectionClosedError once the connection is closed, InvalidParametersError if over the class cap.
   */
  send(streamClass: StreamClass, message: Uint8Array, options?: AbortOptions): Promise<void>
  /** Round-trip time in ms of a ping/pong control frame. */
  ping(options?: AbortOptions): Promise<number>
  /** Sends a close frame after the queued frames, then closes the pipe. Idempotent. */
  close(): Promise<void>
  /** Resolves when the connection closed for any reason (never rejects). */
  readonly closed: Promise<void>
  /** Why the connection closed: undefined while open or after an orderly close. */
  readonly closeError: Error | undefined
  stats(): ConnectionStats
}

export interface TransportInit {
  identity: Identity
  /** Carriers by scheme; default `[createTcpCarrier()]`. The transport closes only carriers it created. */
  carriers?: Carrier[]
  /** ML-DSA-65 backend for verifying peers' handshake signatures (default: the identity package's active one). */
  backend?: SignatureBackend
  /** Handshake deadline in ms (default 10,000). */
  handshakeTimeoutMs?: number
  /** Inbound handshakes in progress at once; more pipes are closed on arrival (default 64). */
  maxPendingHandshakes?: number
  /** Open connections; inbound pipes beyond this are closed (default 1,024). */
  maxConnections?: number
  /** Largest bulk message accepted or sent, in bytes (default 64 MiB). */
  maxBulkMessageBytes?: number
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
  /** Inbound pipes refused because of maxPendingHandshakes or maxConnections. */
  readonly refusedPipes: number
}

/** An EventTarget whose `connection:*` events are typed. */
export interface Transport extends Omit<EventTarget, 'addEventListener' | 'removeEventListener'> {
  readonly peerId: PeerId
  /** Listens on `addr` (port 0 picks a free port) and resolves with the bound address. */
  listen(addr: string, options?: AbortOptions): Promise<string>
  /** Connects and authenticates; with `expectedPeer`, fails with PeerMismatchError before revealing our identity to anyone else. */
  dial(addr: string, options?: AbortOptions & { expectedPeer?: PeerId }): Promise<Connection>
  /** One handler per class receives every inbound message of that class on any connection (a later call replaces it). */
  handle(streamClass: StreamClass, handler: MessageHandler): void
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
