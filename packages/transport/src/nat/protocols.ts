/**
 * Protocol names of NAT traversal (SPEC.md section 5.9): the relay's hop and stop protocols and the
 * two circuit data streams (towards the relay, from the relay), and hole-punch coordination.
 */
import type { MessageProtocol, StreamProtocol } from '../protocols.ts'

export const HOP_PROTOCOL: MessageProtocol = Object.freeze({ name: '/saorsa/relay/hop/1', streamClass: 'mship' })
export const STOP_PROTOCOL: MessageProtocol = Object.freeze({ name: '/saorsa/relay/stop/1', streamClass: 'mship' })
/** Circuit streams carry an unbounded byte sequence; the relay enforces its per-circuit budget itself. */
export const HOP_DATA_PROTOCOL: StreamProtocol = Object.freeze({ name: '/saorsa/relay/hop-data/1', maxBytes: Number.MAX_SAFE_INTEGER })
export const STOP_DATA_PROTOCOL: StreamProtocol = Object.freeze({ name: '/saorsa/relay/stop-data/1', maxBytes: Number.MAX_SAFE_INTEGER })
export const PUNCH_PROTOCOL: MessageProtocol = Object.freeze({ name: '/saorsa/dcutr/1', streamClass: 'mship' })
