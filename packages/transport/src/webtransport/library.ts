/**
 * The narrow, typed slice of @fails-components/webtransport 1.6.8 (patched, see library-patch.ts) that the
 * WebTransport carrier uses: WebTransport over HTTP/2 (draft-ietf-webtrans-http2) through `Http2Server`
 * and `WebTransport` with `forceReliable`, and over HTTP/3 (RFC 9114, draft-ietf-webtrans-http3) through
 * `Http3Server` when the optional native addon loads. The library's own typings are loose, hence these.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  findLibraryDir, LIBRARY, LIBRARY_VERSION, PATCH_URL, patchOnDiskCommand, preparePatchedSources, servePatchedSources,
  WebTransportUnavailableError,
} from './library-patch.ts'

export { WebTransportUnavailableError }

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
  /** Required by the library's constructor; only HTTP/3 uses it (QUIC address tokens), so it is random there. */
  secret: string
  initialStreamFlowControlWindow: number
  initialSessionFlowControlWindow: number
  initialBidirectionalStreams: number
  initialUnidirectionalStreams: number
}

interface WtClientWindows {
  initialBidirectionalSendStreams: number
  initialUnidirectionalSendStreams: number
  initialStreamFlowControlWindow: number
  initialSessionFlowControlWindow: number
}

/** WebTransport over HTTP/2: no QUIC, so no addon needed. */
export interface WtHttp2ClientInit extends WtClientWindows {
  forceReliable: true
  /** Added by our patch (HTTP/2 only): accept any server certificate; peers authenticate above. */
  skipServerCertificateVerification: true
}

/** WebTransport over HTTP/3 with the server certificate pinned by hash; never falls back inside the library. */
export interface WtHttp3ClientInit extends WtClientWindows {
  requireUnreliable: true
  serverCertificateHashes: Array<{ algorithm: 'sha-256'; value: Uint8Array }>
  /** The library's own bound on the QUIC handshake (ms). */
  quicConnectTimeout: number
}

export type WtClientInit = WtHttp2ClientInit | WtHttp3ClientInit

type ServerConstructor = new (init: WtServerInit) => WtServer
type ClientConstructor = new (url: string, init: WtClientInit) => WtSession

export interface WtLibrary {
  readonly Http2Server: ServerConstructor
  /** Serves HTTP/3 on UDP; usable only when `http3` is true. */
  readonly Http3Server: ServerConstructor
  readonly WebTransportClient: ClientConstructor
  /** True when the native HTTP/3 addon loaded, so `Http3Server` and HTTP/3 dials work. */
  readonly http3: boolean
}

/** The optional native addon the library imports for HTTP/3 (QUIC via quiche). */
export const HTTP3_ADDON = '@fails-components/webtransport-transport-http3-quiche'

/**
 * Whether the HTTP/3 addon loads where the library looks for it: resolved from the library's own
 * directory (as its `import()` does; under pnpm that is not where this package resolves from) and
 * imported, which returns the library's already loaded instance. The library itself exposes no
 * signal: its `quicheLoaded` resolves whether or not the addon loaded.
 */
export async function http3AddonLoads(): Promise<boolean> {
  const libraryDir = findLibraryDir()
  if (libraryDir === undefined) return false
  try {
    const entry = createRequire(join(libraryDir, 'package.json')).resolve(HTTP3_ADDON)
    await import(pathToFileURL(entry).href)
    return true
  } catch {
    return false
  }
}

/** The patch level this carrier needs (the `saorsaGossipPatchLevel` export our patch adds). */
export const REQUIRED_PATCH_LEVEL = 1

let loading: Promise<WtLibrary> | undefined

/**
 * Loads @fails-components/webtransport on first use (importing it costs a dynamic import of the
 * optional HTTP/3 addon, so nothing loads it unless a WebTransport carrier listens or dials), after
 * patching it in memory where it is installed as released (library-patch.ts), and checks the result.
 */
export function loadWebTransportLibrary(): Promise<WtLibrary> {
  loading ??= (async () => {
    const dir = findLibraryDir()
    if (dir === undefined) {
      throw new WebTransportUnavailableError(
        `${LIBRARY} is not installed where @saorsa-gossip/transport can load it: run \`npm install ${LIBRARY}@${LIBRARY_VERSION}\``)
    }
    let patchText: string
    try {
      patchText = await readFile(PATCH_URL, 'utf8')
    } catch (error) {
      throw new WebTransportUnavailableError('@saorsa-gossip/transport is installed without its patches/ folder: reinstall it', { cause: error })
    }
    const sources = preparePatchedSources(dir, patchText)
    try {
      servePatchedSources(sources)
    } catch (error) {
      throw new WebTransportUnavailableError(
        `Node cannot patch ${LIBRARY} in memory here (${String(error)}): apply the patch on disk with ` +
        `\`${patchOnDiskCommand(dir)}\``, { cause: error })
    }
    return await checkWebTransportLibrary(() => import('@fails-components/webtransport'), { libraryDir: dir })
  })()
  return loading
}

/**
 * Imports the library through `importLibrary`, checks the patch marker, waits for the library's own
 * HTTP/3 addon load attempt (`quicheLoaded`; its client refuses HTTP/3 options until it settles) and
 * asks `probeHttp3` whether the addon is present (uncached; tests inject both). `libraryDir` only
 * makes the error messages name the command for that copy.
 */
export async function checkWebTransportLibrary(
  importLibrary: () => Promise<unknown>,
  options: { probeHttp3?: () => Promise<boolean>; libraryDir?: string } = {},
): Promise<WtLibrary> {
  let library: Record<string, unknown>
  try {
    library = await importLibrary() as Record<string, unknown>
  } catch (error) {
    throw new WebTransportUnavailableError(
      `${LIBRARY} ${LIBRARY_VERSION} could not be loaded (${String(error)}): run \`npm install ${LIBRARY}@${LIBRARY_VERSION}\``, { cause: error })
  }
  const level = library['saorsaGossipPatchLevel']
  if (typeof level !== 'number' || level < REQUIRED_PATCH_LEVEL) {
    const dir = options.libraryDir ?? `node_modules/${LIBRARY}`
    throw new WebTransportUnavailableError(
      `${LIBRARY} was loaded without the saorsa-gossip patch (something in this process imported it before ` +
      'the WebTransport carrier could patch it in memory): let the carrier load it first, or apply the ' +
      `patch on disk with \`${patchOnDiskCommand(dir)}\``)
  }
  const quicheLoaded = library['quicheLoaded']
  if (quicheLoaded instanceof Promise) await quicheLoaded.catch(() => { /* absence is what the probe reports */ })
  const Http3Server = library['Http3Server']
  const http3 = typeof Http3Server === 'function' && await (options.probeHttp3 ?? http3AddonLoads)()
  return {
    Http2Server: library['Http2Server'] as ServerConstructor,
    Http3Server: Http3Server as ServerConstructor,
    WebTransportClient: library['WebTransport'] as ClientConstructor,
    http3,
  }
}
