/**
 * The piggyback queue of SWIM membership updates (SWIM section 4.1, infection-style dissemination;
 * ordering after memberlist's TransmitLimitedQueue): one pending update per member, a newer one
 * replaces the older, the least-sent updates go first, and each is dropped after the retransmit limit.
 */
import type { SwimUpdate } from './swim-messages.ts'

interface Pending {
  readonly update: SwimUpdate
  transmits: number
  /** Insertion order: among equally-sent updates the newest goes first. */
  readonly order: number
}

export class SwimUpdateQueue {
  readonly #pending = new Map<string, Pending>()
  #order = 0

  get size(): number {
    return this.#pending.size
  }

  /** Queues `update`, replacing any pending update about the same member. */
  enqueue(update: SwimUpdate): void {
    this.#pending.set(update.peer.toHex(), { update, transmits: 0, order: this.#order++ })
  }

  /** Forgets pending updates about a member that left the member list. */
  forget(peerKey: string): void {
    this.#pending.delete(peerKey)
  }

  /** The pending update about a member, if any. */
  pendingFor(peerKey: string): SwimUpdate | undefined {
    return this.#pending.get(peerKey)?.update
  }

  /**
   * Up to `max` updates for one outgoing message. Each taken update counts one transmission and is
   * dropped once it has been sent `limit` times.
   */
  take(max: number, limit: number): SwimUpdate[] {
    if (max <= 0 || this.#pending.size === 0) return []
    const ordered = [...this.#pending.entries()]
      .sort(([, a], [, b]) => a.transmits - b.transmits || b.order - a.order)
      .slice(0, max)
    const out: SwimUpdate[] = []
    for (const [key, pending] of ordered) {
      out.push(pending.update)
      pending.transmits += 1
      if (pending.transmits >= limit) this.#pending.delete(key)
    }
    return out
  }
}
