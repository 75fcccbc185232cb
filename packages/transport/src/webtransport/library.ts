/**
 * The narrow, typed slice of @fails-components/webtransport 1.6.8 (patched, see patches/) that the
 * WebTransport carrier uses: WebTransport over HTTP/2 (draft-ietf-webtrans-http2) through `Http2Server`
 * and `WebTransport` with `forceReliable`. The library's own typings are loose, hence these interfaces.
 */
import * as library from '@fails-components/webtransport'

export interface WtCloseInfo { closeCode?: number; reason?: string }

export interface WtBidirectionalStream {
  readonly readable: ReadableStream<Uint8Array>
  readonly writable: WritableStream<Uint8Array>
}

/** One WebTransport session (either end). */
export interface WtSession {
  readonly ready: Promise<void>
  readonly closed: Promise<WtCloseInfo>
  readonly incomingBidirectionalStreams: ReadableStream<WtBidirectionalStream>
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>
  readonly datagrams: { readonly readable: ReadableStream<Uint8Array> }
  /** `host:port` of the peer (server side only). */
  readonly peerAddress?: string
  createBidirectionalStream(): Promise<WtBidirectionalStream>
  close(info?: WtCloseInfo): void
}

export interface WtServer {
  readonly ready: Promise<void>
  readonly closed: Promise<void>
  sessionStream(path: string): ReadableStream<WtSession>
  startServer(): void
  stopServer(): void
  address(): { port: number; host: string } | null
}

export interface WtServerInit {
  host: string
  port: number
  cert: string
  privKey: string
  /** Required by the library's constructor; only HTTP/3 uses it. */
  secret: string
  initialStreamFlowControlWindow: number
  initialSessionFlowControlWindow: number
  initialBidirectionalStreams: number
  initialUnidirectionalStreams: number
}

export interface WtClientInit {
  /** Always true here: the HTTP/2 path (the HTTP/3 addon is optional and not used, see README). */
  forceReliable: true
  /** Added by our patch (HTTP/2 only): accept any server certificate; peers authenticate above. */
  skipServerCertificateVerification: true
  initialBidirectionalSendStreams: number
  initialUnidirectionalSendStreams: number
  initialStreamFlowControlWindow: number
  initialSessionFlowControlWindow: number
}

type ServerConstructor = new (init: WtServerInit) => WtServer
type ClientConstructor = new (url: string, init: WtClientInit) => WtSession

export const Http2Server = library.Http2Server as unknown as ServerConstructor
export const WebTransportClient = library.WebTransport as unknown as ClientConstructor
