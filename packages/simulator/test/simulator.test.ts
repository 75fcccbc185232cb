import { describe, it, expect } from 'vitest'
import { SeededRng } from '@saorsa-gossip/types'
import type { CoreInput, CoreOutput, Outbox, PeerId, ProtocolCore } from '@saorsa-gossip/types'
import { EventHeap } from '../src/heap.ts'
import { LinkLatency } from '../src/latency.ts'
import { Simulator } from '../src/simulator.ts'
import { simPeerId } from '../src/ids.ts'
import { checkOverlay, isHealthy } from '../src/invariants.ts'

type Msg = { kind: 'ping' | 'pong'; n: number }
type Timer = { tick: number }
type Command = { ping: PeerId; n: number } | { every: number }
type Event = { got: Msg['kind']; n: number; from: string; at: number } | { timer: number; at: number } | { down: string; at: number }

/** Answers pings with pongs, pings on command, and records what it sees as events. */
class EchoCore implements ProtocolCore<Msg, Timer, Command, Event> {
  handle(input: CoreInput<Msg, Timer, Command>, nowMs: number, out: Outbox<CoreOutput<Msg, Timer, Event>>): void {
    switch (input.type) {
      case 'recv':
        out.push({ type: 'emit', event: { got: input.msg.kind, n: input.msg.n, from: input.from.toShortString(), at: nowMs } })
        if (input.msg.kind === 'ping') out.push({ type: 'send', to: input.from, msg: { kind: 'pong', n: input.msg.n } })
        break
      case 'command':
        if ('ping' in input.command) out.push({ type: 'send', to: input.command.ping, msg: { kind: 'ping', n: input.command.n } })
        else out.push({ type: 'schedule', delayMs: input.command.every, timer: { tick: input.command.every } })
        break
      case 'timer':
        out.push({ type: 'emit', event: { timer: input.timer.tick, at: nowMs } })
        out.push({ type: 'schedule', delayMs: input.timer.tick, timer: input.timer })
        break
      case 'peer-down':
        out.push({ type: 'emit', event: { down: input.peer.toShortString(), at: nowMs } })
        break
      case 'peer-up':
        break
    }
  }
}

const a = simPeerId(0)
const b = simPeerId(1)
const c = simPeerId(2)

function echoSim(init: Partial<ConstructorParameters<typeof Simulator<Msg, Timer, Command, Event>>[0]> = {}) {
  const sim = new Simulator<Msg, Timer, Command, Event>({ seed: 7, kindOf: (m) => m.kind, sizeOf: () => 10, ...init })
  for (const id of [a, b, c]) sim.addNode(id, new EchoCore())
  return sim
}

describe('EventHeap', () => {
  it('pops events in (time, seq) order whatever the insertion order', () => {
    const heap = new EventHeap<{ time: number; seq: number }>()
    const rng = new SeededRng(3)
    const items = Array.from({ length: 500 }, (_, seq) => ({ time: rng.nextInt(50), seq }))
    for (const item of items) heap.push(item)
    const popped: Array<{ time: number; seq: number }> = []
    for (let x = heap.pop(); x !== undefined; x = heap.pop()) popped.push(x)
    const expected = items.slice().sort((p, q) => p.time - q.time || p.seq - q.seq)
    expect(popped).toEqual(expected)
  })
})

describe('LinkLatency', () => {
  it('is symmetric, within range and fixed per link', () => {
    const latency = new LinkLatency(99, [10, 50])
    const seen = new Set<number>()
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j < 50; j++) {
        const l = latency.between(i, j)
        expect(l).toBe(latency.between(j, i))
        expect(l).toBeGreaterThanOrEqual(10)
        expect(l).toBeLessThanOrEqual(50)
        seen.add(l)
      }
    }
    expect(seen.size).toBe(41)
  })
})

