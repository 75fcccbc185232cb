/**
 * Rules shared by the WebTransport carrier's dialler and listener: the endpoint path, the stream
 * allowance per session, the resolved settings, and closing a session that uses more than the one
 * bidirectional stream the carrier relies on (see README.md here).
 */
import { isIP } from 'node:net'
import { formatHostPort } from '../address.ts'
import type { WtSession } from './library.ts'
import { CLOSE_ERROR } from './pipe.ts'

/** The HTTP path of the WebTransport endpoint; versioned so a future wire change can coexist. */
export const WT_PATH = '/saorsa-gossip/1'
/** Streams a peer may open per session: one is used, the rest is slack for the library's accounting. */
export const MAX_STREAMS_PER_SESSION = 4

export interface WtSettings {
  dialTimeoutMs: number
  streamOpenTimeoutMs: number
  lingerMs: number
  streamWindowBytes: number
  sessionWindowBytes: number
  certificateValidityMs: number
  http3: 'auto' | 'off'
}

/** Closes a session on any protocol use beyond our single bidirectional stream. */
export function rejectExtraUse(session: WtSession): void {
  const violation = (what: string) => () => { try { session.close({ closeCode: CLOSE_ERROR, reason: `unexpected ${what}` }) } catch { /* already closed */ } }
  const watch = <T>(stream: ReadableStream<T>, what: string): void => {
    stream.getReader().read().then(({ done }) => { if (!done) violation(what)() }, () => { /* session closed */ })
  }
  watch(session.datagrams.readable, 'datagram')
  watch(session.incomingUnidirectionalStreams, 'unidirectional stream')
  watch(session.incomingBidirectionalStreams, 'second bidirectional stream')
}

/** The dialler's address as seen by the listener (`host:port` from the library); `wt://0.0.0.0:0`, which nobody can dial, when the library reports none. */
export function remoteFromPeerAddress(peerAddress: unknown): string {
  // Typed as a string by the library, but the HTTP/3 addon fills it in natively; check, never trust.
  if (typeof peerAddress !== 'string') return 'wt://0.0.0.0:0'
  const colon = peerAddress.lastIndexOf(':')
  const host = peerAddress.slice(0, colon).replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
  const port = Number(peerAddress.slice(colon + 1))
  return isIP(host) === 0 || !Number.isInteger(port) ? 'wt://0.0.0.0:0' : formatHostPort('wt', host, port)
}
