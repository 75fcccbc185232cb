/**
 * Named errors of crdt-sync (tests match on `name`).
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** A replica's store could not be read or written. */
export class StoreError extends SaorsaError {
  override readonly name = 'StoreError'
}

/** `open()` named a document type this layer does not know, or a document already open with another type. */
export class DocTypeError extends SaorsaError {
  override readonly name = 'DocTypeError'
}
