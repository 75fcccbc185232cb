/**
 * The WebTransport carrier (`wt://host:port[?certhash=...]`) with @fails-components/webtransport:
 * WebTransport over HTTP/3 (draft-ietf-webtrans-http3) when the library's optional native addon is
 * loaded and the address pins a certificate, over HTTP/2 (draft-ietf-webtrans-http2) otherwise or when
 * HTTP/3 fails. Each BytePipe is its own session carrying one long-lived bidirectional stream. TLS only
 * wraps the bytes: peers authenticate in the post-quantum handshake (SPEC.md section 5, README.md here).
 */
import { AbortError, throwIfAborted } from '@saorsa-gossip/types'
import { isIP } from 'node:net'
import { formatHostPort } from '../address.ts'
import type { AbortOptions, BytePipe, Carrier, CarrierListener } from '../carrier.ts'
import { DialError, InvalidAddressError } from '../errors.ts'
import { formatWtAddress, parseWtAddress, type WtAddress } from './address.ts'
import { MAX_CERTIFICATE_VALIDITY_MS } from './certificate.ts'
import { loadWebTransportLibrary, type WtBidirectionalStream, type WtClientInit, type WtLibrary, type WtSession } from './library.ts'
import { WtListener } from './listener.ts'
import { CLOSE_ERROR, WtPipe } from './pipe.ts'
import { MAX_STREAMS_PER_SESSION, rejectExtraUse, WT_PATH, type WtSettings } from './session-rules.ts'

export { WT_PATH } from './session-rules.ts'

