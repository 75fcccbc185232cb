/**
 * The WebTransport carrier's listener: WebTransport over HTTP/2 (draft-ietf-webtrans-http2) on TCP and,
 * when the library's HTTP/3 addon is loaded, also over HTTP/3 (draft-ietf-webtrans-http3) on UDP with
 * the same port number and certificate, whose SHA-256 the bound address then advertises (`?certhash=`).
 * Each accepted session must open one bidirectional stream, which becomes a BytePipe (README.md here).
 */
import { AbortError, raceAbort } from '@saorsa-gossip/types'
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import type { BytePipe, CarrierListener } from '../carrier.ts'
import { DialError } from '../errors.ts'
import { formatWtAddress } from './address.ts'
import { createSelfSignedCertificate, type SelfSignedCertificate } from './certificate.ts'
import type { WtLibrary, WtServer, WtSession } from './library.ts'
import { CLOSE_ERROR, WtPipe } from './pipe.ts'
import { MAX_STREAMS_PER_SESSION, rejectExtraUse, remoteFromPeerAddress, WT_PATH, type WtSettings } from './session-rules.ts'

/**
 * How long the HTTP/3 server may take to bind its UDP socket. A bind reports success or failure within
 * milliseconds; the bound matters only if the library's addon load failed where ours succeeded, in
 * which case its server's `ready` never settles (probe note, section 1) and we serve HTTP/2 alone.
 */
export const HTTP3_START_TIMEOUT_MS = 5_000

/** What the listener needs from its carrier: pipe bookkeeping for carrier-wide shutdown. */
export interface PipeTracker {
  track(pipe: WtPipe): WtPipe
  untrack(pipe: WtPipe): void
}

export interface WtListenerInit {
  tracker: PipeTracker
  settings: WtSettings
  library: WtLibrary
  host: string
  port: number
  onPipe: (pipe: BytePipe) => void
  onClosed: () => void
}

export class WtListener implements CarrierListener {
  addr: string
  readonly #init: WtListenerInit
  readonly #sessions = new Set<WtSession>()
  readonly #pipes = new Set<WtPipe>()
  readonly #servers: WtServer[] = []
  #closing: Promise<void> | undefined

  constructor(init: WtListenerInit) {
    this.#init = init
    this.addr = formatWtAddress(init.host, init.port)
  }

  async start(signal: AbortSignal | undefined): Promise<void> {
    const { host, port, library, settings } = this.#init
    const hosts = isIP(host) !== 0 ? [host] : [host, '127.0.0.1']
    const certificate = createSelfSignedCertificate(hosts, { validityMs: settings.certificateValidityMs })
    const http2 = this.#serve(library.Http2Server, port, certificate, 'unused-by-http2')
    await raceAbort(http2.ready, signal)
    const bound = http2.address()
    if (bound === null) throw new DialError(`listen ${this.addr}: the server reported no address`)
    let certHash: Uint8Array | undefined
    if (settings.http3 === 'auto' && library.http3 && await this.#startHttp3(bound.port, certificate, signal)) {
      certHash = certificate.sha256
    }
    this.addr = formatWtAddress(host, bound.port, certHash)
  }

  /** Serves HTTP/3 on UDP `port`; false (and HTTP/2 alone) when the socket cannot be bound in time. */
  async #startHttp3(port: number, certificate: SelfSignedCertificate, signal: AbortSignal | undefined): Promise<boolean> {
    const http3 = this.#serve(this.#init.library.Http3Server, port, certificate, randomBytes(32).toString('hex'))
    let timer: ReturnType<typeof setTimeout> | undefined
    const tooSlow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DialError(`HTTP/3 server did not start within ${HTTP3_START_TIMEOUT_MS} ms`)), HTTP3_START_TIMEOUT_MS)
    })
    try {
      await raceAbort(Promise.race([http3.ready, tooSlow]), signal)
      return true
    } catch (error) {
      if (error instanceof AbortError) throw error
      this.#servers.splice(this.#servers.indexOf(http3), 1)
      http3.closed.catch(() => { /* abandoned */ })
      try { http3.stopServer() } catch { /* never bound */ }
      return false
    } finally {
      clearTimeout(timer)
    }
  }

  #serve(Server: WtLibrary['Http2Server'], port: number, certificate: SelfSignedCertificate, secret: string): WtServer {
    const s = this.#init.settings
    const server = new Server({
      host: this.#init.host,
      port,
      cert: certificate.certPem,
      privKey: certificate.keyPem,
      secret,
      initialStreamFlowControlWindow: s.streamWindowBytes,
      initialSessionFlowControlWindow: s.sessionWindowBytes,
      initialBidirectionalStreams: MAX_STREAMS_PER_SESSION,
      initialUnidirectionalStreams: 1,
    })
    this.#servers.push(server)
    server.ready.catch(() => { /* awaited by start */ })
    const sessions = server.sessionStream(WT_PATH)
    server.startServer()
    void this.#accept(sessions.getReader())
    return server
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
    const { settings, tracker } = this.#init
    this.#sessions.add(session)
    session.closed.catch(() => { /* reported through the pipe or the timeout below */ }).finally(() => this.#sessions.delete(session))
    const timer = setTimeout(() => {
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'no stream opened in time' }) } catch { /* gone */ }
    }, settings.streamOpenTimeoutMs)
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
          lingerMs: settings.lingerMs,
          onGone: (p) => { this.#pipes.delete(p); tracker.untrack(p) },
        })
        this.#pipes.add(pipe)
        tracker.track(pipe)
        this.#init.onPipe(pipe)
      })
      .catch(() => { clearTimeout(timer) })
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    this.#init.onClosed()
    for (const pipe of [...this.#pipes]) pipe.destroy('listener closed')
    for (const session of this.#sessions) {
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'listener closed' }) } catch { /* gone */ }
    }
    for (const server of this.#servers) {
      try { server.stopServer() } catch { /* never started */ }
    }
    // The patched stopServer also ends the HTTP/2 connections; a peer that never answers the
    // GOAWAY must not hold close() open, so wait a bounded time only.
    let timer: ReturnType<typeof setTimeout> | undefined
    const linger = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.#init.settings.lingerMs) })
    await Promise.race([Promise.all(this.#servers.map((server) => server.closed)), linger]).catch(() => { /* closed never rejects */ })
    clearTimeout(timer)
  }
}

