/**
 * Named error classes of the transport (js-libp2p style: `name` set so callers and tests match on it).
 * Every failure of the secure channel (SPEC.md section 5) maps to exactly one of these, and each
 * one closes the connection: the channel fails closed, it never skips or repairs bad input.
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** The pipe or connection is closed (or closed while the operation waited). */
export class ConnectionClosedError extends SaorsaError {
  override readonly name = 'ConnectionClosedError'
  constructor(message = 'connection is closed', options?: ErrorOptions) {
    super(message, options)
  }
}

/** An address string is not `tcp://host:port`, `tcp://[v6]:port`, `mem://name` or a scheme of a configured carrier. */
export class InvalidAddressError extends SaorsaError {
  override readonly name = 'InvalidAddressError'
}

/** The handshake failed: malformed or oversized message, bad signature, unsupported version, wrong state. */
export class HandshakeError extends SaorsaError {
  override readonly name = 'HandshakeError'
}

/** The authenticated remote peer is not the one the caller asked for (`dial(..., { expectedPeer })`). */
export class PeerMismatchError extends SaorsaError {
  override readonly name = 'PeerMismatchError'
}

/** A record failed authentication (tampered, truncated, replayed, reordered or forged). */
export class RecordAuthError extends SaorsaError {
  override readonly name = 'RecordAuthError'
}

/** A frame inside an authenticated record broke the framing rules (unknown kind, over its class cap). */
export class FrameError extends SaorsaError {
  override readonly name = 'FrameError'
}

/** No carrier is configured for an address scheme, or the carrier cannot reach the address. */
export class DialError extends SaorsaError {
  override readonly name = 'DialError'
}
