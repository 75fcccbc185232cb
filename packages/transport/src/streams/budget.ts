/**
 * The transport-wide memory budget for inbound stream buffers (SPEC.md section 5.6). A receiver
 * reserves a stream's window before granting it as credit, so the bytes every sender may have in
 * flight towards this transport, plus the bytes buffered and unread, never exceed the budget.
 */

/**
 * 64 MiB: what the earlier whole-message bulk reassembly allowed per connection, now shared by all
 * connections; it holds 64 full stream windows, so dozens of multi-megabyte transfers (MLS Welcomes,
 * CRDT snapshots) proceed at once while a flood of opened streams cannot exhaust the process.
 */
export const DEFAULT_STREAM_MEMORY_BYTES = 64 * 1024 * 1024

export class MemoryBudget {
  readonly limit: number
  #reserved = 0
  #buffered = 0

  constructor(limit: number) {
    this.limit = limit
  }

  /** Bytes promised to senders as credit or held in buffers. */
  get reserved(): number { return this.#reserved }
  /** Bytes received and not yet read, across every stream. */
  get buffered(): number { return this.#buffered }

  tryReserve(bytes: number): boolean {
    if (this.#reserved + bytes > this.limit) return false
    this.#reserved += bytes
    return true
  }

  release(bytes: number): void {
    this.#reserved -= bytes
  }

  /** Buffered bytes are part of a reservation already made; this only tracks how much is actually held. */
  hold(bytes: number): void { this.#buffered += bytes }
  drop(bytes: number): void { this.#buffered -= bytes }
}
