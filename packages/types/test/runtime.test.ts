import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ManualClock, PeerId, liftOutputs, type CoreInput, type CoreOutput, type Outbox, type ProtocolCore } from '../src/index.ts'
import { CoreRuntime, TimerHeap } from '../src/runtime/index.ts'

const PEER = PeerId.fromPublicKey(new Uint8Array(32).fill(7))

type Msg = string
type Timer = { readonly name: string }
type Command = { readonly type: 'schedule'; readonly name: string; readonly delayMs: number } | { readonly type: 'echo'; readonly text: string } | { readonly type: 'throw' }
type Event = { readonly type: 'seen'; readonly what: string; readonly nowMs: number }

/** A core that records every input it handles and whether it was re-entered. */
class RecordingCore implements ProtocolCore<Msg, Timer, Command, Event> {
  readonly log: string[] = []
  reentered = false
  #inside = false

  handle(input: CoreInput<Msg, Timer, Command>, nowMs: number, out: Outbox<CoreOutput<Msg, Timer, Event>>): void {
    if (this.#inside) this.reentered = true
    this.#inside = true
    try {
      switch (input.type) {
        case 'recv':
          this.log.push(`recv ${input.msg}`)
          out.push({ type: 'emit', event: { type: 'seen', what: input.msg, nowMs } })
          return
        case 'timer':
          this.log.push(`timer ${input.timer.name}@${nowMs}`)
          out.push({ type: 'emit', event: { type: 'seen', what: input.timer.name, nowMs } })
          return
        case 'command':
          if (input.command.type === 'schedule') out.push({ type: 'schedule', delayMs: input.command.delayMs, timer: { name: input.command.name } })
          else if (input.command.type === 'echo') out.push({ type: 'send', to: PEER, msg: input.command.text })
          else {
            out.push({ type: 'send', to: PEER, msg: 'before-throw' })
            throw new Error('core bug')
          }
          return
        case 'peer-up':
        case 'peer-down':
          this.log.push(input.type)
          out.push({ type: 'disconnect', peer: input.peer })
      }
    } finally {
      this.#inside = false
    }
  }
}

function setup(clock = new ManualClock(1_000)) {
  const core = new RecordingCore()
  const sent: string[] = []
  const events: Event[] = []
  const disconnected: PeerId[] = []
  const errors: unknown[] = []
  const runtime: CoreRuntime<Msg, Timer, Command, Event> = new CoreRuntime<Msg, Timer, Command, Event>({
    core, clock,
    send: (_to, msg) => sent.push(msg),
    emit: (event) => {
      events.push(event)
      // A listener that feeds the core again must wait for the current input to finish.
      if (event.what === 'ping') runtime.input({ type: 'recv', from: PEER, msg: 'pong' })
    },
    disconnect: (peer) => disconnected.push(peer),
    onCoreError: (error) => errors.push(error),
  })
  return { core, runtime, clock, sent, events, disconnected, errors }
}

describe('CoreRuntime', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('queues inputs fed from inside an output handler instead of re-entering the core', () => {
    const { core, runtime } = setup()
    runtime.start()
    runtime.input({ type: 'recv', from: PEER, msg: 'ping' })
    expect(core.log).toEqual(['recv ping', 'recv pong'])
    expect(core.reentered).toBe(false)
    expect(runtime.metrics().inputs).toBe(2)
  })

  it('fires timers in due order, equal due times in scheduling order, with one host timer armed', async () => {
    const { core, runtime, clock } = setup()
    runtime.start()
    runtime.input(
      { type: 'command', command: { type: 'schedule', name: 'late', delayMs: 300 } },
      { type: 'command', command: { type: 'schedule', name: 'a', delayMs: 100 } },
      { type: 'command', command: { type: 'schedule', name: 'b', delayMs: 100 } },
      { type: 'command', command: { type: 'schedule', name: 'now', delayMs: -5 } },
    )
    expect(vi.getTimerCount()).toBe(1)
    expect(runtime.metrics().timersPending).toBe(4)
    await vi.advanceTimersByTimeAsync(0)
    expect(core.log).toEqual(['timer now@1000'])
    clock.advance(100)
    await vi.advanceTimersByTimeAsync(100)
    expect(core.log).toEqual(['timer now@1000', 'timer a@1100', 'timer b@1100'])
    expect(vi.getTimerCount()).toBe(1)
    clock.advance(200)
    await vi.advanceTimersByTimeAsync(200)
    expect(core.log.at(-1)).toBe('timer late@1300')
    expect(vi.getTimerCount()).toBe(0)
    expect(runtime.metrics()).toMatchObject({ timersFired: 4, timersPending: 0 })
  })

  it('re-arms for an earlier timer scheduled after a later one', async () => {
    const { core, runtime } = setup()
    runtime.start()
    runtime.input({ type: 'command', command: { type: 'schedule', name: 'slow', delayMs: 1_000 } })
    runtime.input({ type: 'command', command: { type: 'schedule', name: 'fast', delayMs: 10 } })
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(10)
    // The ManualClock still says 1000: the core sees the timer's due time, never less.
    expect(core.log).toEqual(['timer fast@1010'])
  })

  it('fires a due timer at its due time even when the injected clock lags the host timer, and never goes back', async () => {
    const { core, runtime, events } = setup()
    runtime.start()
    runtime.input({ type: 'command', command: { type: 'schedule', name: 'x', delayMs: 50 } })
    // The ManualClock is not advanced: the host timer alone says the timer is due. Node does the
    // same to performance.now() by up to about 1.5 ms; a core comparing its deadline to the time it
    // is handed would otherwise take the timer as early and drop it.
    await vi.advanceTimersByTimeAsync(50)
    expect(core.log).toEqual(['timer x@1050'])
    expect(vi.getTimerCount()).toBe(0)
    runtime.input({ type: 'recv', from: PEER, msg: 'later' })
    expect(events.at(-1)).toEqual({ type: 'seen', what: 'later', nowMs: 1_050 })
    runtime.input({ type: 'command', command: { type: 'schedule', name: 'y', delayMs: 10 } })
    await vi.advanceTimersByTimeAsync(10)
    expect(core.log.at(-1)).toBe('timer y@1060')
  })

  it('queues the beforeTimers inputs ahead of each batch of due timers', async () => {
    const clock = new ManualClock(0)
    const core = new RecordingCore()
    const runtime = new CoreRuntime<Msg, Timer, Command, Event>({
      core, clock, send: () => {}, emit: () => {},
      beforeTimers: () => [{ type: 'recv', from: PEER, msg: 'wall-clock' }],
    })
    runtime.start()
    runtime.input({ type: 'command', command: { type: 'schedule', name: 't1', delayMs: 5 } }, { type: 'command', command: { type: 'schedule', name: 't2', delayMs: 5 } })
    await vi.advanceTimersByTimeAsync(5)
    expect(core.log).toEqual(['recv wall-clock', 'timer t1@5', 'timer t2@5'])
  })

  it('counts a core error, applies the outputs made before it, and keeps running', () => {
    const { runtime, sent, errors, core } = setup()
    runtime.start()
    runtime.input({ type: 'command', command: { type: 'throw' } }, { type: 'recv', from: PEER, msg: 'after' })
    expect(runtime.metrics().coreErrors).toBe(1)
    expect((errors[0] as Error).message).toBe('core bug')
    expect(sent).toEqual(['before-throw'])
    expect(core.log).toEqual(['recv after'])
  })

  it('routes send, emit and disconnect outputs to their handlers', () => {
    const { runtime, sent, events, disconnected } = setup()
    runtime.start()
    runtime.input({ type: 'command', command: { type: 'echo', text: 'hi' } }, { type: 'recv', from: PEER, msg: 'm' }, { type: 'peer-down', peer: PEER })
    expect(sent).toEqual(['hi'])
    expect(events).toEqual([{ type: 'seen', what: 'm', nowMs: 1_000 }])
    expect(disconnected.map((p) => p.toHex())).toEqual([PEER.toHex()])
  })

  it('stops on abort: the host timer is cleared, inputs are ignored, timers survive for a restart', async () => {
    const { core, runtime, clock } = setup()
    const controller = new AbortController()
    runtime.start({ signal: controller.signal })
    runtime.input({ type: 'command', command: { type: 'schedule', name: 'periodic', delayMs: 100 } })
    controller.abort()
    expect(runtime.running).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
    runtime.input({ type: 'recv', from: PEER, msg: 'ignored' })
    await vi.advanceTimersByTimeAsync(500)
    expect(core.log).toEqual([])
    clock.advance(500)
    runtime.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(core.log).toEqual(['timer periodic@1500'])
  })

  it('never starts with an already aborted signal', () => {
    const { runtime } = setup()
    runtime.start({ signal: AbortSignal.abort() })
    expect(runtime.running).toBe(false)
  })
})

