/**
 * A raw WebTransport-over-HTTP/2 client for hostile-input tests (draft-ietf-webtrans-http2): it opens
 * the extended CONNECT (RFC 8441) itself with node:http2 and then writes arbitrary capsule bytes
 * (RFC 9297 framing), so tests can send what the real client never would.
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2'
import type { Rng } from '@saorsa-gossip/types'
import { WT_PATH } from '../src/webtransport/index.ts'

/** Capsule types of the HTTP/2 WebTransport draft as the library numbers them. */
export const CAPSULE = {
  PADDING: 0x190b4d38, RESET_STREAM: 0x190b4d39, STOP_SENDING: 0x190b4d3a, STREAM: 0x190b4d3b,
  STREAM_FIN: 0x190b4d3c, MAX_DATA: 0x190b4d3d, MAX_STREAM_DATA: 0x190b4d3e, MAX_STREAMS_BIDI: 0x190b4d3f,
  MAX_STREAMS_UNI: 0x190b4d40, DATA_BLOCKED: 0x190b4d41, STREAM_DATA_BLOCKED: 0x190b4d42,
  STREAMS_BLOCKED_UNI: 0x190b4d43, STREAMS_BLOCKED_BIDI: 0x190b4d44, CLOSE_SESSION: 0x2843,
  DRAIN_SESSION: 0x78ae, DATAGRAM: 0x00,
} as const

/** QUIC variable-length integer (RFC 9000 section 16), up to 2^62 - 1. */
export function varint(value: bigint | number): Uint8Array {
  const v = BigInt(value)
  if (v < 0n || v >= 1n << 62n) throw new RangeError(`varint out of range: ${v}`)
  const [length, prefix] = v < 64n ? [1, 0x00n] : v < 16384n ? [2, 0x40n] : v < 1n << 30n ? [4, 0x80n] : [8, 0xc0n]
  const out = new Uint8Array(length)
  let rest = v
  for (let i = length - 1; i >= 0; i--) { out[i] = Number(rest & 0xffn); rest >>= 8n }
  out[0] = out[0]! | Number(prefix)
  return out
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.length }
  return out
}

export function capsule(type: number, ...body: Uint8Array[]): Uint8Array {
  const payload = concat(...body)
  return concat(varint(type), varint(payload.length), payload)
}

export function closeCapsule(code: number, reason: string): Uint8Array {
  const head = new Uint8Array(4)
  new DataView(head.buffer).setUint32(0, code >>> 0)
  return capsule(CAPSULE.CLOSE_SESSION, head, new TextEncoder().encode(reason))
}

/** One HTTP/2 connection to a WebTransport listener, opening as many raw sessions as asked. */
export class RawWtConnection {
  readonly #session: ClientHttp2Session

  private constructor(session: ClientHttp2Session) { this.#session = session }

  static async open(port: number, host = '127.0.0.1'): Promise<RawWtConnection> {
    const session = connect(`https://${host}:${port}`, {
      rejectUnauthorized: false,
      settings: { enableConnectProtocol: true, customSettings: { 0x2b61: 1 << 20, 0x2b62: 1 << 18, 0x2b63: 1 << 18, 0x2b64: 4, 0x2b65: 4 } },
      remoteCustomSettings: [0x2b61, 0x2b62, 0x2b63, 0x2b64, 0x2b65],
    } as Parameters<typeof connect>[1])
    session.on('error', () => { /* the listener may reset us; callers reconnect */ })
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve())
      session.once('error', reject)
      session.once('close', () => reject(new Error('connection closed before settings')))
    })
    return new RawWtConnection(session)
  }

  get closed(): boolean { return this.#session.closed || this.#session.destroyed }

  /** Opens a WebTransport session (status 200) or a WebSocket-flavoured one; resolves with the CONNECT stream. */
  async session(protocol: 'webtransport' | 'websocket' = 'webtransport'): Promise<ClientHttp2Stream> {
    const headers: Record<string, string> = { ':method': 'CONNECT', ':protocol': protocol, ':scheme': 'https', ':path': WT_PATH }
    if (protocol === 'websocket') headers['sec-websocket-protocol'] = 'webtransport_kDraft2'
    const stream = this.#session.request(headers)
    stream.on('error', () => { /* expected for hostile cases */ })
    stream.on('data', () => { /* drain whatever the listener answers */ })
    const status = await new Promise<number>((resolve) => {
      stream.once('response', (h) => resolve(Number(h[':status'])))
      stream.once('close', () => resolve(0))
    })
    if (status !== 200) { stream.destroy(); throw new Error(`CONNECT answered ${status}`) }
    return stream
  }

  /** A PING round trip: everything written before it has reached the listener's parser by then. */
  ping(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#session.ping(() => resolve())) resolve()
    })
  }

  close(): void { this.#session.destroy() }
}

const INTERESTING = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xfe, 0xff]

/** Seeded mutation of a byte string: bit flips, truncation, interesting bytes, random splices. */
export function mutate(rng: Rng, input: Uint8Array): Uint8Array {
  let bytes: Uint8Array = input.slice()
  const rounds = 1 + rng.nextInt(4)
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : rng.nextInt(bytes.length)
    switch (rng.nextInt(5)) {
      case 0: if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << rng.nextInt(8)); break
      case 1: bytes = bytes.subarray(0, at); break
      case 2: if (bytes.length > 0) bytes[at] = INTERESTING[rng.nextInt(INTERESTING.length)]!; break
      case 3: bytes = concat(bytes.subarray(0, at), rng.fill(new Uint8Array(1 + rng.nextInt(16))), bytes.subarray(at)); break
      default: bytes = concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + rng.nextInt(8))))
    }
  }
  return bytes
}
