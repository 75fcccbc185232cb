/**
 * PubSub's own error classes (named, as every package's: callers and tests match on `err.name`).
 */
import { SaorsaError } from '@saorsa-gossip/types'

/**
 * `publish` refused a message before accepting it: this node's event loop runs further behind than
 * `maxPublishLagMs`, so a message accepted now could not be forwarded in time. Nothing was signed
 * or sent; retry after `lagMs` or slow down.
 */
export class PublishBackpressureError extends SaorsaError {
  override readonly name = 'PublishBackpressureError'
  /** How late this node's event loop ran when the publish was refused (ms). */
  readonly lagMs: number

  constructor(lagMs: number, limitMs: number) {
    super(`publish refused: this node runs ${Math.round(lagMs)} ms late (limit ${limitMs} ms); retry later`)
    this.lagMs = lagMs
  }
}
