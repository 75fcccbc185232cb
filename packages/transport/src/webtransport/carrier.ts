/**
 * The WebTransport carrier (`wt://host:port`): WebTransport over HTTP/2 (draft-ietf-webtrans-http2)
 * with @fails-components/webtransport. Each BytePipe is its own session carrying one long-lived
 * bidirectional stream; the secure channel above frames everything. TLS only wraps the bytes: peers
 * authenticate in the post-quantum handshake (SPEC.md section 5), see README.md in this directory.
 */
import { AbortError, throwIfAborted } from '@saorsa-gossip/types'
import { isIP } from 'node:net'
import { formatHostPort, parseHostPort } from '../address.ts'
import type { AbortOptions, BytePipe, Carrier, CarrierListener } from '../carrier.ts'
import { DialError } from '../errors.ts'
import { createSelfSignedCertificate } from './certificate.ts'
import { loadWebTransportLibrary, type WtLibrary, type WtSession } from './library.ts'
import { CLOSE_ERROR, WtPipe } from './pipe.ts'

export interface WebTransportCarrierInit {
  /** Dial timeout in ms, covering TCP, TLS, HTTP/2 and the session and stream set-up. Default 10 s. */
  dialTimeoutMs?: number
  /** How long an accepted session may take to open its stream before it is closed (ms). Default 10 s. */
  streamOpenTimeoutMs?: number
  /** After a graceful pipe close, how long to wait for the peer to close the session (ms). Default 2 s. */
  lingerMs?: number
  /** Initial per-stream and per-session flow-control windows in bytes (both ends). Default 256 KiB and 1 MiB. */
  streamWindowBytes?: number
  sessionWindowBytes?: number
}

/** The HTTP path of the WebTransport endpoint; versioned so a future wire change can coexist. */
export const WT_PATH = '/saorsa-gossip/1'
/** Streams a peer may open per session: one is used, the rest is slack for the library's accounting. */
const MAX_STREAMS_PER_SESSION = 4

