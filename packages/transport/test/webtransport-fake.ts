/**
 * An in-process stand-in for @fails-components/webtransport with the HTTP/3 addon "loaded", for testing
 * the WebTransport carrier's HTTP/3 / HTTP/2 selection where the native addon cannot be installed. It
 * records every server and client the carrier creates, routes HTTP/2 clients to "TCP" ports and HTTP/3
 * clients to "UDP" ports, and checks pinned certificate hashes the way the real HTTP/3 client does.
 */
import { createHash, X509Certificate } from 'node:crypto'
import type {
  WtBidirectionalStream, WtClientInit, WtCloseInfo, WtLibrary, WtServer, WtServerInit, WtSession,
} from '../src/webtransport/index.ts'

export type UdpBehaviour = 'reachable' | 'refused' | 'silent'

export interface FakeNetwork {
  readonly library: WtLibrary
  readonly servers: Array<{ kind: 'h2' | 'h3'; init: WtServerInit; certHash: Uint8Array }>
  readonly clients: Array<{ url: string; init: WtClientInit }>
  /** How a UDP port answers HTTP/3 clients; 'silent' never answers (a black hole). */
  udp: UdpBehaviour
  /** Whether TCP ports answer HTTP/2 clients; 'silent' never answers. */
  tcp: 'reachable' | 'silent'
  /** Makes every HTTP/3 server fail to bind its UDP socket. */
  http3BindFails: boolean
}

interface Deferred<T> { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void }
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => { /* observed by the carrier */ })
  return { promise, resolve, reject }
}

class FakeSession implements WtSession {
  readonly ready: Promise<void>
  readonly closed: Promise<WtCloseInfo>
  readonly incomingBidirectionalStreams: ReadableStream<WtBidirectionalStream>
  readonly incomingUnidirectionalStreams = new ReadableStream<ReadableStream<Uint8Array>>()
  readonly datagrams = { readable: new ReadableStream<Uint8Array>() }
  readonly peerAddress?: string
  peer: FakeSession | undefined
  readonly #closed = deferred<WtCloseInfo>()
  readonly #transforms: Array<TransformStream<Uint8Array, Uint8Array>> = []
  #incoming!: ReadableStreamDefaultController<WtBidirectionalStream>
  #ended = false

