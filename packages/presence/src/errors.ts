/**
 * Errors of @saorsa-gossip/presence: small named classes that callers and tests match on `name`.
 * Shared errors (NotStartedError, AbortError, InvalidParametersError) come from @saorsa-gossip/types.
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** `announce`, `withdraw` or `online` named a group that was never added. */
export class UnknownGroupError extends SaorsaError {
  override readonly name: string = 'UnknownGroupError'
}

/** FIND_USER found no address: friends of friends did not answer and the rendezvous shard did not know. */
export class UserNotFoundError extends SaorsaError {
  override readonly name: string = 'UserNotFoundError'
}

/** FIND_USER needs a FOAF router (the coordinator) among the components. */
export class FindUnavailableError extends SaorsaError {
  override readonly name: string = 'FindUnavailableError'
}