describe('TimerHeap', () => {
  it('pops due entries earliest first and equal due times in insertion order', () => {
    const heap = new TimerHeap<string>()
    const order = [50, 10, 30, 10, 40, 20, 10]
    order.forEach((due, i) => heap.push(due, `${due}#${i}`))
    expect(heap.peekDue()).toBe(10)
    expect(heap.popDue(25)).toEqual(['10#1', '10#3', '10#6', '20#5'])
    expect(heap.size).toBe(3)
    expect(heap.popDue(100)).toEqual(['30#2', '40#4', '50#0'])
    expect(heap.peekDue()).toBeUndefined()
  })
})

describe('liftOutputs', () => {
  type ChildOut = CoreOutput<string, number, string>
  type ParentOut = CoreOutput<{ layer: 'c'; msg: string }, { layer: 'c'; timer: number }, { from: 'c'; event: string }>

  it('wraps messages and timers, hands events to the hook in order, passes disconnect through', () => {
    const child: ChildOut[] = [
      { type: 'send', to: PEER, msg: 'hello' },
      { type: 'emit', event: 'up' },
      { type: 'schedule', delayMs: 5, timer: 3 },
      { type: 'disconnect', peer: PEER },
    ]
    const out: ParentOut[] = []
    liftOutputs(child, out, {
      msg: (msg) => ({ layer: 'c', msg }),
      timer: (timer) => ({ layer: 'c', timer }),
      event: (event, o) => { o.push({ type: 'emit', event: { from: 'c', event } }) },
    })
    expect(out).toEqual([
      { type: 'send', to: PEER, msg: { layer: 'c', msg: 'hello' } },
      { type: 'emit', event: { from: 'c', event: 'up' } },
      { type: 'schedule', delayMs: 5, timer: { layer: 'c', timer: 3 } },
      { type: 'disconnect', peer: PEER },
    ])
  })

  it('lets the parent take over a child disconnect', () => {
    const out: ParentOut[] = []
    const taken: PeerId[] = []
    liftOutputs(
      [{ type: 'disconnect', peer: PEER }], out,
      { msg: (msg) => ({ layer: 'c', msg }), timer: (timer) => ({ layer: 'c', timer }), event: () => {}, disconnect: (peer) => { taken.push(peer) } },
    )
    expect(out).toEqual([])
    expect(taken).toHaveLength(1)
  })
})
