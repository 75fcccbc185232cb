/**
 * Named errors of the groups layer (tests match on `name`). Remote input that fails any check
 * raises one of these with the group state unchanged; `cause` keeps ts-mls's own error.
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** Base class of every groups error. */
export class GroupError extends SaorsaError {
  override readonly name: string = 'GroupError'
}

/** A key package is malformed, expired, of another suite, or its credential does not bind its PeerId. */
export class InvalidKeyPackageError extends GroupError {
  override readonly name = 'InvalidKeyPackageError'
}

/** A Welcome (or the ratchet tree sent with it) is malformed, forged, not for us, or fails MLS validation. */
export class InvalidWelcomeError extends GroupError {
  override readonly name = 'InvalidWelcomeError'
}

/** A commit is malformed, forged, or fails MLS validation for the epoch it names. */
export class InvalidCommitError extends GroupError {
  override readonly name = 'InvalidCommitError'
}

/** A commit or message names an epoch this member has already left behind (a replay or a late copy). */
export class StaleEpochError extends GroupError {
  override readonly name = 'StaleEpochError'
}

/** A commit or message names an epoch this member has not reached yet: it must catch up first. */
export class FutureEpochError extends GroupError {
  override readonly name = 'FutureEpochError'
}

/** The operation needs membership: this node was removed, left, or never joined. */
export class NotMemberError extends GroupError {
  override readonly name = 'NotMemberError'
}

/** A group message cannot be read: wrong group, unknown epoch key, forged or tampered ciphertext. */
export class GroupMessageError extends GroupError {
  override readonly name = 'GroupMessageError'
}

/** A stored group state file is damaged, truncated, or sealed under another key. */
export class GroupStateCorruptError extends GroupError {
  override readonly name = 'GroupStateCorruptError'
}

/** No group with this id is known to this node. */
export class UnknownGroupError extends GroupError {
  override readonly name = 'UnknownGroupError'
}
