import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { MAX_INCARNATION, MAX_PENDING_RELAYS, Swim, type SwimInput, type SwimOutput, type SwimTimer } from '../src/proto/swim.ts'
import { SWIM_LAN, SWIM_LOCAL, SWIM_WAN, validateSwimConfig, type SwimConfig } from '../src/proto/swim-config.ts'
import type { SwimUpdate } from '../src/proto/swim-messages.ts'

const peer = (n: number): PeerId => PeerId.fromBytes(new Uint8Array(32).fill(n))
const SELF = peer(1)
const A = peer(2)
const B = peer(3)
const C = peer(4)
const D = peer(5)

function step(swim: Swim, input: SwimInput, nowMs: number): SwimOutput[] {
  const out: SwimOutput[] = []
  swim.handle(input, nowMs, out)
  return out
}
const add = (swim: Swim, p: PeerId, now = 0): SwimOutput[] => step(swim, { type: 'command', command: { type: 'add-member', peer: p } }, now)
const fire = (swim: Swim, timer: SwimTimer, now: number): SwimOutput[] => step(swim, { type: 'timer', timer }, now)
const recv = (swim: Swim, from: PeerId, msg: SwimInput & { type: 'recv' } extends { msg: infer M } ? M : never, now: number) =>
  step(swim, { type: 'recv', from, msg }, now)
const probeTimer = (tick: number, dueMs: number, extended = false): SwimTimer => ({ type: 'probe', tick, dueMs, extended })

function makeSwim(members: PeerId[], config: Partial<SwimConfig> = {}): Swim {
  const swim = new Swim(SELF, { ...SWIM_LAN, ...config }, new SeededRng(7))
  for (const m of members) add(swim, m)
  return swim
}