describe('Simulator', () => {
  it('delivers a ping and its pong after one link latency each way', () => {
    const sim = echoSim()
    sim.command(a, { ping: b, n: 1 })
    sim.runFor(1000)
    const got = sim.events().map((e) => e.event)
    expect(got).toHaveLength(2)
    const [ping, pong] = got as Array<{ at: number; got: string }>
    expect(ping!.got).toBe('ping')
    expect(pong!.got).toBe('pong')
    expect(pong!.at).toBe(2 * ping!.at)
    expect(ping!.at).toBeGreaterThanOrEqual(10)
    expect(ping!.at).toBeLessThanOrEqual(50)
    expect(sim.report().perKind).toEqual({ ping: { count: 1, bytes: 10 }, pong: { count: 1, bytes: 10 } })
  })

  it('produces the same trace and report for the same seed and a different one for another seed', () => {
    const run = (seed: number) => {
      const sim = echoSim({ seed, lossRate: 0.2, duplicateRate: 0.1 })
      for (let n = 0; n < 200; n++) sim.command(n % 2 === 0 ? a : c, { ping: n % 3 === 0 ? c : b, n })
      sim.runFor(5000)
      return JSON.stringify({ report: sim.report(), events: sim.events() })
    }
    expect(run(1)).toBe(run(1))
    expect(run(1)).not.toBe(run(2))
  })

  it('drops everything across a partition and nothing after heal', () => {
    const sim = echoSim()
    sim.partition([[a], [b, c]])
    sim.command(a, { ping: b, n: 1 })
    sim.command(b, { ping: c, n: 2 })
    sim.runFor(1000)
    expect(sim.events(b)).toHaveLength(1)
    expect(sim.events(c)).toHaveLength(1)
    expect(sim.report().messages.dropped).toEqual({ partition: 1 })
    sim.heal()
    sim.command(a, { ping: b, n: 3 })
    sim.runFor(1000)
    expect(sim.events(a).map((e) => (e.event as { n: number }).n)).toEqual([3])
  })

  it('drops deliveries and timers of a killed node and tells connected peers after the connection timeout', () => {
    const sim = echoSim({ connectionTimeoutMs: 2000 })
    sim.command(a, { ping: b, n: 1 })
    sim.command(b, { every: 100 })
    sim.runFor(1000)
    const ticksBefore = sim.events(b).filter((e) => 'timer' in e.event).length
    expect(ticksBefore).toBe(10)
    sim.kill(b)
    sim.command(c, { ping: b, n: 2 })
    sim.runFor(3000)
    expect(sim.events(b).filter((e) => 'timer' in e.event)).toHaveLength(ticksBefore)
    expect(sim.events(a).filter((e) => 'down' in e.event).map((e) => e.time)).toEqual([3000])
    expect(sim.events(c).filter((e) => 'down' in e.event).map((e) => e.time)).toEqual([3000])
    sim.restart(b, new EchoCore())
    sim.command(a, { ping: b, n: 3 })
    sim.runFor(1000)
    expect(sim.events(a).filter((e) => 'got' in e.event).map((e) => (e.event as { n: number }).n)).toEqual([1, 3])
  })

  it('queues inputs of a stalled node and fires its timers late, all at the end of the stall', () => {
    const sim = echoSim()
    sim.command(b, { every: 100 })
    sim.runFor(150)
    sim.stall(b, 1000)
    sim.command(a, { ping: b, n: 1 })
    sim.runFor(2000)
    const times = sim.events(b).map((e) => e.event.at)
    // The 200 ms tick and the ping both wait for the stall to end; the re-armed tick follows 100 ms later.
    expect(times.slice(0, 4)).toEqual([100, 1150, 1150, 1250])
  })

  it('turns a disconnect output into peer-down on the other side after the latency plus 1 ms', () => {
    class Disconnecter extends EchoCore {
      override handle(input: CoreInput<Msg, Timer, Command>, nowMs: number, out: Outbox<CoreOutput<Msg, Timer, Event>>): void {
        if (input.type === 'command' && 'ping' in input.command) out.push({ type: 'disconnect', peer: input.command.ping })
        else super.handle(input, nowMs, out)
      }
    }
    const sim = new Simulator<Msg, Timer, Command, Event>({ seed: 7 })
    sim.addNode(a, new Disconnecter())
    sim.addNode(b, new EchoCore())
    sim.command(a, { ping: b, n: 0 })
    sim.runFor(200)
    const [down] = sim.events(b)
    expect(down?.event).toEqual({ down: a.toShortString(), at: down!.time })
    expect(down!.time).toBeGreaterThanOrEqual(11)
    expect(down!.time).toBeLessThanOrEqual(51)
  })

  it('runUntil stops as soon as the predicate holds and reports a timeout otherwise', () => {
    const sim = echoSim()
    sim.command(a, { every: 250 })
    expect(sim.runUntil(() => sim.events(a).length >= 3, { timeoutMs: 10_000, checkEveryMs: 50 })).toBe(true)
    expect(sim.now).toBe(750)
    expect(sim.runUntil(() => false, { timeoutMs: 1000 })).toBe(false)
    expect(sim.now).toBe(1750)
  })
})

describe('checkOverlay', () => {
  it('finds asymmetric edges, isolated nodes, bounds violations and components', () => {
    const views = new Map<string, string[]>([
      ['a', ['b']], ['b', ['a', 'c']], ['c', []], ['d', ['e']], ['e', ['d', 'x']],
    ])
    const check = checkOverlay(views, { minSize: 1, maxSize: 1 })
    expect(check).toEqual({
      nodes: 5, asymmetricEdges: 1, danglingEdges: 1, isolated: 1, outOfBounds: 3,
      components: 2, largestComponent: 3, histogram: { 0: 1, 1: 2, 2: 2 },
    })
    expect(isHealthy(check)).toBe(false)
    expect(isHealthy(checkOverlay(new Map([['a', ['b']], ['b', ['a']]]), { minSize: 1, maxSize: 2 }))).toBe(true)
  })
})
