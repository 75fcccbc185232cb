/**
 * Errors of @saorsa-gossip/coordinator: small named classes (js-libp2p style) that tests and callers
 * match on `name`. Remote input never throws: a bad advert, record or query becomes a verdict or a
 * counted drop. These are for local callers (bad arguments, unusable cache files).
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** A cache file path names something other than a regular file (a directory, a symlink, a device). */
export class CacheFileError extends SaorsaError {
  override readonly name = 'CacheFileError'
}

/** An advert or peer record we were asked to build would break a cap (too many hints, too large). */
export class AdvertTooLargeError extends SaorsaError {
  override readonly name = 'AdvertTooLargeError'
}

/** A FOAF query could not be started (no neighbours, or our own query budget is spent). */
export class QueryError extends SaorsaError {
  override readonly name = 'QueryError'
}
