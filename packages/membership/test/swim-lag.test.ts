/**
 * SWIM's local-lag input (`swim-lag.ts`): the driver's event-loop lag widens the ack timeout, the
 * protocol period and the suspicion timeout by `lagMultiplier * lag` (capped), only while it lasts.
 */
import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { Swim, type SwimInput, type SwimOutput, type SwimTimer } from '../src/proto/swim.ts'
import { SWIM_LAN, validateSwimConfig, type SwimConfig } from '../src/proto/swim-config.ts'
import { LocalLag } from '../src/proto/swim-lag.ts'
import { MembershipCore, type MembershipOutput } from '../src/proto/membership.ts'

const peer = (n: number): PeerId => PeerId.fromBytes(new Uint8Array(32).fill(n))
const SELF = peer(1)
const A = peer(2)
const B = peer(3)

function step(swim: Swim, input: SwimInput, nowMs: number): SwimOutput[] {
  const out: SwimOutput[] = []
  swim.handle(input, nowMs, out)
  return out
}
const lag = (swim: Swim, lagMs: number, now: number): SwimOutput[] => step(swim, { type: 'command', command: { type: 'local-lag', lagMs } }, now)
const fire = (swim: Swim, timer: SwimTimer, now: number): SwimOutput[] => step(swim, { type: 'timer', timer }, now)
const probeTimer = (tick: number, dueMs: number, extended = false): SwimTimer => ({ type: 'probe', tick, dueMs, extended })
const events = (out: SwimOutput[]): string[] => out.flatMap((o) => (o.type === 'emit' ? [o.event.type] : []))
const schedules = (out: SwimOutput[]): Array<{ delayMs: number; timer: SwimTimer }> =>
  out.flatMap((o) => (o.type === 'schedule' ? [{ delayMs: o.delayMs, timer: o.timer }] : []))

function makeSwim(members: PeerId[], config: Partial<SwimConfig> = {}): Swim {
  const swim = new Swim(SELF, { ...SWIM_LAN, ...config }, new SeededRng(7))
  for (const m of members) step(swim, { type: 'command', command: { type: 'add-member', peer: m } }, 0)
  return swim
}