describe('SWIM probing', () => {
  it('arms the probe loop on its first input', () => {
    const swim = new Swim(SELF, SWIM_LAN, new SeededRng(1))
    expect(add(swim, A, 250)).toEqual([
      { type: 'schedule', delayMs: 1000, timer: probeTimer(0, 1250) },
      { type: 'schedule', delayMs: 200, timer: { type: 'gossip' } },
    ])
    expect(add(swim, B, 300)).toEqual([])
  })

  it('pings one member per period and schedules the ack timeout and the next round', () => {
    const swim = makeSwim([A])
    expect(fire(swim, probeTimer(0, 1000), 1000)).toEqual([
      { type: 'send', to: A, msg: { type: 'ping', seq: 1, updates: [] } },
      { type: 'schedule', delayMs: 500, timer: { type: 'ack-timeout', seq: 1 } },
      { type: 'schedule', delayMs: 1000, timer: probeTimer(1, 2000) },
    ])
  })

  it('probes every member once per round before any member twice', () => {
    const members = [A, B, C, D]
    const swim = makeSwim(members)
    const targets: string[] = []
    for (let tick = 0; tick < 8; tick++) {
      const out = fire(swim, probeTimer(tick, 1000 * (tick + 1)), 1000 * (tick + 1))
      const ping = out.find((o) => o.type === 'send')
      if (ping?.type !== 'send') throw new Error('no ping')
      targets.push(ping.to.toHex())
      const seq = ping.msg.type === 'ping' ? ping.msg.seq : -1
      recv(swim, ping.to, { type: 'ack', seq, updates: [] }, 1000 * (tick + 1) + 10)
    }
    expect(new Set(targets.slice(0, 4)).size).toBe(4)
    expect(new Set(targets.slice(4, 8)).size).toBe(4)
  })

  it('answers a ping with an ack of the same sequence number', () => {
    const swim = makeSwim([A])
    expect(recv(swim, A, { type: 'ping', seq: 42, updates: [] }, 10)).toEqual([
      { type: 'send', to: A, msg: { type: 'ack', seq: 42, updates: [] } },
    ])
  })

  it('ignores a probe timer from an earlier round', () => {
    const swim = makeSwim([A])
    fire(swim, probeTimer(0, 1000), 1000)
    expect(fire(swim, probeTimer(0, 1000), 1001)).toEqual([])
  })

  it('asks a recently heard helper for an indirect probe with a nack when the ack is late, then suspects the silent member', () => {
    const swim = makeSwim([A, B])
    const start = fire(swim, probeTimer(0, 1000), 1000)
    const ping = start[0]
    if (ping?.type !== 'send') throw new Error('no ping')
    const target = ping.to
    const helper = target.equals(A) ? B : A
    // Heard from within the last probe period (since 500): the helper is asked for a nack.
    recv(swim, helper, { type: 'ping', seq: 30, updates: [] }, 1200)
    expect(fire(swim, { type: 'ack-timeout', seq: 1 }, 1500)).toEqual([
      { type: 'send', to: helper, msg: { type: 'ping-req', seq: 1, target, nack: true, updates: [] } },
    ])
    expect(recv(swim, helper, { type: 'nack', seq: 1 }, 1850)).toEqual([])
    const end = fire(swim, probeTimer(1, 2000), 2000)
    const suspect: SwimUpdate = { peer: target, state: 'suspect', incarnation: 0, from: SELF }
    // Three live members: too few for confirmations, so the timeout is the 4 s minimum.
    expect(end.slice(0, 2)).toEqual([
      { type: 'schedule', delayMs: 4000, timer: { type: 'suspicion', peer: target, incarnation: 0, extended: false } },
      { type: 'emit', event: { type: 'member-suspect', peer: target, incarnation: 0, by: SELF } },
    ])
    // The helper answered, so this node is healthy and keeps its normal period.
    expect(swim.health).toBe(0)
    expect(end[2]).toEqual({ type: 'send', to: helper, msg: { type: 'ping', seq: 2, updates: [suspect] } })
  })

  it('counts a failed probe whose recently heard helper sent no nack against its own health and stretches its timeouts', () => {
    const swim = makeSwim([A, B])
    const ping = fire(swim, probeTimer(0, 1000), 1000)[0]
    if (ping?.type !== 'send') throw new Error('no ping')
    recv(swim, ping.to.equals(A) ? B : A, { type: 'ping', seq: 30, updates: [] }, 900)
    fire(swim, { type: 'ack-timeout', seq: 1 }, 1500)
    const end = fire(swim, probeTimer(1, 2000), 2000)
    expect(swim.health).toBe(1)
    expect(end.filter((o) => o.type === 'schedule' && o.timer.type !== 'suspicion')).toEqual([
      { type: 'schedule', delayMs: 1000, timer: { type: 'ack-timeout', seq: 2 } },
      { type: 'schedule', delayMs: 2000, timer: probeTimer(2, 4000) },
    ])
  })

  it('with no helper to ask counts a failed probe against its own health once', () => {
    const swim = makeSwim([A])
    fire(swim, probeTimer(0, 1000), 1000)
    expect(fire(swim, { type: 'ack-timeout', seq: 1 }, 1500)).toEqual([])
    fire(swim, probeTimer(1, 2000), 2000)
    expect(swim.health).toBe(1)
  })

  it('asks no nack of a helper it has not heard from within the last probe period and keeps its health', () => {
    const swim = makeSwim([A, B])
    const ping = fire(swim, probeTimer(0, 1000), 1000)[0]
    if (ping?.type !== 'send') throw new Error('no ping')
    const helper = ping.to.equals(A) ? B : A
    // Heard at 400, before the period that ends at the ack timeout (1500 - 1000 = 500) began.
    recv(swim, helper, { type: 'ping', seq: 30, updates: [] }, 400)
    expect(fire(swim, { type: 'ack-timeout', seq: 1 }, 1500)).toEqual([
      { type: 'send', to: helper, msg: { type: 'ping-req', seq: 1, target: ping.to, nack: false, updates: [] } },
    ])
    const end = fire(swim, probeTimer(1, 2000), 2000)
    expect(end[1]).toEqual({ type: 'emit', event: { type: 'member-suspect', peer: ping.to, incarnation: 0, by: SELF } })
    expect(swim.health).toBe(0)
  })

  describe('with helpers heard from at different times', () => {
    // Five members; the four besides the probe target were heard at 1400, 900, 200 and never.
    function probeWithHelpers(): { swim: Swim; target: PeerId; helpers: PeerId[]; asked: SwimOutput[] } {
      const swim = makeSwim([A, B, C, D, peer(6)])
      const ping = fire(swim, probeTimer(0, 1000), 1000)[0]
      if (ping?.type !== 'send') throw new Error('no ping')
      const others = [A, B, C, D, peer(6)].filter((p) => !p.equals(ping.to))
      const [newest, recent, stale] = others as [PeerId, PeerId, PeerId, PeerId]
      recv(swim, stale, { type: 'ping', seq: 30, updates: [] }, 200)
      recv(swim, recent, { type: 'ping', seq: 31, updates: [] }, 900)
      recv(swim, newest, { type: 'ping', seq: 32, updates: [] }, 1400)
      const asked = fire(swim, { type: 'ack-timeout', seq: 1 }, 1500)
      return { swim, target: ping.to, helpers: [newest, recent, stale], asked }
    }

    it('asks the k most recently heard members and wants nacks only from those heard within the last probe period', () => {
      const { target, helpers, asked } = probeWithHelpers()
      const [newest, recent, stale] = helpers as [PeerId, PeerId, PeerId]
      expect(asked).toEqual([
        { type: 'send', to: newest, msg: { type: 'ping-req', seq: 1, target, nack: true, updates: [] } },
        { type: 'send', to: recent, msg: { type: 'ping-req', seq: 1, target, nack: true, updates: [] } },
        { type: 'send', to: stale, msg: { type: 'ping-req', seq: 1, target, nack: false, updates: [] } },
      ])
    })

    it('costs its own health exactly one when every expected nack is missing', () => {
      const { swim } = probeWithHelpers()
      fire(swim, probeTimer(1, 2000), 2000)
      expect(swim.health).toBe(1)
    })

    it('costs its own health nothing once any expected nack arrived', () => {
      const { swim, helpers } = probeWithHelpers()
      recv(swim, helpers[1]!, { type: 'nack', seq: 1 }, 1900)
      fire(swim, probeTimer(1, 2000), 2000)
      expect(swim.health).toBe(0)
    })
  })

  it('accepts an indirect ack relayed by a helper as a successful probe', () => {
    const swim = makeSwim([A, B])
    const ping = fire(swim, probeTimer(0, 1000), 1000)[0]
    if (ping?.type !== 'send') throw new Error('no ping')
    const helper = ping.to.equals(A) ? B : A
    fire(swim, { type: 'ack-timeout', seq: 1 }, 1500)
    expect(recv(swim, helper, { type: 'ack', seq: 1, updates: [] }, 1700)).toEqual([])
    const end = fire(swim, probeTimer(1, 2000), 2000)
    expect(end.some((o) => o.type === 'emit')).toBe(false)
  })

  it('without Lifeguard asks helpers for no nacks and keeps a fixed period', () => {
    const swim = makeSwim([A, B], { lifeguard: false })
    const ping = fire(swim, probeTimer(0, 1000), 1000)[0]
    if (ping?.type !== 'send') throw new Error('no ping')
    const helper = ping.to.equals(A) ? B : A
    expect(fire(swim, { type: 'ack-timeout', seq: 1 }, 1500)).toEqual([
      { type: 'send', to: helper, msg: { type: 'ping-req', seq: 1, target: ping.to, nack: false, updates: [] } },
    ])
    const end = fire(swim, probeTimer(1, 2000), 2000)
    expect(swim.health).toBe(0)
    expect(end.at(-1)).toEqual({ type: 'schedule', delayMs: 1000, timer: probeTimer(2, 3000) })
  })

  it('with Lifeguard waits once more when its own round timer fires late instead of suspecting', () => {
    const swim = makeSwim([A])
    fire(swim, probeTimer(0, 1000), 1000)
    // The node stalled: the round that was due at 2000 runs at 4500.
    expect(fire(swim, probeTimer(1, 2000), 4500)).toEqual([
      { type: 'schedule', delayMs: 1000, timer: probeTimer(1, 5500, true) },
    ])
    expect(swim.health).toBe(1)
    // The queued ack is processed right after the late timers: the probe succeeds.
    recv(swim, A, { type: 'ack', seq: 1, updates: [] }, 4500)
    const next = fire(swim, probeTimer(1, 5500, true), 5500)
    expect(next.some((o) => o.type === 'emit')).toBe(false)
    expect(swim.health).toBe(0)
  })

  it('without Lifeguard suspects on a late round timer', () => {
    const swim = makeSwim([A], { lifeguard: false })
    fire(swim, probeTimer(0, 1000), 1000)
    const out = fire(swim, probeTimer(1, 2000), 4500)
    expect(out[1]).toEqual({ type: 'emit', event: { type: 'member-suspect', peer: A, incarnation: 0, by: SELF } })
  })
})

