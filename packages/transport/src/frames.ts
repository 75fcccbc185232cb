/**
 * Frames inside channel records (SPEC.md section 5.5): `u32be length || u8 kind || body`. A record
 * holds one or more whole frames; the body length is checked against the kind's cap before the body is
 * touched. Kinds carry the stream class (mship, pubsub, bulk chunks) or a control message (close, ping, pong).
 */
import { LIMITS } from '@saorsa-gossip/types'
import { FrameError } from './errors.ts'

export type StreamClass = 'mship' | 'pubsub' | 'bulk'
export const STREAM_CLASSES: readonly StreamClass[] = Object.freeze(['mship', 'pubsub', 'bulk'])

export const FRAME_KIND = Object.freeze({
  mship: 0x01,
  pubsub: 0x02,
  /** First chunk of a bulk message: `u32be total length || data`. */
  bulkFirst: 0x03,
  /** A later chunk of the bulk message in progress: `data`. */
  bulkMore: 0x04,
  /** Orderly close: `utf8 reason` (at most 256 bytes). */
  close: 0x10,
  /** Liveness probe: 8 opaque bytes, answered by a pong with the same bytes. */
  ping: 0x11,
  pong: 0x12,
})

export const FRAME_HEADER_BYTES = 5
export const MAX_CLOSE_REASON_BYTES = 256
export const PING_BYTES = 8

/** The body cap of each kind; unknown kinds have none and are rejected. */
export function frameBodyCap(kind: number): number | undefined {
  switch (kind) {
    case FRAME_KIND.mship: return LIMITS.maxMshipFrameBytes
    case FRAME_KIND.pubsub: return LIMITS.maxPubsubFrameBytes
    case FRAME_KIND.bulkFirst:
    case FRAME_KIND.bulkMore: return LIMITS.maxBulkFrameBytes
    case FRAME_KIND.close: return MAX_CLOSE_REASON_BYTES
    case FRAME_KIND.ping:
    case FRAME_KIND.pong: return PING_BYTES
    default: return undefined
  }
}

/** An outgoing frame as header and body pieces, so large bodies are never copied to be framed. */
export interface OutFrame { readonly header: Uint8Array; readonly body: Uint8Array }

export function frame(kind: number, body: Uint8Array): OutFrame {
  const header = new Uint8Array(FRAME_HEADER_BYTES)
  new DataView(header.buffer).setUint32(0, body.length)
  header[4] = kind
  return { header, body }
}

export function frameSize(f: OutFrame): number {
  return FRAME_HEADER_BYTES + f.body.length
}

/** Calls `onFrame` for each frame of one record's plaintext (bodies are views into it). Throws FrameError. */
export function parseFrames(plaintext: Uint8Array, onFrame: (kind: number, body: Uint8Array) => void): void {
  let offset = 0
  if (plaintext.length === 0) throw new FrameError('empty record')
  while (offset < plaintext.length) {
    if (plaintext.length - offset < FRAME_HEADER_BYTES) throw new FrameError('frame header cut by the record end')
    const length = ((plaintext[offset]! << 24) >>> 0) + (plaintext[offset + 1]! << 16) + (plaintext[offset + 2]! << 8) + plaintext[offset + 3]!
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
