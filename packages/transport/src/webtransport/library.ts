/**
 * The narrow, typed slice of @fails-components/webtransport 1.6.8 (patched, see patches/) that the
 * WebTransport carrier uses: WebTransport over HTTP/2 (draft-ietf-webtrans-http2) through `Http2Server`
 * and `WebTransport` with `forceReliable`. The library's own typings are loose, hence these interfaces.
 */
import { SaorsaError } from '@saorsa-gossip/types'

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

export interface WtLibrary {
  readonly Http2Server: ServerConstructor
  readonly WebTransportClient: ClientConstructor
}

/** The patch level this carrier needs (the `saorsaGossipPatchLevel` export our patch adds). */
export const REQUIRED_PATCH_LEVEL = 1

/**
 * The WebTransport library is missing, or installed without this project's patch (for example in an
 * application that installed @saorsa-gossip/transport from the registry: package-manager patches do
 * not travel with a dependency). Unpatched 1.6.8 stalls after 16 KB and one hostile capsule can crash
 * the process, so the carrier refuses to run rather than degrade silently.
 */
export class WebTransportUnavailableError extends SaorsaError {
  override readonly name = 'WebTransportUnavailableError'
}

let loading: Promise<WtLibrary> | undefined

/**
 * Loads @fails-components/webtransport on first use (importing it costs a dynamic import of the
 * optional HTTP/3 addon, so nothing loads it unless a WebTransport carrier listens or dials) and
 * checks that the patch in `patches/` is applied.
 */
export function loadWebTransportLibrary(): Promise<WtLibrary> {
  loading ??= checkWebTransportLibrary(() => import('@fails-components/webtransport'))
  return loading
}

/** Imports the library through `importLibrary` and checks the patch marker (uncached; tests inject). */
export async function checkWebTransportLibrary(importLibrary: () => Promise<unknown>): Promise<WtLibrary> {
  {
    let library: Record<string, unknown>
    try {
      library = await importLibrary() as Record<string, unknown>
    } catch (error) {
      throw new WebTransportUnavailableError('@fails-components/webtransport 1.6.8 is not installed', { cause: error })
    }
    const level = library['saorsaGossipPatchLevel']
    if (typeof level !== 'number' || level < REQUIRED_PATCH_LEVEL) {
      throw new WebTransportUnavailableError(
        '@fails-components/webtransport is installed without the saorsa-gossip patch: add ' +
        'patches/@fails-components__webtransport@1.6.8.patch from the saorsa-gossip repository to your ' +
        "package manager's patched dependencies (pnpm: patchedDependencies; npm: patch-package)")
    }
    return {
      Http2Server: library['Http2Server'] as ServerConstructor,
      WebTransportClient: library['WebTransport'] as ClientConstructor,
    }
  }
}