describe('SWIM indirect probe helper', () => {
  it('pings the target for the prober and relays its ack under the prober sequence number', () => {
    const swim = makeSwim([A, B])
    expect(recv(swim, A, { type: 'ping-req', seq: 9, target: B, nack: true, updates: [] }, 100)).toEqual([
      { type: 'send', to: B, msg: { type: 'ping', seq: 1, updates: [] } },
      { type: 'schedule', delayMs: 350, timer: { type: 'relay-timeout', seq: 1 } },
    ])
    expect(recv(swim, B, { type: 'ack', seq: 1, updates: [] }, 150)).toEqual([
      { type: 'send', to: A, msg: { type: 'ack', seq: 9, updates: [] } },
    ])
    expect(fire(swim, { type: 'relay-timeout', seq: 1 }, 450)).toEqual([])
  })

  it('sends a nack after nackTimeoutMs when the target stays silent, then still relays an ack arriving within the ack timeout', () => {
    const swim = makeSwim([A, B])
    recv(swim, A, { type: 'ping-req', seq: 9, target: B, nack: true, updates: [] }, 100)
    expect(fire(swim, { type: 'relay-timeout', seq: 1 }, 450)).toEqual([
      { type: 'send', to: A, msg: { type: 'nack', seq: 9 } },
      { type: 'schedule', delayMs: 150, timer: { type: 'relay-timeout', seq: 1 } },
    ])
    expect(recv(swim, B, { type: 'ack', seq: 1, updates: [] }, 550)).toEqual([
      { type: 'send', to: A, msg: { type: 'ack', seq: 9, updates: [] } },
    ])
    expect(fire(swim, { type: 'relay-timeout', seq: 1 }, 600)).toEqual([])
  })

  it('drops the relay at the ack timeout, so a later ack is not relayed', () => {
    const swim = makeSwim([A, B])
    recv(swim, A, { type: 'ping-req', seq: 9, target: B, nack: true, updates: [] }, 100)
    fire(swim, { type: 'relay-timeout', seq: 1 }, 450)
    expect(fire(swim, { type: 'relay-timeout', seq: 1 }, 600)).toEqual([])
    expect(recv(swim, B, { type: 'ack', seq: 1, updates: [] }, 650)).toEqual([])
  })

  it('closes the relay with the nack when nackTimeoutMs equals the ack timeout', () => {
    const swim = makeSwim([A, B], { ackTimeoutMs: 300, nackTimeoutMs: 300 })
    expect(recv(swim, A, { type: 'ping-req', seq: 9, target: B, nack: true, updates: [] }, 100)[1]).toEqual(
      { type: 'schedule', delayMs: 300, timer: { type: 'relay-timeout', seq: 1 } },
    )
    expect(fire(swim, { type: 'relay-timeout', seq: 1 }, 400)).toEqual([{ type: 'send', to: A, msg: { type: 'nack', seq: 9 } }])
    expect(recv(swim, B, { type: 'ack', seq: 1, updates: [] }, 450)).toEqual([])
  })

  it('stays silent on a timeout when no nack was requested', () => {
    const swim = makeSwim([A, B])
    recv(swim, A, { type: 'ping-req', seq: 9, target: B, nack: false, updates: [] }, 100)
    expect(fire(swim, { type: 'relay-timeout', seq: 1 }, 450)).toEqual([
      { type: 'schedule', delayMs: 150, timer: { type: 'relay-timeout', seq: 1 } },
    ])
    expect(fire(swim, { type: 'relay-timeout', seq: 1 }, 600)).toEqual([])
  })

  it('ignores PING-REQs beyond MAX_PENDING_RELAYS until earlier ones reach their ack timeout', () => {
    const swim = makeSwim([A, B])
    for (let i = 0; i < MAX_PENDING_RELAYS; i++) recv(swim, A, { type: 'ping-req', seq: i, target: B, nack: false, updates: [] }, 100)
    expect(recv(swim, A, { type: 'ping-req', seq: 5000, target: B, nack: false, updates: [] }, 100)).toEqual([])
    fire(swim, { type: 'relay-timeout', seq: 1 }, 450)
    // Past the nack deadline the relay still waits for a late ack, so it still counts.
    expect(recv(swim, A, { type: 'ping-req', seq: 5001, target: B, nack: false, updates: [] }, 450)).toEqual([])
    fire(swim, { type: 'relay-timeout', seq: 1 }, 600)
    expect(recv(swim, A, { type: 'ping-req', seq: 5002, target: B, nack: false, updates: [] }, 600)).toHaveLength(2)
  })

  it('refuses to probe itself or the requester on request', () => {
    const swim = makeSwim([A, B])
    expect(recv(swim, A, { type: 'ping-req', seq: 9, target: SELF, nack: true, updates: [] }, 100)).toEqual([])
    expect(recv(swim, A, { type: 'ping-req', seq: 9, target: A, nack: true, updates: [] }, 100)).toEqual([])
  })
})

