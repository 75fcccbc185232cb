/**
 * The shape shared by every sans-IO protocol core (ARCHITECTURE.md section 2, after iroh-gossip's
 * `proto` module): one entry point `handle(input, nowMs, out)`, inputs as a tagged union, outputs
 * pushed to an outbox, timers as plain data that are never cancelled (a stale timer is a no-op
 * because the handler re-checks state when it fires).
 */
import type { PeerId } from './ids.ts'

/** What a driver or the simulator feeds into a core. */
export type CoreInput<Msg, Timer, Command> =
  | { readonly type: 'recv'; readonly from: PeerId; readonly msg: Msg }
  | { readonly type: 'command'; readonly command: Command }
  | { readonly type: 'timer'; readonly timer: Timer }
  | { readonly type: 'peer-up'; readonly peer: PeerId }
  | { readonly type: 'peer-down'; readonly peer: PeerId }

/** What a core asks its driver to do. */
export type CoreOutput<Msg, Timer, Event> =
  | { readonly type: 'send'; readonly to: PeerId; readonly msg: Msg }
  | { readonly type: 'emit'; readonly event: Event }
  | { readonly type: 'schedule'; readonly delayMs: number; readonly timer: Timer }
  | { readonly type: 'disconnect'; readonly peer: PeerId }

/** A push-only sink; a plain array works. */
export interface Outbox<T> {
  push(...items: T[]): number
}

/** A sans-IO state machine. `nowMs` is monotonic milliseconds from the driver's clock. */
export interface ProtocolCore<Msg, Timer, Command, Event> {
  handle(input: CoreInput<Msg, Timer, Command>, nowMs: number, out: Outbox<CoreOutput<Msg, Timer, Event>>): void
}
