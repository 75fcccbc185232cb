/**
 * Frames inside channel records (SPEC.md section 5.5): `u32be length || u8 kind || body`. A record
 * holds one or more whole frames; the body length is checked against the kind's cap before the body is
 * touched. Kinds carry a routed message or direct message of a stream class, a bulk stream frame, or a
 * control message (close, ping, pong).
 */
import { LIMITS } from '@saorsa-gossip/types'
import { FrameError } from './errors.ts'
import { MAX_PROTOCOL_NAME_BYTES } from './protocols.ts'

export type StreamClass = 'mship' | 'pubsub' | 'bulk'
export const STREAM_CLASSES: readonly StreamClass[] = Object.freeze(['mship', 'pubsub', 'bulk'])

export const FRAME_KIND = Object.freeze({
  /** `u8 n || name || message` for a handler of that protocol. */
  mship: 0x01,
  pubsub: 0x02,
  /** `u8 n || name || u8 type || [u32be request id] || data`: a one-way message, request, response or refusal. */
  mshipDirect: 0x03,
  pubsubDirect: 0x04,
  /** Opener to acceptor: `u32be stream id || u8 n || name`. */
  streamOpen: 0x05,
  /** Opener to acceptor: `u32be stream id || data`, within the credit granted. */
  streamData: 0x06,
  /** Opener to acceptor: `u32be stream id`; no more data follows. */
  streamEnd: 0x07,
  /** Acceptor to opener: `u32be stream id || u32be bytes` more may be sent. */
  streamCredit: 0x08,
  /** Opener to acceptor: `u32be stream id || u8 code`; the opener abandoned the stream. */
  streamReset: 0x09,
  /** Acceptor to opener: `u32be stream id || u8 code`; the acceptor refuses or stopped reading. */
  streamStop: 0x0a,
  /** Orderly close: `utf8 reason` (at most 256 bytes). */
  close: 0x10,
  /** Liveness probe: 8 opaque bytes, answered by a pong with the same bytes. */
  ping: 0x11,
  pong: 0x12,
})

export const FRAME_HEADER_BYTES = 5
export const MAX_CLOSE_REASON_BYTES = 256
export const PING_BYTES = 8
/** Name prefix of a routed frame: one length byte and the name. */
export const MAX_ROUTE_BYTES = 1 + MAX_PROTOCOL_NAME_BYTES
/** Direct envelope after the name: the type byte and a request id. */
export const DIRECT_HEADER_BYTES = 5
/** Stream data bytes per frame (after the 4-byte id); a whole data frame still fits one record. */
export const STREAM_CHUNK_BYTES = LIMITS.maxBulkFrameBytes

/** The body cap of each kind; unknown kinds have none and are rejected. */
export function frameBodyCap(kind: number): number | undefined {
  switch (kind) {
    case FRAME_KIND.mship: return MAX_ROUTE_BYTES + LIMITS.maxMshipFrameBytes
    case FRAME_KIND.pubsub: return MAX_ROUTE_BYTES + LIMITS.maxPubsubFrameBytes
    case FRAME_KIND.mshipDirect: return MAX_ROUTE_BYTES + DIRECT_HEADER_BYTES + LIMITS.maxMshipFrameBytes
    case FRAME_KIND.pubsubDirect: return MAX_ROUTE_BYTES + DIRECT_HEADER_BYTES + LIMITS.maxPubsubFrameBytes
    case FRAME_KIND.streamOpen: return 4 + MAX_ROUTE_BYTES
    case FRAME_KIND.streamData: return 4 + STREAM_CHUNK_BYTES
    case FRAME_KIND.streamEnd: return 4
    case FRAME_KIND.streamCredit: return 8
    case FRAME_KIND.streamReset:
    case FRAME_KIND.streamStop: return 5
    case FRAME_KIND.close: return MAX_CLOSE_REASON_BYTES
    case FRAME_KIND.ping:
    case FRAME_KIND.pong: return PING_BYTES
    default: return undefined
  }
}

/** An outgoing frame as header and body pieces, so large bodies are never copied to be framed. */
export interface OutFrame {
  readonly header: Uint8Array
  readonly body: Uint8Array
  /** The protocol the frame serves, for the traffic counts (traffic.ts); unset on control frames. */
  readonly protocol?: string
}

/** `out` tagged with the protocol it serves. */
export function tagged(out: OutFrame, protocol: string): OutFrame {
  return { header: out.header, body: out.body, protocol }
}

export function frame(kind: number, body: Uint8Array): OutFrame {
  const header = new Uint8Array(FRAME_HEADER_BYTES)
  new DataView(header.buffer).setUint32(0, body.length)
  header[4] = kind
  return { header, body }
}

/** A frame whose body is `prefix || data`, with `prefix` carried in the header piece (no copy of `data`). */
export function prefixedFrame(kind: number, prefix: Uint8Array, data: Uint8Array): OutFrame {
  const header = new Uint8Array(FRAME_HEADER_BYTES + prefix.length)
  new DataView(header.buffer).setUint32(0, prefix.length + data.length)
  header[4] = kind
  header.set(prefix, FRAME_HEADER_BYTES)
  return { header, body: data }
}

export function frameSize(f: OutFrame): number {
  return f.header.length + f.body.length
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) >>> 0) + (bytes[offset + 1]! << 16) + (bytes[offset + 2]! << 8) + bytes[offset + 3]!
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24
  bytes[offset + 1] = (value >>> 16) & 0xff
  bytes[offset + 2] = (value >>> 8) & 0xff
  bytes[offset + 3] = value & 0xff
}

/** Calls `onFrame` for each frame of one record's plaintext (bodies are views into it). Throws FrameError. */
export function parseFrames(plaintext: Uint8Array, onFrame: (kind: number, body: Uint8Array) => void): void {
  let offset = 0
  if (plaintext.length === 0) throw new FrameError('empty record')
  while (offset < plaintext.length) {
    if (plaintext.length - offset < FRAME_HEADER_BYTES) throw new FrameError('frame header cut by the record end')
    const length = readU32(plaintext, offset)
    const kind = plaintext[offset + 4]!
    const cap = frameBodyCap(kind)
    if (cap === undefined) throw new FrameError(`unknown frame kind 0x${kind.toString(16)}`)
    if (length > cap) throw new FrameError(`frame kind 0x${kind.toString(16)} body ${length} exceeds its cap ${cap}`)
    const start = offset + FRAME_HEADER_BYTES
    if (plaintext.length - start < length) throw new FrameError('frame body cut by the record end')
    offset = start + length
    onFrame(kind, plaintext.subarray(start, offset))
  }
}
