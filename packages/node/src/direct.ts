/**
 * Direct messages and streams between nodes (SPEC.md section 5.5-5.6): the node's `handle`,
 * `request`, `send`, `handleStream` and `openStream`. Handlers registered before `start` are installed
 * on the transport when it exists; a peer without a connection is dialled at an address the node
 * knows (membership adverts, then the peer cache), and a peer with none is a NoRouteError.
 */
import {
  NoRouteError, ProtocolAlreadyHandledError, validateMessageProtocol, validateProtocolName, validateStreamProtocol,
  type Connection, type DirectHandler, type MessageProtocol, type RequestOptions, type StreamHandler, type StreamProtocol,
  type StreamWriter, type Transport,
} from '@saorsa-gossip/transport'
import { InvalidParametersError, NotStartedError, PeerId, throwIfAborted } from '@saorsa-gossip/types'

export interface DirectOptions { signal?: AbortSignal }

/** The direct-message surface of a node (`SaorsaNode` extends it). */
export interface DirectApi {
  /** Answers requests (and receives one-way messages) of `protocol` from any peer; a name in use throws ProtocolAlreadyHandledError. */
  handle(protocol: MessageProtocol, handler: DirectHandler): void
  /** Accepts inbound bulk streams of `protocol` (at most `protocol.maxBytes` each). */
  handleStream(protocol: StreamProtocol, handler: StreamHandler): void
  unhandle(protocol: MessageProtocol | StreamProtocol | string): void
  /** Resolves with `peer`'s response; RequestTimeoutError, RequestRefusedError, NoRouteError, AbortError. */
  request(peer: PeerId, protocol: MessageProtocol, message: Uint8Array, options?: RequestOptions): Promise<Uint8Array>
  /** A one-way direct message to `peer`'s handler of `protocol`. */
  send(peer: PeerId, protocol: MessageProtocol, message: Uint8Array, options?: DirectOptions): Promise<void>
  /** A flow-controlled bulk stream to `peer`'s stream handler of `protocol`. */
  openStream(peer: PeerId, protocol: StreamProtocol, options?: DirectOptions): Promise<StreamWriter>
}

type Registration =
  | { readonly kind: 'direct'; readonly protocol: MessageProtocol; readonly handler: DirectHandler }
  | { readonly kind: 'stream'; readonly protocol: StreamProtocol; readonly handler: StreamHandler }

export class DirectMessaging implements DirectApi {
  readonly #registrations = new Map<string, Registration>()
  readonly #addrsOf: (peer: PeerId) => readonly string[]
  #transport: Transport | undefined

  constructor(addrsOf: (peer: PeerId) => readonly string[]) {
    this.#addrsOf = addrsOf
  }

  /** Installs every registration on a freshly started transport. */
  attach(transport: Transport): void {
    this.#transport = transport
    for (const r of this.#registrations.values()) this.#install(transport, r)
  }

  detach(): void {
    this.#transport = undefined
  }

  handle(protocol: MessageProtocol, handler: DirectHandler): void {
    this.#register({ kind: 'direct', protocol, handler })
  }

  handleStream(protocol: StreamProtocol, handler: StreamHandler): void {
    this.#register({ kind: 'stream', protocol, handler })
  }

  unhandle(protocol: MessageProtocol | StreamProtocol | string): void {
    const name = validateProtocolName(typeof protocol === 'string' ? protocol : protocol?.name, 'unhandle')
    this.#registrations.delete(name)
    this.#transport?.unhandle(name)
  }

  async request(peer: PeerId, protocol: MessageProtocol, message: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    return (await this.#route(peer, options.signal)).request(protocol, message, options)
  }

  async send(peer: PeerId, protocol: MessageProtocol, message: Uint8Array, options: DirectOptions = {}): Promise<void> {
    await (await this.#route(peer, options.signal)).sendDirect(protocol, message, options)
  }

  async openStream(peer: PeerId, protocol: StreamProtocol, options: DirectOptions = {}): Promise<StreamWriter> {
    return (await this.#route(peer, options.signal)).openStream(protocol, options)
  }

  #register(r: Registration): void {
    if (r.kind === 'direct') validateMessageProtocol(r.protocol, 'handle')
    else validateStreamProtocol(r.protocol, 'handleStream')
    if (typeof r.handler !== 'function') throw new InvalidParametersError('handle: handler must be a function')
    if (this.#registrations.has(r.protocol.name)) throw new ProtocolAlreadyHandledError(`handle: "${r.protocol.name}" already has a handler`)
    // While running, the transport also refuses names its layers use (membership, pubsub).
    if (this.#transport !== undefined) this.#install(this.#transport, r)
    this.#registrations.set(r.protocol.name, r)
  }

  #install(transport: Transport, r: Registration): void {
    if (r.kind === 'direct') transport.handleDirect(r.protocol, r.handler)
    else transport.handleStream(r.protocol, r.handler)
  }

  async #route(peer: PeerId, signal: AbortSignal | undefined): Promise<Connection> {
    const transport = this.#transport
    if (transport === undefined) throw new NotStartedError('node is not running')
    if (!(peer instanceof PeerId)) throw new InvalidParametersError('peer must be a PeerId')
    throwIfAborted(signal)
    const connected = transport.connectionTo(peer)
    if (connected !== undefined) return connected
    const addrs = this.#addrsOf(peer)
    if (addrs.length === 0) throw new NoRouteError(`no connection to ${peer.toShortString()} and no known address`)
    return this.#dialAny(transport, peer, addrs, signal)
  }

  /**
   * Connects to `peer` at one of `addrs` (learnt elsewhere, e.g. a rendezvous record), in order; the
   * handshake must prove `peer`. Later requests to `peer` use the connection while it stays open.
   */
  async reach(peer: PeerId, addrs: readonly string[], options: DirectOptions = {}): Promise<void> {
    const transport = this.#transport
    if (transport === undefined) throw new NotStartedError('node is not running')
    if (!(peer instanceof PeerId)) throw new InvalidParametersError('peer must be a PeerId')
    throwIfAborted(options.signal)
    if (transport.connectionTo(peer) !== undefined) return
    if (addrs.length === 0) throw new NoRouteError(`no address to reach ${peer.toShortString()} at`)
    await this.#dialAny(transport, peer, addrs, options.signal)
  }

  async #dialAny(transport: Transport, peer: PeerId, addrs: readonly string[], signal: AbortSignal | undefined): Promise<Connection> {
    let last: unknown
    for (const addr of addrs) {
      try {
        return await transport.dial(addr, signal === undefined ? { expectedPeer: peer } : { signal, expectedPeer: peer })
      } catch (error) {
        throwIfAborted(signal)
        last = error
      }
    }
    throw new NoRouteError(`no known address of ${peer.toShortString()} answered (${addrs.length} tried)`, { cause: last })
  }
}
