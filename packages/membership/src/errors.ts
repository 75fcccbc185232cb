/**
 * Errors of @saorsa-gossip/membership: small named classes (js-libp2p style) that tests and callers
 * match on `name`. Shared errors (NotStartedError, AbortError) come from @saorsa-gossip/types.
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** No bootstrap address could be dialled; `cause` holds the last dial error. */
export class JoinError extends SaorsaError {
  override readonly name: string = 'JoinError'
}
