/**
 * Named errors of the node package (js-libp2p style: match on `err.name`). The CLI maps them to
 * exit codes (see `cli/exit-codes.ts`).
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** No node is running for this home directory: the control socket is absent or dead. */
export class NoNodeRunningError extends SaorsaError {
  override readonly name = 'NoNodeRunningError'
}

/** Another node already serves the control socket of this home directory. */
export class NodeAlreadyRunningError extends SaorsaError {
  override readonly name = 'NodeAlreadyRunningError'
}

/** The running node answered a control request with an error. */
export class ControlRequestError extends SaorsaError {
  override readonly name = 'ControlRequestError'
  /** `name` of the error on the node side (e.g. `BadRequest`, `NoPeersError`). */
  readonly remoteName: string
  constructor(remoteName: string, message: string) {
    super(message)
    this.remoteName = remoteName
  }
}

/** Joining found no reachable peer among the bootstrap addresses and the peer cache. */
export class JoinFailedError extends SaorsaError {
  override readonly name = 'JoinFailedError'
}

/** A named identity does not exist in the keystore. */
export class IdentityNotFoundError extends SaorsaError {
  override readonly name = 'IdentityNotFoundError'
}
