/**
 * The shape shared by every sans-IO protocol core (docs/architecture.md section 2, after iroh-gossip's
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

/**
 * How a parent core lifts one child's outputs into its own (see `liftOutputs`): child messages and
 * timers are wrapped (usually tagged with the child's layer), child events go to a hook that may
 * push parent outputs and feed other children, and a child's `disconnect` passes through unless
 * the parent has its own hook for it.
 */
export interface Lift<ChildMsg, ChildTimer, ChildEvent, Msg, Timer, Event> {
  msg(msg: ChildMsg): Msg
  timer(timer: ChildTimer): Timer
  /** Called in output order, so anything it pushes lands where the event was. */
  event(event: ChildEvent, out: Outbox<CoreOutput<Msg, Timer, Event>>): void
  /** Default: pushed to the parent's outbox unchanged. */
  disconnect?(peer: PeerId, out: Outbox<CoreOutput<Msg, Timer, Event>>): void
}

/**
 * Moves a child core's outputs into its parent's outbox, in order: `send` and `schedule` wrapped by
 * `lift.msg` and `lift.timer`, `emit` handed to `lift.event`, `disconnect` to `lift.disconnect` (or
 * passed through). Every composite core (membership over HyParView and SWIM, a stack of layers in
 * the simulator) lifts its children this one way.
 *
 * @example
 * ```ts
 * const inner: SwimOutput[] = []
 * this.#swim.handle(input, nowMs, inner)
 * liftOutputs(inner, out, {
 *   msg: (msg) => ({ layer: 'swim', msg }),
 *   timer: (timer) => ({ layer: 'swim', timer }),
 *   event: (event, out) => out.push({ type: 'emit', event }),
 * })
 * ```
 */
export function liftOutputs<ChildMsg, ChildTimer, ChildEvent, Msg, Timer, Event>(
  outputs: Iterable<CoreOutput<ChildMsg, ChildTimer, ChildEvent>>,
  out: Outbox<CoreOutput<Msg, Timer, Event>>,
  lift: Lift<ChildMsg, ChildTimer, ChildEvent, Msg, Timer, Event>,
): void {
  for (const o of outputs) {
    switch (o.type) {
      case 'send': out.push({ type: 'send', to: o.to, msg: lift.msg(o.msg) }); break
      case 'schedule': out.push({ type: 'schedule', delayMs: o.delayMs, timer: lift.timer(o.timer) }); break
      case 'emit': lift.event(o.event, out); break
      case 'disconnect':
        if (lift.disconnect === undefined) out.push({ type: 'disconnect', peer: o.peer })
        else lift.disconnect(o.peer, out)
        break
    }
  }
}