describe('SWIM suspicion, refutation and death', () => {
  it('refutes a suspicion about itself by raising its incarnation and gossiping alive', () => {
    const swim = makeSwim([A])
    const accusation: SwimUpdate = { peer: SELF, state: 'suspect', incarnation: 0, from: A }
    expect(recv(swim, A, { type: 'ping', seq: 5, updates: [accusation] }, 10)).toEqual([
      { type: 'send', to: A, msg: { type: 'ack', seq: 5, updates: [{ peer: SELF, state: 'alive', incarnation: 1, from: SELF }] } },
    ])
    expect(swim.incarnation).toBe(1)
    expect(swim.health).toBe(1)
  })

  it('ignores a stale accusation from before its last refutation', () => {
    const swim = makeSwim([A])
    recv(swim, A, { type: 'ping', seq: 5, updates: [{ peer: SELF, state: 'dead', incarnation: 3, from: A }] }, 10)
    expect(swim.incarnation).toBe(4)
    recv(swim, A, { type: 'ping', seq: 6, updates: [{ peer: SELF, state: 'suspect', incarnation: 2, from: A }] }, 20)
    expect(swim.incarnation).toBe(4)
  })

  it('refutes up to the largest encodable incarnation and drops accusations nobody could refute', () => {
    const swim = makeSwim([A, B])
    const max = Number.MAX_SAFE_INTEGER
    recv(swim, A, { type: 'ping', seq: 5, updates: [{ peer: SELF, state: 'suspect', incarnation: max - 1, from: A }] }, 10)
    expect(swim.incarnation).toBe(max)
    const out = recv(swim, A, { type: 'ping', seq: 6, updates: [{ peer: SELF, state: 'dead', incarnation: max, from: A }] }, 20)
    expect(swim.incarnation).toBe(max)
    const ack = out.find((o) => o.type === 'send')
    expect(ack?.type === 'send' && ack.msg.type === 'ack' ? ack.msg.updates.every((u) => Number.isSafeInteger(u.incarnation)) : false).toBe(true)
    expect(recv(swim, A, { type: 'ping', seq: 7, updates: [{ peer: B, state: 'suspect', incarnation: max, from: A }] }, 30)
      .filter((o) => o.type === 'emit')).toEqual([])
    expect(swim.member(B)?.state).toBe('alive')
    expect(swim.unrefutableDropped).toBe(2)
    expect(MAX_INCARNATION).toBe(max)
  })

  it('declares a suspect dead when its fixed timeout expires without Lifeguard', () => {
    const swim = makeSwim([A, B, C, D], { lifeguard: false })
    const suspect: SwimUpdate = { peer: A, state: 'suspect', incarnation: 0, from: B }
    expect(recv(swim, B, { type: 'ack', seq: 77, updates: [suspect] }, 100)).toEqual([
      { type: 'schedule', delayMs: 4000, timer: { type: 'suspicion', peer: A, incarnation: 0, extended: false } },
      { type: 'emit', event: { type: 'member-suspect', peer: A, incarnation: 0, by: B } },
    ])
    expect(fire(swim, { type: 'suspicion', peer: A, incarnation: 0, extended: false }, 4100)).toEqual([
      { type: 'emit', event: { type: 'member-dead', peer: A, incarnation: 0, by: SELF } },
    ])
    expect(swim.member(A)).toEqual({ peer: A, state: 'dead', incarnation: 0 })
  })

  it('drops the suspicion timer once the member refutes', () => {
    const swim = makeSwim([A, B, C, D], { lifeguard: false })
    recv(swim, B, { type: 'ack', seq: 77, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: B }] }, 100)
    expect(recv(swim, C, { type: 'ack', seq: 78, updates: [{ peer: A, state: 'alive', incarnation: 1, from: A }] }, 200)).toEqual([
      { type: 'emit', event: { type: 'member-alive', peer: A, incarnation: 1 } },
    ])
    expect(fire(swim, { type: 'suspicion', peer: A, incarnation: 0, extended: false }, 4100)).toEqual([])
    expect(swim.member(A)?.state).toBe('alive')
  })

  it('waits out a suspicion timer that fires before its deadline instead of dropping the suspicion', () => {
    // Host timers can run a little before the clock reaches their due time (Node counts them from the
    // event loop's cached, whole-millisecond time). The suspicion's only timer must not be lost, or
    // the member stays suspect for good: our own failed probes of it are no confirmation.
    const swim = makeSwim([A, B, C, D])
    const suspicion = { type: 'suspicion', peer: A, incarnation: 0, extended: false } as const
    expect(recv(swim, B, { type: 'ack', seq: 77, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: B }] }, 100)[0]).toEqual(
      { type: 'schedule', delayMs: 24000, timer: suspicion },
    )
    expect(fire(swim, suspicion, 24099.25)).toEqual([{ type: 'schedule', delayMs: 0.75, timer: suspicion }])
    expect(swim.member(A)?.state).toBe('suspect')
    expect(fire(swim, suspicion, 24100)).toEqual([
      { type: 'emit', event: { type: 'member-dead', peer: A, incarnation: 0, by: SELF } },
    ])
  })

  it('with Lifeguard starts at the maximum timeout and shrinks it with each independent confirmation', () => {
    // Five live members: k = 2 confirmations expected; min 4000 ms, max 24000 ms.
    const swim = makeSwim([A, B, C, D])
    expect(recv(swim, B, { type: 'ack', seq: 77, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: B }] }, 0)[0]).toEqual(
      { type: 'schedule', delayMs: 24000, timer: { type: 'suspicion', peer: A, incarnation: 0, extended: false } },
    )
    // The original suspecter repeating itself is no confirmation.
    expect(recv(swim, B, { type: 'ack', seq: 78, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: B }] }, 1000)).toEqual([])
    // 24000 - log(2)/log(3) * 20000 = 11381 ms after the start.
    expect(recv(swim, C, { type: 'ack', seq: 79, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: C }] }, 1000)).toEqual([
      { type: 'schedule', delayMs: 10381, timer: { type: 'suspicion', peer: A, incarnation: 0, extended: false } },
    ])
    expect(recv(swim, D, { type: 'ack', seq: 80, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: D }] }, 2000)).toEqual([
      { type: 'schedule', delayMs: 2000, timer: { type: 'suspicion', peer: A, incarnation: 0, extended: false } },
    ])
    // The superseded timers fire later and find nothing to do; the earliest one declares death.
    expect(fire(swim, { type: 'suspicion', peer: A, incarnation: 0, extended: false }, 4000)).toEqual([
      { type: 'emit', event: { type: 'member-dead', peer: A, incarnation: 0, by: SELF } },
    ])
    expect(fire(swim, { type: 'suspicion', peer: A, incarnation: 0, extended: false }, 11381)).toEqual([])
  })

  it('with Lifeguard ends a suspicion at once when a confirmation moves its deadline into the past', () => {
    // Five live members: k = 2; one confirmation makes the timeout 11381 ms, already over at 13000.
    const swim = makeSwim([A, B, C, D])
    recv(swim, B, { type: 'ack', seq: 77, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: B }] }, 0)
    expect(recv(swim, C, { type: 'ack', seq: 78, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: C }] }, 13000)).toEqual([
      { type: 'schedule', delayMs: 0, timer: { type: 'suspicion', peer: A, incarnation: 0, extended: false } },
    ])
    // Not mistaken for a timer that ran late: no extra wait and no health penalty.
    expect(fire(swim, { type: 'suspicion', peer: A, incarnation: 0, extended: false }, 13000)).toEqual([
      { type: 'emit', event: { type: 'member-dead', peer: A, incarnation: 0, by: SELF } },
    ])
    expect(swim.health).toBe(0)
  })

  it('lets a dead member return only with a higher incarnation', () => {
    const swim = makeSwim([A, B])
    recv(swim, B, { type: 'ack', seq: 1, updates: [{ peer: A, state: 'dead', incarnation: 2, from: B }] }, 0)
    recv(swim, B, { type: 'ack', seq: 2, updates: [{ peer: A, state: 'alive', incarnation: 2, from: A }] }, 10)
    expect(swim.member(A)?.state).toBe('dead')
    recv(swim, B, { type: 'ack', seq: 3, updates: [{ peer: A, state: 'alive', incarnation: 3, from: A }] }, 20)
    expect(swim.member(A)).toEqual({ peer: A, state: 'alive', incarnation: 3 })
  })

  it('ignores news about peers that are not its members', () => {
    const swim = makeSwim([A])
    expect(recv(swim, A, { type: 'ack', seq: 1, updates: [{ peer: D, state: 'dead', incarnation: 0, from: A }] }, 0)).toEqual([])
    expect(swim.member(D)).toBeUndefined()
  })

  it('tells a suspected member of its suspicion first when probing it (buddy system)', () => {
    const swim = makeSwim([A])
    recv(swim, A, { type: 'ping', seq: 1, updates: [] }, 0)
    const suspicion: SwimUpdate = { peer: A, state: 'suspect', incarnation: 0, from: B }
    // Spread the suspicion until the queue has used up its retransmissions.
    recv(swim, A, { type: 'ack', seq: 50, updates: [suspicion] }, 10)
    for (let i = 0; i < 8; i++) recv(swim, A, { type: 'ping', seq: 100 + i, updates: [] }, 20)
    const out = fire(swim, probeTimer(0, 1000), 1000)
    expect(out[0]).toEqual({ type: 'send', to: A, msg: { type: 'ping', seq: 1, updates: [suspicion] } })
  })
})

