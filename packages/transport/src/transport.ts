/**
 * The Transport (docs/architecture.md section 5): carriers by address scheme, the handshake on every
 * pipe, a registry of authenticated connections with deterministic deduplication of simultaneous
 * dials, a table of named protocols (messages, direct requests, streams) shared by every connection,
 * a memory budget for inbound streams, and typed `connection:open` / `connection:close` events.
 */
import { loadMlDsa65Backend, type Identity, type SignatureBackend } from '@saorsa-gossip/identity'
import { InvalidParametersError, NotStartedError, throwIfAborted, type PeerId } from '@saorsa-gossip/types'
import { addressScheme } from './address.ts'
import type { AbortOptions, BytePipe, Carrier, CarrierListener } from './carrier.ts'
import { createTcpCarrier } from './carriers/tcp.ts'
import { loadAead, type Aead } from './channel/aead.ts'
import type { HandshakeInit } from './channel/handshake.ts'
import { DEFAULT_REKEY, rekeyPolicyProblem, type RekeyPolicy } from './channel/records.ts'
import { secureInbound, secureOutbound, type SecuredPipe } from './channel/secure-pipe.ts'
import { emptyDrops, SecureConnection } from './connection.ts'
import { EdgeGate } from './edge/gate.ts'
import { edgeLimits } from './edge/preset.ts'
import { sourceOf } from './edge/source.ts'
import { ConnectionClosedError, DialError, InvalidAddressError, PeerGraylistedError, PeerMismatchError } from './errors.ts'
import type { MessageProtocol, StreamProtocol } from './protocols.ts'
import { ProtocolRoutes } from './routes.ts'
import { TrafficLedger } from './traffic.ts'
import { DEFAULT_STREAM_MEMORY_BYTES, MemoryBudget } from './streams/budget.ts'
import type { Connection, DialOptions, DirectHandler, MessageHandler, StreamHandler, Transport, TransportInit, TransportStats } from './types.ts'

const DEFAULTS = {
  /** Generous for WAN round trips plus the X-Wing and ML-DSA-65 work of both sides in pure JS (about 80 ms). */
  handshakeTimeoutMs: 10_000,
  maxConnections: 1024,
  maxStreamMemoryBytes: DEFAULT_STREAM_MEMORY_BYTES,
  highWaterMark: 1024 * 1024,
  maxPendingHandlers: 16,
}

class SecureTransport extends EventTarget implements Transport {
  readonly peerId: PeerId
  readonly #identity: Identity
  readonly #carriers = new Map<string, Carrier>()
  readonly #ownedCarriers: Carrier[] = []
  readonly #listeners: CarrierListener[] = []
  readonly #connections = new Set<SecureConnection>()
  readonly #routes = new ProtocolRoutes()
  readonly #traffic = new TrafficLedger()
  readonly #drops = emptyDrops()
  readonly #budget: MemoryBudget
  readonly #pendingPipes = new Set<BytePipe>()
  readonly #edge: EdgeGate
  readonly #options: typeof DEFAULTS & { rekey: RekeyPolicy }
  readonly #backend: SignatureBackend | undefined
  #crypto: Promise<{ aead: Aead; backend: SignatureBackend | undefined }> | undefined
  #nextId = 1
  #closed = false
  #failedHandshakes = 0
  #refusedPipes = 0
  #closedOverPeerCap = 0

