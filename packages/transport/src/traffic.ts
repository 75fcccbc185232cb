/**
 * Bytes on the wire by stream class and protocol (SPEC.md section 5.5.1). Every frame a connection
 * writes or reads is counted, header included, under its class (`mship`, `pubsub`, `bulk`, or
 * `control` for close/ping/pong) and the protocol name it serves. Record overhead (length, tag) is
 * not a frame's: it shows only in the connection totals `bytesSent` / `bytesReceived`.
 */
import { FRAME_KIND, FRAME_HEADER_BYTES, frameSize, type OutFrame } from './frames.ts'
import { readProtocolName } from './protocols.ts'

export type TrafficClass = 'mship' | 'pubsub' | 'bulk' | 'control'

export interface TrafficEntry {
  readonly direction: 'sent' | 'received'
  readonly class: TrafficClass
  /** The protocol name; `''` for control frames, {@link UNKNOWN_PROTOCOL} for a name nobody here uses. */
  readonly protocol: string
  readonly frames: number
  readonly bytes: number
}

/** A received frame naming a protocol this node neither handles nor ever sent on. */
export const UNKNOWN_PROTOCOL = '(unknown)'
/**
 * Distinct (direction, class, protocol) series kept. A node uses a few dozen protocols; the cap only
 * bounds memory should a peer find a way to vary names, and series past it are counted as unknown.
 */
export const MAX_TRAFFIC_SERIES = 256

export function trafficClassOf(kind: number): TrafficClass {
  switch (kind) {
    case FRAME_KIND.mship:
    case FRAME_KIND.mshipDirect: return 'mship'
    case FRAME_KIND.pubsub:
    case FRAME_KIND.pubsubDirect: return 'pubsub'
    case FRAME_KIND.close:
    case FRAME_KIND.ping:
    case FRAME_KIND.pong: return 'control'
    default: return 'bulk'
  }
}

/** True for the kinds whose body starts with the protocol name (routed and direct messages). */
export function startsWithProtocolName(kind: number): boolean {
  return kind === FRAME_KIND.mship || kind === FRAME_KIND.pubsub || kind === FRAME_KIND.mshipDirect || kind === FRAME_KIND.pubsubDirect
}

/** The protocol name a received routed or direct frame body starts with, if it parses. */
export function protocolNameOf(body: Uint8Array): string | undefined {
  return readProtocolName(body, 0)?.name
}

interface Series { direction: 'sent' | 'received'; class: TrafficClass; protocol: string; frames: number; bytes: number }

export class TrafficLedger {
  readonly #series = new Map<string, Series>()
  /** Names this node sent on: a received frame may carry them (responses to our requests). */
  readonly #sentNames = new Set<string>()

  /** Counts an outgoing frame; its protocol is the tag its builder set (none for control frames). */
  sent(out: OutFrame): void {
    const kind = out.header[4] ?? 0
    const protocol = out.protocol ?? ''
    if (protocol !== '' && this.#sentNames.size < MAX_TRAFFIC_SERIES) this.#sentNames.add(protocol)
    this.#add('sent', trafficClassOf(kind), protocol, frameSize(out))
  }

  /**
   * Counts a received frame of `bodyLength` bytes. `protocol` is the name it carries or belongs to;
   * a name is kept only when `isLocal(name)` (handled here) or this node has sent on it, so a peer
   * cannot mint series.
   */
  received(kind: number, bodyLength: number, protocol: string | undefined, isLocal: (name: string) => boolean): void {
    let label = ''
    if (trafficClassOf(kind) !== 'control') {
      label = protocol !== undefined && (this.#sentNames.has(protocol) || isLocal(protocol)) ? protocol : UNKNOWN_PROTOCOL
    }
    this.#add('received', trafficClassOf(kind), label, FRAME_HEADER_BYTES + bodyLength)
  }

  #add(direction: 'sent' | 'received', cls: TrafficClass, protocol: string, bytes: number): void {
    let key = `${direction} ${cls} ${protocol}`
    let series = this.#series.get(key)
    if (series === undefined) {
      if (this.#series.size >= MAX_TRAFFIC_SERIES) {
        protocol = UNKNOWN_PROTOCOL
        key = `${direction} ${cls} ${protocol}`
        series = this.#series.get(key)
      }
      if (series === undefined) {
        series = { direction, class: cls, protocol, frames: 0, bytes: 0 }
        this.#series.set(key, series)
      }
    }
    series.frames++
    series.bytes += bytes
  }

  entries(): TrafficEntry[] {
    return [...this.#series.values()].map((s) => ({ ...s }))
  }
}
