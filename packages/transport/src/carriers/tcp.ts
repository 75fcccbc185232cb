/**
 * TCP carrier over node:net (the default carrier). Nagle is disabled (the channel already batches
 * frames into records), writes wait for 'drain' when the socket buffer is over its high-water mark,
 * and a graceful close sends FIN after flushing, with a bounded linger before the socket is destroyed.
 */
import { throwIfAborted, AbortError } from '@saorsa-gossip/types'
import { createConnection, createServer, type NetConnectOpts, type Server, type Socket } from 'node:net'
import type { AbortOptions, BytePipe, Carrier, CarrierListener } from '../carrier.ts'
import { formatHostPort, parseHostPort } from '../address.ts'
import { ConnectionClosedError, DialError } from '../errors.ts'
import { DrainWaiters, closedError } from './waiters.ts'

export interface TcpCarrierInit {
  /** How long a gracefully closed socket may wait for the peer's FIN before it is destroyed (ms). */
  lingerMs?: number
  /** Dial timeout in ms (connection refused fails at once; this bounds black holes). Default 10 s. */
  dialTimeoutMs?: number
}

/** Socket buffer mark: large enough that one round of records (up to about 1 MiB) does not wait for 'drain'. */
const SOCKET_HIGH_WATER_MARK = 1024 * 1024

type Reader = { onData(chunk: Uint8Array): void; onEnd(error?: Error): void }

class TcpPipe implements BytePipe {
  readonly localAddr: string
  readonly remoteAddr: string
  readonly #socket: Socket
  readonly #drain = new DrainWaiters()
  readonly #lingerMs: number
  #reader: Reader | undefined
  #pendingEnd: { error: Error | undefined } | undefined
  #closed = false
  #ended = false
  #paused = false

