/**
 * Commands, events, timers and the member view of the SWIM core (Das, Gupta, Motivala, DSN 2002;
 * Lifeguard, arXiv:1707.00788), as plain data: timers are scheduled and handed back unchanged, never
 * cancelled.
 */
import type { CoreInput, CoreOutput, PeerId } from '@saorsa-gossip/types'
import type { SwimMessage, SwimState } from './swim-messages.ts'

export type SwimCommand =
  | { readonly type: 'add-member'; readonly peer: PeerId }
  | { readonly type: 'remove-member'; readonly peer: PeerId }
  /** The driver's sample of how late its event loop runs (`swim-lag.ts`); widens timeouts while it lasts. */
  | { readonly type: 'local-lag'; readonly lagMs: number }

export type SwimEvent =
  /** `by` raised the suspicion (this node after a failed probe, or the gossiped update's origin). */
  | { readonly type: 'member-suspect'; readonly peer: PeerId; readonly incarnation: number; readonly by: PeerId }
  /** A suspected or dead member refuted with a higher incarnation. */
  | { readonly type: 'member-alive'; readonly peer: PeerId; readonly incarnation: number }
  | { readonly type: 'member-dead'; readonly peer: PeerId; readonly incarnation: number; readonly by: PeerId }

/** Timers are data; each carries what makes it exact, so a stale one is a no-op when it fires. */
export type SwimTimer =
  /** Ends probe round `tick` and starts the next; `dueMs` lets the core notice that it fired late. */
  | { readonly type: 'probe'; readonly tick: number; readonly dueMs: number; readonly extended: boolean }
  /** The gossip loop; there is only ever one chain of it. */
  | { readonly type: 'gossip' }
  | { readonly type: 'ack-timeout'; readonly seq: number }
  | { readonly type: 'relay-timeout'; readonly seq: number }
  /** Ends a suspicion; `extended` marks the one extra wait granted when the timer itself ran late. */
  | { readonly type: 'suspicion'; readonly peer: PeerId; readonly incarnation: number; readonly extended: boolean }

export type SwimInput = CoreInput<SwimMessage, SwimTimer, SwimCommand>
export type SwimOutput = CoreOutput<SwimMessage, SwimTimer, SwimEvent>

/** A read-only view of one member, for tests, the simulator and the driver. */
export interface SwimMember {
  readonly peer: PeerId
  readonly state: SwimState
  readonly incarnation: number
}