describe('SWIM dissemination', () => {
  it('piggybacks at most maxUpdatesPerMessage updates, least-sent first, each a bounded number of times', () => {
    const others = Array.from({ length: 10 }, (_, i) => peer(20 + i))
    const swim = makeSwim([A, ...others], { maxUpdatesPerMessage: 4, lifeguard: false })
    const news = others.map((p): SwimUpdate => ({ peer: p, state: 'alive', incarnation: 1, from: p }))
    recv(swim, A, { type: 'ack', seq: 999, updates: news }, 0)
    // 12 live members: each update goes out 4 * ceil(log10(13)) = 8 times; 10 updates * 8 = 80 slots.
    const sent: number[] = []
    for (let i = 0; i < 30; i++) {
      const out = recv(swim, A, { type: 'ping', seq: i, updates: [] }, 10 + i)
      const ack = out[0]
      if (ack?.type !== 'send' || ack.msg.type !== 'ack') throw new Error('expected ack')
      sent.push(ack.msg.updates.length)
    }
    expect(sent.slice(0, 20).every((n) => n === 4)).toBe(true)
    expect(sent.slice(20)).toEqual(Array(10).fill(0))
  })

  it('forgets a removed member and stops probing it', () => {
    const swim = makeSwim([A])
    step(swim, { type: 'command', command: { type: 'remove-member', peer: A } }, 10)
    expect(swim.members()).toEqual([])
    expect(fire(swim, probeTimer(0, 1000), 1000)).toEqual([
      { type: 'schedule', delayMs: 1000, timer: probeTimer(1, 2000) },
    ])
  })
})