  constructor(ready: Promise<void>, peerAddress?: string) {
    this.ready = ready
    this.closed = this.#closed.promise
    if (peerAddress !== undefined) this.peerAddress = peerAddress
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => { this.#incoming = c } })
  }

  async createBidirectionalStream(): Promise<WtBidirectionalStream> {
    const peer = this.peer
    if (this.#ended || peer === undefined) throw new Error('session is not connected')
    const out = new TransformStream<Uint8Array, Uint8Array>()
    const back = new TransformStream<Uint8Array, Uint8Array>()
    this.#transforms.push(out, back)
    peer.#incoming.enqueue({ readable: out.readable, writable: back.writable })
    return { readable: back.readable, writable: out.writable }
  }

  close(info: WtCloseInfo = {}): void {
    this.#end(info)
    if (this.peer !== undefined) this.peer.#end(info)
  }

  fail(error: Error): void {
    this.#closed.reject(error)
    this.#ended = true
  }

  #end(info: WtCloseInfo): void {
    if (this.#ended) return
    this.#ended = true
    for (const t of this.#transforms) t.writable.abort(new Error('session closed')).catch(() => { /* already ended */ })
    try { this.#incoming.close() } catch { /* already closed */ }
    this.#closed.resolve({ closeCode: info.closeCode ?? 0, reason: info.reason ?? '' })
  }
}

/** Creates a fake library (with `http3` as given) and the network its servers and clients share. */
export function createFakeNetwork(options: { http3: boolean }): FakeNetwork {
  const tcp = new Map<number, FakeServer>()
  const udp = new Map<number, FakeServer>()
  let nextPort = 41000
  let nextClientPort = 50000

  class FakeServer implements WtServer {
    readonly ready: Promise<void>
    readonly closed: Promise<void>
    readonly certHash: Uint8Array
    readonly #ready = deferred<void>()
    readonly #closed = deferred<void>()
    readonly #kind: 'h2' | 'h3'
    readonly #init: WtServerInit
    #port: number | undefined
    #sessions: ReadableStreamDefaultController<WtSession> | undefined

    constructor(kind: 'h2' | 'h3', init: WtServerInit) {
      this.#kind = kind
      this.#init = init
      this.ready = this.#ready.promise
      this.closed = this.#closed.promise
      this.certHash = new Uint8Array(createHash('sha256').update(new X509Certificate(init.cert).raw).digest())
      network.servers.push({ kind, init, certHash: this.certHash })
    }

    sessionStream(): ReadableStream<WtSession> {
      return new ReadableStream({ start: (c) => { this.#sessions = c } })
    }

    startServer(): void {
      const ports = this.#kind === 'h2' ? tcp : udp
      const port = this.#init.port === 0 ? nextPort++ : this.#init.port
      if ((this.#kind === 'h3' && network.http3BindFails) || ports.has(port)) {
        this.#ready.reject(new Error(`bind ${port}: EADDRINUSE`))
        return
      }
      ports.set(port, this)
      this.#port = port
      this.#ready.resolve()
    }

    stopServer(): void {
      const ports = this.#kind === 'h2' ? tcp : udp
      if (this.#port !== undefined && ports.get(this.#port) === this) ports.delete(this.#port)
      try { this.#sessions?.close() } catch { /* already closed */ }
      this.#closed.resolve()
    }

    address(): { port: number; host: string } | null {
      return this.#port === undefined ? null : { port: this.#port, host: this.#init.host }
    }

    accept(): FakeSession {
      const client = new FakeSession(Promise.resolve())
      const server = new FakeSession(Promise.resolve(), `127.0.0.1:${nextClientPort++}`)
      client.peer = server
      server.peer = client
      this.#sessions?.enqueue(server)
      return client
    }
  }

  function refused(message: string): FakeSession {
    const session = new FakeSession(Promise.reject(new Error(message)))
    session.ready.catch(() => { /* observed by the carrier */ })
    session.fail(new Error(message))
    return session
  }

  function connect(url: string, init: WtClientInit): FakeSession {
    network.clients.push({ url, init })
    const port = Number(new URL(url).port)
    if ('requireUnreliable' in init) {
      if (!options.http3) throw new Error('Lib quiche loading attempt did not end')
      if (network.udp === 'silent') return new FakeSession(new Promise<void>(() => { /* no answer */ }))
      const server = udp.get(port)
      if (network.udp === 'refused' || server === undefined) return refused('Opening handshake failed.')
      const pinned = init.serverCertificateHashes.some((h) => h.algorithm === 'sha-256' && Buffer.compare(h.value, server.certHash) === 0)
      return pinned ? server.accept() : refused('Opening handshake failed. (certificate hash mismatch)')
    }
    if (init.forceReliable !== true || init.skipServerCertificateVerification !== true) throw new Error('HTTP/2 client without the expected options')
    if (network.tcp === 'silent') return new FakeSession(new Promise<void>(() => { /* no answer */ }))
    const server = tcp.get(port)
    return server === undefined ? refused('connect ECONNREFUSED') : server.accept()
  }

  const library: WtLibrary = {
    Http2Server: function (init: WtServerInit) { return new FakeServer('h2', init) } as unknown as WtLibrary['Http2Server'],
    Http3Server: function (init: WtServerInit) { return new FakeServer('h3', init) } as unknown as WtLibrary['Http3Server'],
    WebTransportClient: function (url: string, init: WtClientInit) { return connect(url, init) } as unknown as WtLibrary['WebTransportClient'],
    http3: options.http3,
  }
  const network: FakeNetwork = { library, servers: [], clients: [], udp: 'reachable', tcp: 'reachable', http3BindFails: false }
  return network
}
