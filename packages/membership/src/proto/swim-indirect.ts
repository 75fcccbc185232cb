/**
 * SWIM indirect probing (Das, Gupta, Motivala, DSN 2002, section 3.1: PING-REQ through k helpers)
 * with Lifeguard nacks (arXiv:1707.00788, section IV-A): the prober's choice of helpers, and the
 * helper's side, which pings the target for the prober, relays its ack and answers a nack in time.
 */
import type { Outbox, PeerId, Rng } from '@saorsa-gossip/types'
import { sample, shuffled } from '@saorsa-gossip/types'
import type { SwimConfig } from './swim-config.ts'
import type { SwimMessage } from './swim-messages.ts'

/**
 * A PING-REQ helper is asked for a nack only if heard from within this many unscaled probe periods.
 * Tuned in simulation (silent 50% kill of 1,000 nodes): 1 period refilled the views in 48 s, 2 in
 * 53 s, 3 and more in 66 s, because members last heard before a mass failure stay "fresh" meanwhile.
 */
export const HELPER_FRESHNESS_PROBE_PERIODS = 1

/** Indirect probes this node runs for others at once; more PING-REQs are ignored (bounded input). */
export const MAX_PENDING_RELAYS = 1024

/** What helper choice needs to know of a member. */
export interface HelperCandidate {
  /** When this node last received any message from the member. */
  readonly heardAtMs: number
}

/**
 * Picks up to k helpers. With Lifeguard they are the members heard from most recently, and only
 * those heard within the last unscaled probe period are asked for nacks: a missing nack counts
 * against our own health, and a member that fell silent together with the target (a mass failure)
 * says nothing about us. Without Lifeguard they are k random members, asked for no nack.
 */
export function chooseHelpers<M extends HelperCandidate>(
  candidates: readonly M[], config: SwimConfig, nowMs: number, rng: Rng,
): Array<{ member: M; nack: boolean }> {
  const k = config.indirectChecks
  if (!config.lifeguard) return sample(rng, candidates, k).map((member) => ({ member, nack: false }))
  const freshSinceMs = nowMs - config.probeIntervalMs * HELPER_FRESHNESS_PROBE_PERIODS
  // Shuffled first, so members heard at the same moment are picked at random.
  const recent = shuffled(rng, candidates).sort((a, b) => b.heardAtMs - a.heardAtMs).slice(0, k)
  return recent.map((member) => ({ member, nack: member.heardAtMs >= freshSinceMs }))
}

/** A relay timer; the core tags it into its own timer type. */
export interface RelayTimer {
  readonly type: 'relay-timeout'
  readonly seq: number
}

interface Relay {
  readonly origin: PeerId
  readonly originSeq: number
  readonly nack: boolean
  /** The nack deadline passed; the relay stays open for a late ack until the ack timeout. */
  nackDue: boolean
}

type RelayOutput =
  | { readonly type: 'send'; readonly to: PeerId; readonly msg: SwimMessage }
  | { readonly type: 'schedule'; readonly delayMs: number; readonly timer: RelayTimer }

/** The helper's side: open relays keyed by the sequence number of our own ping to the target. */
export class IndirectRelays {
  readonly #config: SwimConfig
  readonly #relays = new Map<number, Relay>()

  constructor(config: SwimConfig) {
    this.#config = config
  }

  get full(): boolean {
    return this.#relays.size >= MAX_PENDING_RELAYS
  }

  /**
   * Opens a relay for the prober's request after our ping `seq` to the target went out. Helpers
   * wait unscaled timeouts: their own health is not in question (memberlist). The nack goes first,
   * early enough to reach the prober within its indirect window.
   */
  open(seq: number, origin: PeerId, originSeq: number, nack: boolean, out: Outbox<RelayOutput>): void {
    this.#relays.set(seq, { origin, originSeq, nack, nackDue: false })
    out.push({ type: 'schedule', delayMs: this.#config.nackTimeoutMs, timer: { type: 'relay-timeout', seq } })
  }

  /** Closes the relay our ping `seq` belongs to and says whom to send the ack to, under which seq. */
  takeForAck(seq: number): { readonly origin: PeerId; readonly originSeq: number } | undefined {
    const relay = this.#relays.get(seq)
    if (relay !== undefined) this.#relays.delete(seq)
    return relay
  }

  onTimeout(timer: RelayTimer, out: Outbox<RelayOutput>): void {
    const relay = this.#relays.get(timer.seq)
    if (relay === undefined) return
    const lateAckWindowMs = this.#config.ackTimeoutMs - this.#config.nackTimeoutMs
    if (!relay.nackDue) {
      relay.nackDue = true
      if (relay.nack) out.push({ type: 'send', to: relay.origin, msg: { type: 'nack', seq: relay.originSeq } })
      // An ack still arriving within the ack timeout is relayed: the prober may yet be waiting.
      if (lateAckWindowMs > 0) {
        out.push({ type: 'schedule', delayMs: lateAckWindowMs, timer })
        return
      }
    }
    this.#relays.delete(timer.seq)
  }
}