describe('SWIM configuration', () => {
  it.each([
    ['SWIM_LAN', SWIM_LAN],
    ['SWIM_WAN', SWIM_WAN],
    ['SWIM_LOCAL', SWIM_LOCAL],
  ])('accepts the %s preset', (_name, config) => {
    expect(validateSwimConfig(config)).toBe(config)
  })

  it.each([
    [{ nackTimeoutMs: 0 }, 'swim.nackTimeoutMs must be an integer in [1, 499], got 0'],
    // The nack must reach the prober inside its indirect window (1000 - 500 ms).
    [{ nackTimeoutMs: 500 }, 'swim.nackTimeoutMs must be an integer in [1, 499], got 500'],
    // Never after the helper's own ack timeout.
    [{ ackTimeoutMs: 200, nackTimeoutMs: 201 }, 'swim.nackTimeoutMs must be an integer in [1, 200], got 201'],
    [{ nackTimeoutMs: 1.5 }, 'swim.nackTimeoutMs must be an integer in [1, 499], got 1.5'],
  ])('rejects %o naming nackTimeoutMs', (override, message) => {
    expect(() => validateSwimConfig({ ...SWIM_LAN, ...override })).toThrow(new RangeError(message))
  })

  it('accepts a nackTimeoutMs equal to the ack timeout when the indirect window is longer', () => {
    const config = { ...SWIM_LAN, ackTimeoutMs: 200, nackTimeoutMs: 200 }
    expect(validateSwimConfig(config)).toBe(config)
  })
})

