/**
 * @packageDocumentation
 * The driver runtime for sans-IO cores (`@saorsa-gossip/types/runtime`, docs/architecture.md section 2).
 * Every layer keeps its protocol in a core with one entry point, `handle(input, nowMs, out)`, and
 * runs it with a `CoreRuntime`: an input queue (the core is never re-entered), a timer heap with one
 * armed host timer, an injectable clock, `AbortSignal` to stop, and counted core errors. The layer's
 * own driver only decodes frames into `recv` inputs and carries `send`, `emit` and `disconnect`
 * outputs to its transport and its events. A core built from child cores lifts their outputs with
 * `liftOutputs`.
 *
 * @example
 * ```ts
 * import { CoreRuntime, liftOutputs } from '@saorsa-gossip/types/runtime'
 *
 * // A layer's driver: decode in, encode out, everything else is the runtime's.
 * const runtime = new CoreRuntime({
 *   core: new AdvertCore({ self, rng }),
 *   clock,                                         // ManualClock in tests, systemClock by default
 *   send: (to, msg) => void transport.connectionTo(to)?.send(PROTOCOL, encodeAdvert(msg)),
 *   emit: (event) => target.dispatchEvent(new CustomEvent(event.type, { detail: event })),
 *   onCoreError: (err) => log.error({ err }, 'advert core threw; input dropped'),
 * })
 * runtime.start({ signal })
 * transport.handle(PROTOCOL, (bytes, conn) => runtime.input({ type: 'recv', from: conn.remotePeer, msg: decodeAdvert(bytes) }))
 * runtime.input({ type: 'command', command: { type: 'advertise' } })
 * console.log(runtime.metrics())                   // { inputs, timersFired, timersPending, coreErrors }
 *
 * // A composite core: a child's messages and timers tagged with its layer, its events hooked.
 * const inner: ChildOutput[] = []
 * child.handle(input, nowMs, inner)
 * liftOutputs(inner, out, {
 *   msg: (msg) => ({ layer: 'child', msg }),
 *   timer: (timer) => ({ layer: 'child', timer }),
 *   event: (event, out) => out.push({ type: 'emit', event }),
 * })
 * ```
 */
export { CoreRuntime, type CoreRuntimeInit, type RuntimeMetrics } from './core-runtime.ts'
export { TimerHeap } from './timer-heap.ts'
export { LagMonitor } from './lag-monitor.ts'
export { liftOutputs, type Lift } from '../sansio.ts'