export interface WebTransportCarrierInit {
  /**
   * Dial timeout in ms, covering every attempt (an HTTP/3 attempt gets at most half of it, then HTTP/2
   * the rest) and each attempt's connection, TLS, session and stream set-up. Default 10 s.
   */
  dialTimeoutMs?: number
  /** How long an accepted session may take to open its stream before it is closed (ms). Default 10 s. */
  streamOpenTimeoutMs?: number
  /** After a graceful pipe close, how long to wait for the peer to close the session (ms). Default 2 s. */
  lingerMs?: number
  /** Initial per-stream and per-session flow-control windows in bytes (both ends). Default 256 KiB and 1 MiB. */
  streamWindowBytes?: number
  sessionWindowBytes?: number
  /**
   * Validity of each listener's self-signed certificate in ms, at most 14 days (the WebTransport limit
   * for hash-pinned certificates, which HTTP/3 clients enforce). Default 14 days. A listener keeps its
   * certificate for its whole life; one older than this must be restarted to be reachable over HTTP/3.
   */
  certificateValidityMs?: number
  /**
   * 'auto' (default): listen on HTTP/3 too and dial HTTP/3 first when the library's native addon
   * (@fails-components/webtransport-transport-http3-quiche) is loaded. 'off': HTTP/2 only.
   */
  http3?: 'auto' | 'off'
  /** Supplies the library; defaults to the patched @fails-components/webtransport, loaded on first use. */
  loadLibrary?: () => Promise<WtLibrary>
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`)
  return value
}

function resolveSettings(init: WebTransportCarrierInit): WtSettings {
  const certificateValidityMs = positiveInt(init.certificateValidityMs, MAX_CERTIFICATE_VALIDITY_MS, 'certificateValidityMs')
  if (certificateValidityMs > MAX_CERTIFICATE_VALIDITY_MS) {
    throw new RangeError(`certificateValidityMs must be at most ${MAX_CERTIFICATE_VALIDITY_MS} (14 days, the WebTransport limit), got ${certificateValidityMs}`)
  }
  const http3 = init.http3 ?? 'auto'
  if (http3 !== 'auto' && http3 !== 'off') throw new RangeError(`http3 must be 'auto' or 'off', got ${String(http3)}`)
  return {
    dialTimeoutMs: positiveInt(init.dialTimeoutMs, 10_000, 'dialTimeoutMs'),
    streamOpenTimeoutMs: positiveInt(init.streamOpenTimeoutMs, 10_000, 'streamOpenTimeoutMs'),
    lingerMs: positiveInt(init.lingerMs, 2_000, 'lingerMs'),
    streamWindowBytes: positiveInt(init.streamWindowBytes, 256 * 1024, 'streamWindowBytes'),
    sessionWindowBytes: positiveInt(init.sessionWindowBytes, 1024 * 1024, 'sessionWindowBytes'),
    certificateValidityMs,
    http3,
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

class WebTransportCarrier implements Carrier {
  readonly scheme = 'wt'
  readonly #settings: WtSettings
  readonly #loadLibrary: () => Promise<WtLibrary>
  readonly #pipes = new Set<WtPipe>()
  readonly #listeners = new Set<WtListener>()
  readonly #dialing = new Set<WtSession>()

  constructor(init: WebTransportCarrierInit) {
    this.#settings = resolveSettings(init)
    this.#loadLibrary = init.loadLibrary ?? loadWebTransportLibrary
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
    const { host, port, certHash } = parseWtAddress(addr)
    if (certHash !== undefined) throw new InvalidAddressError(`listen address "${addr}" must not carry a certhash: the listener makes its own certificate`)
    const library = await this.#loadLibrary()
    throwIfAborted(options?.signal)
    const listener: WtListener = new WtListener({
      tracker: this, settings: this.#settings, library, host, port, onPipe,
      onClosed: () => this.#listeners.delete(listener),
    })
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
    const signal = options?.signal
    throwIfAborted(signal)
    const target = parseWtAddress(addr)
    if (target.port === 0) throw new DialError(`cannot dial port 0 (${addr})`)
    const library = await this.#loadLibrary()
    throwIfAborted(signal)
    const s = this.#settings
    let expired: Error | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    let onAbort: (() => void) | undefined
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = new DialError(`dial ${addr} timed out after ${s.dialTimeoutMs} ms`)
        reject(expired)
      }, s.dialTimeoutMs)
      onAbort = () => {
        expired = new AbortError(undefined, { cause: signal?.reason })
        reject(expired)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    giveUp.catch(() => { /* raced below */ })
    try {
      let http3Failure: unknown
      if (s.http3 === 'auto' && library.http3 && target.certHash !== undefined) {
        const http3Budget = Math.ceil(s.dialTimeoutMs / 2)
        try {
          return this.#pipe(target, await this.#attempt(library, addr, target, this.#http3Options(target.certHash, http3Budget), http3Budget, giveUp))
        } catch (error) {
          if (expired !== undefined) throw expired
          http3Failure = error
        }
      }
      try {
        return this.#pipe(target, await this.#attempt(library, addr, target, this.#http2Options(), undefined, giveUp))
      } catch (error) {
        if (http3Failure === undefined || error instanceof AbortError) throw error
        throw new DialError(`${errorText(error)} (after HTTP/3: ${errorText(http3Failure)})`, { cause: error })
      }
    } finally {
      clearTimeout(timer)
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
    }
  }

  #http2Options(): WtClientInit {
    return { ...this.#windows(), forceReliable: true, skipServerCertificateVerification: true }
  }

  #http3Options(certHash: Uint8Array, budgetMs: number): WtClientInit {
    return {
      ...this.#windows(),
      requireUnreliable: true,
      serverCertificateHashes: [{ algorithm: 'sha-256', value: certHash.slice() }],
      quicConnectTimeout: budgetMs,
    }
  }

  #windows() {
    const s = this.#settings
    return {
      initialBidirectionalSendStreams: MAX_STREAMS_PER_SESSION,
      initialUnidirectionalSendStreams: 1,
      initialStreamFlowControlWindow: s.streamWindowBytes,
      initialSessionFlowControlWindow: s.sessionWindowBytes,
    }
  }

  /** One session set-up with one client configuration, bounded by `budgetMs` (if given) and `giveUp`. */
  async #attempt(library: WtLibrary, addr: string, target: WtAddress, clientInit: WtClientInit, budgetMs: number | undefined, giveUp: Promise<never>): Promise<{ session: WtSession; stream: WtBidirectionalStream }> {
    const urlHost = isIP(target.host) === 6 ? `[${target.host}]` : target.host
    const over = 'requireUnreliable' in clientInit ? 'HTTP/3' : 'HTTP/2'
    let session: WtSession
    try {
      session = new library.WebTransportClient(`https://${urlHost}:${target.port}${WT_PATH}`, clientInit)
    } catch (error) {
      throw new DialError(`dial ${addr} over ${over} failed: ${errorText(error)}`, { cause: error })
    }
    this.#dialing.add(session)
    session.closed.catch(() => { /* a failed connect rejects closed; reported through ready */ })
    session.ready.catch(() => { /* awaited below */ })
    const ended = session.closed.then(
      () => { throw new DialError(`dial ${addr} over ${over}: session closed during set-up`) },
      (error: unknown) => { throw new DialError(`dial ${addr} over ${over} failed: ${errorText(error)}`, { cause: error }) },
    )
    let timer: ReturnType<typeof setTimeout> | undefined
    const attemptOver = budgetMs === undefined ? [] : [new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DialError(`dial ${addr} over ${over} timed out after ${budgetMs} ms`)), budgetMs)
    })]
    try {
      const stream = await Promise.race([session.ready.then(() => session.createBidirectionalStream()), ended, giveUp, ...attemptOver])
      return { session, stream }
    } catch (error) {
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'dial abandoned' }) } catch { /* never connected */ }
      if (error instanceof AbortError || error instanceof DialError) throw error
      throw new DialError(`dial ${addr} over ${over} failed: ${errorText(error)}`, { cause: error })
    } finally {
      clearTimeout(timer)
      this.#dialing.delete(session)
    }
  }

  #pipe(target: WtAddress, { session, stream }: { session: WtSession; stream: WtBidirectionalStream }): BytePipe {
    rejectExtraUse(session)
    const pipe = new WtPipe({
      session,
      stream,
      localAddr: formatHostPort('wt', isIP(target.host) === 6 ? '::' : '0.0.0.0', 0),
      remoteAddr: formatWtAddress(target.host, target.port, target.certHash),
      lingerMs: this.#settings.lingerMs,
      onGone: (p) => this.untrack(p),
    })
    return this.track(pipe)
  }

  async close(): Promise<void> {
    for (const session of this.#dialing) {
      try { session.close({ closeCode: CLOSE_ERROR, reason: 'carrier closed' }) } catch { /* not connected yet */ }
    }
    for (const pipe of [...this.#pipes]) pipe.destroy('carrier closed')
    await Promise.all([...this.#listeners].map((l) => l.close()))
  }
}

/**
 * Creates the WebTransport carrier (`wt://host:port`, `wt://[v6]:port`, `?certhash=` for HTTP/3);
 * HTTP/3 needs the library's optional native addon, HTTP/2 works everywhere. See README.md here.
 */
export function createWebTransportCarrier(init: WebTransportCarrierInit = {}): Carrier {
  return new WebTransportCarrier(init)
}