describe('SWIM gossip and late timers', () => {
  it('pushes pending updates to random members every gossip interval and re-arms itself', () => {
    const swim = makeSwim([A])
    expect(fire(swim, { type: 'gossip' }, 200)).toEqual([{ type: 'schedule', delayMs: 200, timer: { type: 'gossip' } }])
    recv(swim, A, { type: 'ping', seq: 1, updates: [{ peer: SELF, state: 'suspect', incarnation: 0, from: A }] }, 250)
    expect(fire(swim, { type: 'gossip' }, 400)).toEqual([
      { type: 'schedule', delayMs: 200, timer: { type: 'gossip' } },
      { type: 'send', to: A, msg: { type: 'gossip', updates: [{ peer: SELF, state: 'alive', incarnation: 1, from: SELF }] } },
    ])
  })

  it('announces its current incarnation again when it hears a stale accusation', () => {
    const swim = makeSwim([A])
    recv(swim, A, { type: 'ping', seq: 1, updates: [{ peer: SELF, state: 'suspect', incarnation: 4, from: A }] }, 0)
    for (let i = 0; i < 8; i++) recv(swim, A, { type: 'ping', seq: 2 + i, updates: [] }, 10)
    expect(recv(swim, A, { type: 'ping', seq: 20, updates: [{ peer: SELF, state: 'suspect', incarnation: 2, from: A }] }, 20)).toEqual([
      { type: 'send', to: A, msg: { type: 'ack', seq: 20, updates: [{ peer: SELF, state: 'alive', incarnation: 5, from: SELF }] } },
    ])
    expect(swim.incarnation).toBe(5)
  })

  it('with Lifeguard grants an overdue suspicion timer one more wait before declaring death', () => {
    const swim = makeSwim([A, B, C, D])
    recv(swim, B, { type: 'ack', seq: 1, updates: [{ peer: A, state: 'suspect', incarnation: 0, from: B }] }, 0)
    expect(fire(swim, { type: 'suspicion', peer: A, incarnation: 0, extended: false }, 30000)).toEqual([
      { type: 'schedule', delayMs: 1000, timer: { type: 'suspicion', peer: A, incarnation: 0, extended: true } },
    ])
    recv(swim, C, { type: 'ack', seq: 2, updates: [{ peer: A, state: 'alive', incarnation: 1, from: A }] }, 30000)
    expect(fire(swim, { type: 'suspicion', peer: A, incarnation: 0, extended: true }, 31000)).toEqual([])
    expect(swim.member(A)?.state).toBe('alive')
  })
})