  constructor(init: TransportInit) {
    super()
    if (init?.identity === undefined) throw new InvalidParametersError('createTransport: init.identity is required')
    this.#identity = init.identity
    this.peerId = init.identity.peerId
    this.#backend = init.backend
    const carriers = init.carriers ?? [createTcpCarrier()]
    if (init.carriers === undefined) this.#ownedCarriers.push(...carriers)
    for (const carrier of carriers) {
      if (this.#carriers.has(carrier.scheme)) throw new InvalidParametersError(`createTransport: two carriers for scheme "${carrier.scheme}"`)
      this.#carriers.set(carrier.scheme, carrier)
    }
    const pick = (name: keyof typeof DEFAULTS): number => {
      const value = init[name] ?? DEFAULTS[name]
      if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidParametersError(`createTransport: ${name} must be a positive integer, got ${value}`)
      return value
    }
    this.#options = {
      handshakeTimeoutMs: pick('handshakeTimeoutMs'),
      maxConnections: pick('maxConnections'),
      maxStreamMemoryBytes: pick('maxStreamMemoryBytes'),
      highWaterMark: pick('highWaterMark'),
      maxPendingHandlers: pick('maxPendingHandlers'),
      rekey: init.rekey ?? DEFAULT_REKEY,
    }
    const rekeyProblem = rekeyPolicyProblem(this.#options.rekey)
    if (rekeyProblem !== undefined) throw new InvalidParametersError(`createTransport: ${rekeyProblem}`)
    this.#budget = new MemoryBudget(this.#options.maxStreamMemoryBytes)
    const edge = init.maxPendingHandshakes === undefined ? init.edge : { maxPendingHandshakes: init.maxPendingHandshakes, ...init.edge }
    this.#edge = new EdgeGate(edgeLimits(edge, (m) => new InvalidParametersError(`createTransport: ${m}`)))
  }

  /** AEAD and signature backend are loaded once, on first use (both are cached process-wide too). */
  #loadCrypto(): Promise<{ aead: Aead; backend: SignatureBackend | undefined }> {
    this.#crypto ??= (async () => ({
      aead: await loadAead(),
      backend: this.#backend ?? (await loadMlDsa65Backend().then(() => undefined, () => undefined)),
    }))()
    return this.#crypto
  }

  #handshakeInit(crypto: { aead: Aead; backend: SignatureBackend | undefined }): HandshakeInit {
    return crypto.backend === undefined
      ? { identity: this.#identity, aead: crypto.aead }
      : { identity: this.#identity, aead: crypto.aead, backend: crypto.backend }
  }

  #carrierFor(addr: string): Carrier {
    const scheme = addressScheme(addr)
    const carrier = this.#carriers.get(scheme)
    if (carrier === undefined) {
      throw new InvalidAddressError(`no carrier for "${scheme}://" (configured: ${[...this.#carriers.keys()].map((s) => `${s}://`).join(', ')})`)
    }
    return carrier
  }

  async listen(addr: string, options?: AbortOptions): Promise<string> {
    if (this.#closed) throw new NotStartedError('transport is closed')
    throwIfAborted(options?.signal)
    const carrier = this.#carrierFor(addr)
    await this.#loadCrypto()
    const listener = await carrier.listen(addr, (pipe) => this.#onInboundPipe(pipe), options)
    if (this.#closed) { await listener.close(); throw new NotStartedError('transport is closed') }
    this.#listeners.push(listener)
    return listener.addr
  }

  #onInboundPipe(pipe: BytePipe): void {
    if (this.#closed || this.#connections.size >= this.#options.maxConnections) {
      this.#refusedPipes++
      pipe.close(new ConnectionClosedError('refused: too many connections'))
      return
    }
    const entry = this.#edge.admit(pipe, (source) => this.#inboundFrom(source))
    if (entry === undefined) return
    void this.#loadCrypto()
      .then((crypto) => secureInbound(pipe, this.#handshakeInit(crypto), {
        timeoutMs: this.#options.handshakeTimeoutMs,
        signal: entry.abort.signal,
        beforeCrypto: (_m1, signal) => this.#edge.beforeCrypto(entry, signal),
      }).then((secured) => { this.#register(secured, pipe, 'inbound', crypto.aead) }))
      .catch(() => { this.#failedHandshakes++ })
      .finally(() => this.#edge.release(entry))
  }

  #inboundFrom(source: string): number {
    let n = 0
    for (const c of this.#connections) if (c.direction === 'inbound' && sourceOf(c.remoteAddr) === source) n++
    return n
  }

  async dial(addr: string, options?: DialOptions): Promise<Connection> {
    if (this.#closed) throw new NotStartedError('transport is closed')
    throwIfAborted(options?.signal)
    const expectedPeer = options?.expectedPeer
    if (expectedPeer !== undefined) {
      if (expectedPeer.equals(this.peerId)) throw new InvalidParametersError('dial: expectedPeer is this transport itself')
      const existing = this.connectionTo(expectedPeer)
      if (existing !== undefined) return existing
      if (this.#edge.peerGraylisted(expectedPeer.toString())) throw new PeerGraylistedError(`dial: ${expectedPeer.toShortString()} is graylisted for misbehaving`)
    }
    const carrier = this.#carrierFor(addr)
    const crypto = await this.#loadCrypto()
    const pipe = await carrier.dial(addr, options)
    if (this.#closed) { pipe.close(); throw new NotStartedError('transport is closed') }
    this.#pendingPipes.add(pipe)
    try {
      if (options?.handshakeRole === 'responder') {
        const secured = await secureInbound(pipe, this.#handshakeInit(crypto), { timeoutMs: this.#options.handshakeTimeoutMs, signal: options.signal })
        if (expectedPeer !== undefined && !expectedPeer.equals(secured.result.remotePeer)) {
          const error = new PeerMismatchError(`expected peer ${expectedPeer.toShortString()}, authenticated ${secured.result.remotePeer.toShortString()}`)
          pipe.close(error)
          throw error
        }
        return this.#register(secured, pipe, 'inbound', crypto.aead)
      }
      const secured = await secureOutbound(pipe, this.#handshakeInit(crypto), {
        timeoutMs: this.#options.handshakeTimeoutMs, signal: options?.signal, expectedPeer,
      })
      return this.#register(secured, pipe, 'outbound', crypto.aead)
    } finally {
      this.#pendingPipes.delete(pipe)
    }
  }

  #register(secured: SecuredPipe, pipe: BytePipe, direction: 'inbound' | 'outbound', aead: Aead): SecureConnection {
    const connection = new SecureConnection({
      id: `${direction === 'inbound' ? 'in' : 'out'}-${this.#nextId++}`,
      direction,
      pipe,
      inbox: secured.inbox,
      handshake: secured.result,
      aead,
      rekey: this.#options.rekey,
      highWaterMark: this.#options.highWaterMark,
      maxPendingHandlers: this.#options.maxPendingHandlers,
      routes: this.#routes,
      traffic: this.#traffic,
      budget: this.#budget,
      onDrop: (reason) => { this.#drops[reason]++ },
      onInvalid: (conn) => { this.#penalize(conn, 1) },
      onViolation: (conn) => { this.#penalize(conn, this.#edge.limits.fatalViolationScore) },
      onClosed: (conn, error) => {
        if (!this.#connections.delete(conn)) return
        this.dispatchEvent(new CustomEvent('connection:close', { detail: error === undefined ? { connection: conn } : { connection: conn, error } }))
      },
    })
    if (this.#closed || connection.remotePeer.equals(this.peerId)) {
      connection.fail(new ConnectionClosedError(this.#closed ? 'transport is closed' : 'connected to self'))
      if (this.#closed) throw new NotStartedError('transport is closed')
      throw new DialError('the remote peer is this transport itself')
    }
    if (this.#edge.peerGraylisted(connection.remotePeer.toString())) {
      const error = new PeerGraylistedError(`${connection.remotePeer.toShortString()} is graylisted for misbehaving`)
      connection.fail(error)
      throw error
    }
    this.#connections.add(connection)
    this.dispatchEvent(new CustomEvent('connection:open', { detail: { connection } }))
    this.#deduplicate(connection)
    this.#capPerPeer(connection)
    connection.start()
    return connection
  }

  /** One identity holds at most `maxConnectionsPerPeer` connections: the newest replaces the oldest. */
  #capPerPeer(fresh: SecureConnection): void {
    const same = [...this.#connections].filter((c) => c.isOpen && c.remotePeer.equals(fresh.remotePeer))
    for (const old of same.slice(0, Math.max(0, same.length - this.#edge.limits.maxConnectionsPerPeer))) {
      if (old !== fresh) { this.#closedOverPeerCap++; void old.close() }
    }
  }

  /** Misbehaviour costs the peer score; at the limit all its connections end and it is graylisted. */
  #penalize(conn: SecureConnection, weight: number): void {
    if (!this.#edge.penalize(conn.remotePeer.toString(), conn.remoteAddr, weight)) return
    for (const c of [...this.#connections]) {
      if (c.remotePeer.equals(conn.remotePeer)) c.fail(new PeerGraylistedError(`${conn.remotePeer.toShortString()} is graylisted for misbehaving`))
    }
  }

  /**
   * Simultaneous dials leave two connections in opposite directions between the same peers. Both sides
   * keep the one initiated by the lower PeerId and close the other, so they agree without coordination.
   * Connections in the same direction (a peer dialling twice) are both kept.
   */
  #deduplicate(fresh: SecureConnection): void {
    for (const other of this.#connections) {
      if (other === fresh || !other.isOpen || !other.remotePeer.equals(fresh.remotePeer) || other.direction === fresh.direction) continue
      const weInitiateLower = this.peerId.compare(fresh.remotePeer) < 0
      const outbound = fresh.direction === 'outbound' ? fresh : other
      const inbound = fresh.direction === 'outbound' ? other : fresh
      void (weInitiateLower ? inbound : outbound).close()
      return
    }
  }

  handle(protocol: MessageProtocol, handler: MessageHandler): void {
    this.#routes.add('message', protocol, handler, 'handle')
  }

  handleDirect(protocol: MessageProtocol, handler: DirectHandler): void {
    this.#routes.add('direct', protocol, handler, 'handleDirect')
  }

  handleStream(protocol: StreamProtocol, handler: StreamHandler): void {
    this.#routes.add('stream', protocol, handler, 'handleStream')
  }

  unhandle(protocol: MessageProtocol | StreamProtocol | string): void {
    this.#routes.remove(protocol)
  }

  connections(): Connection[] {
    return [...this.#connections].filter((c) => c.isOpen)
  }

  connectionTo(peer: PeerId): Connection | undefined {
    let found: SecureConnection | undefined
    for (const c of this.#connections) if (c.isOpen && c.remotePeer.equals(peer)) found = c
    return found
  }

  listenAddrs(): string[] {
    return this.#listeners.map((l) => l.addr)
  }

  stats(): TransportStats {
    return {
      connections: this.#connections.size,
      pendingHandshakes: this.#pendingPipes.size + this.#edge.pending,
      failedHandshakes: this.#failedHandshakes,
      refusedPipes: this.#refusedPipes + this.#edge.stats().refusedPipes,
      edge: { ...this.#edge.stats(), closedOverPeerCap: this.#closedOverPeerCap },
      drops: { ...this.#drops },
      streamMemory: { reserved: this.#budget.reserved, buffered: this.#budget.buffered, limit: this.#budget.limit },
      traffic: this.#traffic.entries(),
    }
  }

  async close(options?: AbortOptions): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const listeners = this.#listeners.splice(0)
    await Promise.all(listeners.map((l) => l.close()))
    for (const pipe of this.#pendingPipes) pipe.close(new ConnectionClosedError('transport is closing'))
    this.#edge.closeAll()
    const closing = Promise.all([...this.#connections].map((c) => c.close()))
    const aborted = new Promise<void>((resolve) => options?.signal?.addEventListener('abort', () => resolve(), { once: true }))
    await Promise.race([closing, aborted])
    for (const c of [...this.#connections]) c.fail(new ConnectionClosedError('transport is closing'))
    await Promise.all(this.#ownedCarriers.map((c) => c.close()))
  }
}

/** Creates a transport for `init.identity` over `init.carriers` (default: TCP). */
export function createTransport(init: TransportInit): Transport {
  return new SecureTransport(init)
}
