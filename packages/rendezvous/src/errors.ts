/**
 * Named errors of the rendezvous service; tests match on `name`. Bad arguments throw the shared
 * InvalidParametersError naming the argument; a stopped service throws NotStartedError.
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** This node already provides the most targets one provider may (`maxPerProvider`). */
export class TooManyTargetsError extends SaorsaError {
  override readonly name = 'TooManyTargetsError'
}

/** The store file exists but is not a store this version wrote (it is left untouched). */
export class StoreFileError extends SaorsaError {
  override readonly name = 'StoreFileError'
}