  constructor(socket: Socket, lingerMs: number, readonly onGone: (pipe: TcpPipe) => void) {
    this.#socket = socket
    this.#lingerMs = lingerMs
    socket.setNoDelay(true)
    socket.pause()
    this.localAddr = formatHostPort('tcp', socket.localAddress ?? '0.0.0.0', socket.localPort ?? 0)
    this.remoteAddr = formatHostPort('tcp', socket.remoteAddress ?? '0.0.0.0', socket.remotePort ?? 0)
    socket.on('data', (data: Buffer) => this.#reader?.onData(data))
    socket.on('drain', () => this.#drain.resolveAll())
    socket.on('end', () => this.#finish(undefined))
    socket.on('error', (error) => this.#finish(error))
    socket.on('close', () => this.#finish(undefined))
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#closed || this.#socket.destroyed || !this.#socket.writable) return Promise.reject(closedError())
    // Ownership passes to the carrier (contract), so a view is enough: no copy on the hot path.
    const ok = this.#socket.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    return ok ? Promise.resolve() : this.#drain.wait()
  }

  setReader(reader: Reader): void {
    if (this.#reader !== undefined) throw new Error('setReader: a reader is already installed')
    this.#reader = reader
    if (this.#pendingEnd !== undefined) {
      const { error } = this.#pendingEnd
      queueMicrotask(() => reader.onEnd(error))
      return
    }
    if (!this.#paused) this.#socket.resume()
  }

  pause(): void {
    this.#paused = true
    this.#socket.pause()
  }

  resume(): void {
    this.#paused = false
    if (this.#reader !== undefined) this.#socket.resume()
  }

  close(error?: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.#drain.rejectAll(closedError(error))
    if (error !== undefined) {
      this.#socket.resetAndDestroy()
    } else {
      this.#socket.end()
      const timer = setTimeout(() => this.#socket.destroy(), this.#lingerMs)
      timer.unref()
      this.#socket.once('close', () => clearTimeout(timer))
    }
    this.#notifyEnd(error)
  }

  /** Carrier shutdown: closes at once, even a gracefully closed socket still waiting for the peer's FIN. */
  destroy(): void {
    this.close(new ConnectionClosedError('carrier closed'))
    this.#socket.destroy()
  }

  #finish(error: Error | undefined): void {
    if (!this.#closed) {
      this.#closed = true
      this.#drain.rejectAll(closedError(error))
      if (error !== undefined) this.#socket.destroy()
      else this.#socket.end()
    }
    this.#notifyEnd(error === undefined ? undefined : closedError(error))
    if (this.#socket.destroyed) this.onGone(this)
    else this.#socket.once('close', () => this.onGone(this))
  }

  #notifyEnd(error: Error | undefined): void {
    if (this.#ended) return
    this.#ended = true
    const reader = this.#reader
    if (reader === undefined) this.#pendingEnd = { error }
    else queueMicrotask(() => reader.onEnd(error))
  }
}

class TcpCarrier implements Carrier {
  readonly scheme = 'tcp'
  readonly #servers = new Set<Server>()
  readonly #pipes = new Set<TcpPipe>()
  readonly #lingerMs: number
  readonly #dialTimeoutMs: number

  constructor(init: TcpCarrierInit) {
    this.#lingerMs = init.lingerMs ?? 2_000
    this.#dialTimeoutMs = init.dialTimeoutMs ?? 10_000
  }

  #track(socket: Socket): TcpPipe {
    const pipe = new TcpPipe(socket, this.#lingerMs, (p) => this.#pipes.delete(p))
    this.#pipes.add(pipe)
    return pipe
  }

  async listen(addr: string, onPipe: (pipe: BytePipe) => void, options?: AbortOptions): Promise<CarrierListener> {
    throwIfAborted(options?.signal)
    const { host, port } = parseHostPort(addr, 'tcp')
    const server = createServer({ noDelay: true, pauseOnConnect: true, highWaterMark: SOCKET_HIGH_WATER_MARK }, (socket) => {
      if (socket.remoteAddress === undefined) { socket.destroy(); return }
      onPipe(this.#track(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port }, () => { server.off('error', reject); resolve() })
    })
    server.on('error', () => { /* accept errors (EMFILE) are transient; the listener keeps serving */ })
    this.#servers.add(server)
    const bound = server.address()
    const boundAddr = typeof bound === 'object' && bound !== null ? formatHostPort('tcp', bound.address, bound.port) : addr
    const servers = this.#servers
    return {
      addr: boundAddr,
      // Stops accepting; established pipes stay up (node's close callback would wait for all of them).
      close: async () => {
        if (servers.delete(server)) server.close()
      },
    }
  }

  async dial(addr: string, options?: AbortOptions & { localPort?: number }): Promise<BytePipe> {
    throwIfAborted(options?.signal)
    const { host, port } = parseHostPort(addr, 'tcp')
    if (port === 0) throw new DialError(`cannot dial port 0 (${addr})`)
    const localPort = options?.localPort
    if (localPort !== undefined && (!Number.isSafeInteger(localPort) || localPort < 1 || localPort > 65535)) {
      throw new DialError(`localPort must be 1..65535, got ${localPort}`)
    }
    return new Promise<BytePipe>((resolve, reject) => {
      // node passes stream options through to the socket although NetConnectOpts does not declare them.
      // libuv sets SO_REUSEADDR on every bind, so several dials may share `localPort` (a NAT mapping).
      const socket = createConnection({
        host, port, noDelay: true, highWaterMark: SOCKET_HIGH_WATER_MARK, ...(localPort === undefined ? {} : { localPort }),
      } as NetConnectOpts)
      socket.pause()
      const signal = options?.signal
      const cleanup = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        socket.off('error', onError)
        socket.off('connect', onConnect)
      }
      const onAbort = (): void => { cleanup(); socket.destroy(); reject(new AbortError(undefined, { cause: signal?.reason })) }
      const onError = (error: Error): void => { cleanup(); socket.destroy(); reject(new DialError(`dial ${addr} failed: ${error.message}`, { cause: error })) }
      const onConnect = (): void => { cleanup(); resolve(this.#track(socket)) }
      const timer = setTimeout(() => onError(new Error(`timed out after ${this.#dialTimeoutMs} ms`)), this.#dialTimeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      socket.once('error', onError)
      socket.once('connect', onConnect)
    })
  }

  async close(): Promise<void> {
    const servers = [...this.#servers]
    this.#servers.clear()
    for (const pipe of [...this.#pipes]) pipe.destroy()
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  }
}

/** Creates the TCP carrier (`tcp://host:port`, `tcp://[v6]:port`). */
export function createTcpCarrier(init: TcpCarrierInit = {}): Carrier {
  return new TcpCarrier(init)
}