describe('SWIM local lag: timeouts widen while this node runs late', () => {
  // LAN: tolerance 100 ms, multiplier 2, cap 3,000 ms; ack timeout 500 ms, period 1,000 ms.
  it.each([
    [0, 0], [100, 0], [150, 300], [400, 800], [1500, 3000], [10_000, 3000],
  ])('a lag of %d ms widens the ack timeout and the period by %d ms', (lagMs, widening) => {
    const swim = makeSwim([A])
    lag(swim, lagMs, 1000)
    expect(swim.lagWideningMs(1000)).toBe(widening)
    expect(schedules(fire(swim, probeTimer(0, 1000), 1000))).toEqual([
      { delayMs: 500 + widening, timer: { type: 'ack-timeout', seq: 1 } },
      { delayMs: 1000 + widening, timer: probeTimer(1, 2000 + widening) },
    ])
  })

  it.each([
    [0, 1000], [1000, 500], [2000, 250], [3000, 125], [4000, 62.5],
  ])('the estimate halves every second: %d ms after a 1,000 ms sample it is %d ms', (afterMs, estimate) => {
    const local = new LocalLag()
    local.report(1000, 5000, SWIM_LAN)
    expect(local.lagMs(5000 + afterMs)).toBeCloseTo(estimate, 6)
    // A smaller sample does not lower what is still decaying from a larger one.
    local.report(10, 5000 + afterMs, SWIM_LAN)
    expect(local.lagMs(5000 + afterMs)).toBeCloseTo(Math.max(estimate, 10), 6)
  })

  it('ignores negative and non-finite samples', () => {
    const swim = makeSwim([A])
    for (const bad of [-5, Number.NaN, Number.POSITIVE_INFINITY]) lag(swim, bad, 1000)
    expect(swim.lagMs(1000)).toBe(0)
  })

  it('widens nothing with Lifeguard off (plain SWIM has fixed timeouts)', () => {
    const swim = makeSwim([A], { lifeguard: false })
    lag(swim, 2000, 1000)
    expect(swim.lagWideningMs(1000)).toBe(0)
    expect(schedules(fire(swim, probeTimer(0, 1000), 1000)).map((s) => s.delayMs)).toEqual([500, 1000])
  })

  it('waits once more, by the widening, before a failed probe becomes a suspicion while late', () => {
    const late = makeSwim([A])
    fire(late, probeTimer(0, 1000), 1000) // pings A; no ack comes
    lag(late, 400, 1900)
    const ended = fire(late, probeTimer(1, 2000), 2000)
    expect(events(ended)).toEqual([])
    const widening = late.lagWideningMs(2000)
    expect(widening).toBe(746) // 2 x 400 x 2^-0.1, rounded
    expect(schedules(ended)).toEqual([{ delayMs: widening, timer: probeTimer(1, 2000 + widening, true) }])
    expect(events(fire(late, probeTimer(1, 2000 + widening, true), 2000 + widening))).toEqual(['member-suspect'])

    const onTime = makeSwim([A])
    fire(onTime, probeTimer(0, 1000), 1000)
    expect(events(fire(onTime, probeTimer(1, 2000), 2000))).toEqual(['member-suspect'])
  })

  it('widens the suspicion timeout by the lag at its start, and again by the lag when it expires, never past the cap', () => {
    const suspectA = { type: 'gossip' as const, updates: [{ peer: A, state: 'suspect' as const, incarnation: 0, from: B }] }
    // Three live members: minimum 4 x 1 x 1,000 ms; too few for confirmations, so 4,000 ms.
    const onTime = makeSwim([A, B])
    const start = step(onTime, { type: 'recv', from: B, msg: suspectA }, 10)
    expect(schedules(start).find((s) => s.timer.type === 'suspicion')?.delayMs).toBe(4000)

    const late = makeSwim([A, B])
    lag(late, 1000, 10)
    const timer = schedules(step(late, { type: 'recv', from: B, msg: suspectA }, 10)).find((s) => s.timer.type === 'suspicion')!
    expect(timer.delayMs).toBe(4000 + 2000)
    // Still late when it expires (a 10 s lag now): the deadline moves to start + 4,000 + the 3,000 ms cap.
    lag(late, 10_000, 6010)
    const expired = fire(late, timer.timer, 6010)
    expect(events(expired)).toEqual([])
    expect(schedules(expired)).toEqual([{ delayMs: 1000, timer: timer.timer }])
    lag(late, 10_000, 7010)
    expect(events(fire(late, timer.timer, 7010))).toEqual(['member-dead'])
  })

  it('declares a suspect dead on the unwidened deadline once the lag has decayed', () => {
    const suspectA = { type: 'gossip' as const, updates: [{ peer: A, state: 'suspect' as const, incarnation: 0, from: B }] }
    const swim = makeSwim([A, B])
    lag(swim, 1000, 10)
    const timer = schedules(step(swim, { type: 'recv', from: B, msg: suspectA }, 10)).find((s) => s.timer.type === 'suspicion')!
    // 6 s without a new sample: 1,000 x 2^-6 = 16 ms, under the tolerance.
    expect(events(fire(swim, timer.timer, 6010))).toEqual(['member-dead'])
  })

  it('validates the lag settings by name', () => {
    expect(() => validateSwimConfig({ ...SWIM_LAN, lagMultiplier: 17 })).toThrow(/swim\.lagMultiplier/)
    expect(() => validateSwimConfig({ ...SWIM_LAN, lagToleranceMs: -1 })).toThrow(/swim\.lagToleranceMs/)
    expect(() => validateSwimConfig({ ...SWIM_LAN, maxLagWideningMs: 1.5 })).toThrow(/swim\.maxLagWideningMs/)
  })
})

describe('the membership core routes local lag to SWIM', () => {
  it('widens SWIM timeouts on a local-lag command and leaves HyParView untouched', () => {
    const core = new MembershipCore({ self: { id: SELF, addrs: ['mem://self'] }, rng: new SeededRng(3) })
    const out: MembershipOutput[] = []
    core.handle({ type: 'command', command: { type: 'local-lag', lagMs: 400 } }, 1000, out)
    expect(core.lagMs(1000)).toBe(400)
    expect(core.lagWideningMs(1000)).toBe(800)
    expect(out.filter((o) => o.type === 'send' || o.type === 'emit')).toEqual([])
  })
})