interface Settings {
  dialTimeoutMs: number
  streamOpenTimeoutMs: number
  lingerMs: number
  streamWindowBytes: number
  sessionWindowBytes: number
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`)
  return value
}

/** Closes a session on any protocol use beyond our single bidirectional stream. */
function rejectExtraUse(session: WtSession): void {
  const violation = (what: string) => () => { try { session.close({ closeCode: CLOSE_ERROR, reason: `unexpected ${what}` }) } catch { /* already closed */ } }
  const watch = <T>(stream: ReadableStream<T>, what: string): void => {
    stream.getReader().read().then(({ done }) => { if (!done) violation(what)() }, () => { /* session closed */ })
  }
  watch(session.datagrams.readable, 'datagram')
  watch(session.incomingUnidirectionalStreams, 'unidirectional stream')
  watch(session.incomingBidirectionalStreams, 'second bidirectional stream')
}

function remoteFromPeerAddress(peerAddress: string | undefined): string {
  if (peerAddress === undefined) return 'wt://0.0.0.0:0'
  const colon = peerAddress.lastIndexOf(':')
  const host = peerAddress.slice(0, colon).replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
  const port = Number(peerAddress.slice(colon + 1))
  return isIP(host) === 0 || !Number.isInteger(port) ? 'wt://0.0.0.0:0' : formatHostPort('wt', host, port)
}

class WebTransportCarrier implements Carrier {
  readonly scheme = 'wt'
  readonly #settings: Settings
  readonly #pipes = new Set<WtPipe>()
  readonly #listeners = new Set<WtListener>()
  readonly #dialing = new Set<WtSession>()

  constructor(init: WebTransportCarrierInit) {
    this.#settings = {
      dialTimeoutMs: positiveInt(init.dialTimeoutMs, 10_000, 'dialTimeoutMs'),
      streamOpenTimeoutMs: positiveInt(init.streamOpenTimeoutMs, 10_000, 'streamOpenTimeoutMs'),
      lingerMs: positiveInt(init.lingerMs, 2_000, 'lingerMs'),
      streamWindowBytes: positiveInt(init.streamWindowBytes, 256 * 1024, 'streamWindowBytes'),
      sessionWindowBytes: positiveInt(init.sessionWindowBytes, 1024 * 1024, 'sessionWindowBytes'),
    }
  }

  track(pipe: WtPipe): WtPipe {
    this.#pipes.add(pipe)
    return pipe
  }

  untrack(pipe: WtPipe): void {
    this.#pipes.delete(pipe)
  }

  async listen(addr: string, onPipe: (pipe: BytePipe) => void, options?: AbortOptions): Promise<CarrierListener> {
    throwIfAborted(options?.signal)
    const { host, port } = parseHostPort(addr, 'wt')
    const listener = new WtListener(this, this.#settings, host, port, onPipe, () => this.#listeners.delete(listener))
    this.#listeners.add(listener)
    try {
      await listener.start(options?.signal)
    } catch (error) {
      await listener.close()
      throw error
    }
    return listener
  }

  async dial(addr: string, options?: AbortOptions): Promise<BytePipe> {
    throwIfAborted(options?.signal)
    const { host, port } = parseHostPort(addr, 'wt')
    if (port === 0) throw new DialError(`cannot dial port 0 (${addr})`)
    const s = this.#settings
    const urlHost = isIP(host) === 6 ? `[${host}]` : host
    const { WebTransportClient } = await loadWebTransportLibrary()
    throwIfAborted(options?.signal)
    const session = new WebTransportClient(`https://${urlHost}:${port}${WT_PATH}`, {
      forceReliable: true,
      skipServerCertificateVerification: true,
      initialBidirectionalSendStreams: MAX_STREAMS_PER_SESSION,
      initialUnidirectionalSendStreams: 1,
      initialStreamFlowControlWindow: s.streamWindowBytes,
      initialSessionFlowControlWindow: s.sessionWindowBytes,
    })
    this.#dialing.add(session)
    session.closed.catch(() => { /* a failed connect rejects closed; reported through ready */ })
    session.ready.catch(() => { /* awaited below */ })
    const signal = options?.signal
    let timer: ReturnType<typeof setTimeout> | undefined
    let onAbort: (() => void) | undefined
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DialError(`dial ${addr} timed out after ${s.dialTimeoutMs} ms`)), s.dialTimeoutMs)
      onAbort = () => reject(new AbortError(undefined, { cause: signal?.reason }))
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    const ended = session.closed.then(
      () => { throw new DialError(`dial ${addr}: session closed during set-up`) },
      (error: unknown) => { throw new DialError(`dial ${addr} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }) },
    )
    try {
      const stream = await Promise.race([
        session.ready.then(() => session.createBidirectionalStream()),
        ended,
        giveUp,
      ])
      rejectExtraUse(session)
      const pipe = new WtPipe({
        session,
        stream,
        localAddr: formatHostPort('wt', isIP(host) === 6 ? '::' : '0.0.0.0', 0),
        remoteAddr: formatHostPort('wt', host, port),
        lingerMs: s.lingerMs,
        onGone: (p) => this.untrack(p),
      })
      return this.track(pipe)
    } catch (error) {
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'dial abandoned' }) } catch { /* never connected */ }
      if (error instanceof AbortError || error instanceof DialError) throw error
      throw new DialError(`dial ${addr} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    } finally {
      clearTimeout(timer)
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
      this.#dialing.delete(session)
    }
  }

  async close(): Promise<void> {
    for (const session of this.#dialing) {
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'carrier closed' }) } catch { /* not connected yet */ }
    }
    for (const pipe of [...this.#pipes]) pipe.destroy('carrier closed')
    await Promise.all([...this.#listeners].map((l) => l.close()))
  }
}

class WtListener implements CarrierListener {
  addr: string
  readonly #carrier: WebTransportCarrier
  readonly #settings: Settings
  readonly #host: string
  readonly #port: number
  readonly #onPipe: (pipe: BytePipe) => void
  readonly #onClosed: () => void
  readonly #sessions = new Set<WtSession>()
  readonly #pipes = new Set<WtPipe>()
  #server: ReturnType<typeof createServer> | undefined
  #closing: Promise<void> | undefined

  constructor(carrier: WebTransportCarrier, settings: Settings, host: string, port: number, onPipe: (pipe: BytePipe) => void, onClosed: () => void) {
    this.#carrier = carrier
    this.#settings = settings
    this.#host = host
    this.#port = port
    this.#onPipe = onPipe
    this.#onClosed = onClosed
    this.addr = formatHostPort('wt', host, port)
  }

  async start(signal: AbortSignal | undefined): Promise<void> {
    const hosts = isIP(this.#host) !== 0 ? [this.#host] : [this.#host, '127.0.0.1']
    const library = await loadWebTransportLibrary()
    const certificate = createSelfSignedCertificate(hosts)
    const server = createServer(library, this.#host, this.#port, certificate.certPem, certificate.keyPem, this.#settings)
    this.#server = server
    const sessions = server.sessionStream(WT_PATH)
    server.startServer()
    let onAbort: (() => void) | undefined
    await Promise.race([
      server.ready,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(new AbortError(undefined, { cause: signal?.reason }))
        signal?.addEventListener('abort', onAbort, { once: true })
      }),
    ]).finally(() => { if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort) })
    const bound = server.address()
    if (bound === null) throw new DialError(`listen ${this.addr}: the server reported no address`)
    this.addr = formatHostPort('wt', this.#host, bound.port)
    void this.#accept(sessions.getReader())
  }

  async #accept(reader: ReadableStreamDefaultReader<WtSession>): Promise<void> {
    for (;;) {
      let session: WtSession | undefined
      try { ({ value: session } = await reader.read()) } catch { return }
      if (session === undefined) return
      this.#adopt(session)
    }
  }

  #adopt(session: WtSession): void {
    if (this.#closing !== undefined) {
      session.closed.catch(() => { /* closing */ })
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'listener closed' }) } catch { /* gone */ }
      return
    }
    this.#sessions.add(session)
    session.closed.catch(() => { /* reported through the pipe or the timeout below */ }).finally(() => this.#sessions.delete(session))
    const timer = setTimeout(() => {
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'no stream opened in time' }) } catch { /* gone */ }
    }, this.#settings.streamOpenTimeoutMs)
    timer.unref()
    const streams = session.incomingBidirectionalStreams.getReader()
    session.ready
      .then(() => streams.read())
      .then(({ value: stream, done }) => {
        clearTimeout(timer)
        streams.releaseLock()
        if (done || this.#closing !== undefined) {
          try { session.close({ closeCode: CLOSE_ERROR, reason: 'listener closed' }) } catch { /* gone */ }
          return
        }
        rejectExtraUse(session)
        const pipe = new WtPipe({
          session,
          stream,
          localAddr: this.addr,
          remoteAddr: remoteFromPeerAddress(session.peerAddress),
          lingerMs: this.#settings.lingerMs,
          onGone: (p) => { this.#pipes.delete(p); this.#carrier.untrack(p) },
        })
        this.#pipes.add(pipe)
        this.#carrier.track(pipe)
        this.#onPipe(pipe)
      })
      .catch(() => { clearTimeout(timer) })
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    this.#onClosed()
    for (const pipe of [...this.#pipes]) pipe.destroy('listener closed')
    for (const session of this.#sessions) {
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'listener closed' }) } catch { /* gone */ }
    }
    const server = this.#server
    if (server === undefined) return
    try { server.stopServer() } catch { /* never started */ }
    // The patched stopServer also ends the HTTP/2 connections; a peer that never answers the
    // GOAWAY must not hold close() open, so wait a bounded time only.
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([server.closed, new Promise<void>((resolve) => { timer = setTimeout(resolve, this.#settings.lingerMs) })])
    clearTimeout(timer)
  }
}

function createServer(library: WtLibrary, host: string, port: number, cert: string, privKey: string, s: Settings) {
  return new library.Http2Server({
    host,
    port,
    cert,
    privKey,
    secret: 'unused-by-http2',
    initialStreamFlowControlWindow: s.streamWindowBytes,
    initialSessionFlowControlWindow: s.sessionWindowBytes,
    initialBidirectionalStreams: MAX_STREAMS_PER_SESSION,
    initialUnidirectionalStreams: 1,
  })
}

/** Creates the WebTransport carrier (`wt://host:port`, `wt://[v6]:port`), HTTP/2 only; see README.md here. */
export function createWebTransportCarrier(init: WebTransportCarrierInit = {}): Carrier {
  return new WebTransportCarrier(init)
}
