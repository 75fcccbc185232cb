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

/** The remote peer (or every peer from its address) is graylisted for a while after misbehaving (SPEC.md section 5.7). */
export class PeerGraylistedError extends SaorsaError {
  override readonly name = 'PeerGraylistedError'
}

/** No carrier is configured for an address scheme, or the carrier cannot reach the address. */
export class DialError extends SaorsaError {
  override readonly name = 'DialError'
}

/** `handle`, `handleDirect` or `handleStream` for a protocol name that already has a handler (unhandle it first). */
export class ProtocolAlreadyHandledError extends SaorsaError {
  override readonly name = 'ProtocolAlreadyHandledError'
}

/** A direct request got no response within its `timeoutMs`. */
export class RequestTimeoutError extends SaorsaError {
  override readonly name = 'RequestTimeoutError'
}

/** Not connected to the peer, and no known address to dial it. */
export class NoRouteError extends SaorsaError {
  override readonly name = 'NoRouteError'
}

/** Why a remote refused a direct request: the code on the wire, never the remote's error text. */
export type RefusalReason = 'no-handler' | 'handler-failed' | 'busy' | 'response-too-large'

/** The remote answered a direct request with a refusal code instead of a response. */
export class RequestRefusedError extends SaorsaError {
  override readonly name = 'RequestRefusedError'
  readonly reason: RefusalReason
  constructor(reason: RefusalReason, message = `request refused by the remote: ${reason}`) {
    super(message)
    this.reason = reason
  }
}

/** More direct requests in flight on one connection than `MAX_INFLIGHT_REQUESTS`. */
export class TooManyRequestsError extends SaorsaError {
  override readonly name = 'TooManyRequestsError'
}

/** Why a stream ended early: sent as one code byte in stream-reset and stream-stop frames. */
export type StreamResetReason = 'no-handler' | 'too-large' | 'busy' | 'cancelled' | 'aborted'

/** The stream was reset by either side before it completed. */
export class StreamResetError extends SaorsaError {
  override readonly name = 'StreamResetError'
  readonly reason: StreamResetReason
  constructor(reason: StreamResetReason, message = `stream reset: ${reason}`) {
    super(message)
    this.reason = reason
  }
}
