/**
 * The composite membership core (HyParView views watched by SWIM): routing by layer, tagged timers
 * and messages, and the wiring rules, each checked by comparing the whole outbox.
 */
import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import {
  DEAD_RETENTION_PROBE_PERIODS, MAX_RETAINED_DEAD, MembershipCore,
  type MembershipCommand, type MembershipInput, type MembershipMessage, type MembershipOutput, type MembershipTimer,
} from '../src/proto/membership.ts'
import { HYPARVIEW_LAN } from '../src/proto/hyparview-config.ts'
import type { HyParViewMessage, PeerInfo } from '../src/proto/hyparview-messages.ts'
import { SWIM_LAN } from '../src/proto/swim-config.ts'
import type { SwimMessage, SwimUpdate } from '../src/proto/swim-messages.ts'

const id = (n: number): PeerId => PeerId.fromBytes(new Uint8Array(32).fill(n))
const info = (n: number): PeerInfo => ({ id: id(n), addrs: [`mem://${n}`] })
const SELF = info(1)
const SEED = 11

function feed(core: MembershipCore, input: MembershipInput, nowMs = 1000): MembershipOutput[] {
  const out: MembershipOutput[] = []
  core.handle(input, nowMs, out)
  return out
}
const hv = (msg: HyParViewMessage): MembershipMessage => ({ layer: 'hyparview', msg })
const sw = (msg: SwimMessage): MembershipMessage => ({ layer: 'swim', msg })
const recv = (core: MembershipCore, from: number, msg: MembershipMessage, nowMs = 1000) => feed(core, { type: 'recv', from: id(from), msg }, nowMs)
const command = (core: MembershipCore, c: MembershipCommand, nowMs = 1000) => feed(core, { type: 'command', command: c }, nowMs)
const timer = (core: MembershipCore, t: MembershipTimer, nowMs = 1000) => feed(core, { type: 'timer', timer: t }, nowMs)
const send = (n: number, msg: MembershipMessage): MembershipOutput => ({ type: 'send', to: id(n), msg })
const up = (n: number): MembershipOutput => ({ type: 'emit', event: { type: 'neighbor-up', peer: id(n), addrs: [`mem://${n}`] } })
const down = (n: number): MembershipOutput => ({ type: 'emit', event: { type: 'neighbor-down', peer: id(n), addrs: [`mem://${n}`] } })
const dead = (n: number, by: number): SwimUpdate => ({ peer: id(n), state: 'dead', incarnation: 0, from: id(by) })
const swimArmed = (nowMs: number): MembershipOutput[] => [
  { type: 'schedule', delayMs: SWIM_LAN.probeIntervalMs, timer: { layer: 'swim', timer: { type: 'probe', tick: 0, dueMs: nowMs + SWIM_LAN.probeIntervalMs, extended: false } } },
  { type: 'schedule', delayMs: SWIM_LAN.gossipIntervalMs, timer: { layer: 'swim', timer: { type: 'gossip' } } },
]
const forget = (n: number): MembershipOutput => ({
  type: 'schedule', delayMs: DEAD_RETENTION_PROBE_PERIODS * SWIM_LAN.probeIntervalMs,
  timer: { layer: 'membership', timer: { type: 'forget-dead', peer: id(n) } },
})

/** A started core: its first input has armed HyParView's periodic timers. */
function started(): MembershipCore {
  const core = new MembershipCore({ self: SELF, rng: new SeededRng(SEED) })
  const phases = new SeededRng(SEED)
  expect(feed(core, { type: 'peer-up', peer: id(200) }, 0)).toEqual([
    { type: 'schedule', delayMs: 1 + phases.nextInt(HYPARVIEW_LAN.shuffleIntervalMs), timer: { layer: 'hyparview', timer: { type: 'shuffle' } } },
    { type: 'schedule', delayMs: HYPARVIEW_LAN.maintenanceIntervalMs, timer: { layer: 'hyparview', timer: { type: 'maintenance' } } },
    { type: 'schedule', delayMs: HYPARVIEW_LAN.mergeIntervalMs, timer: { layer: 'hyparview', timer: { type: 'merge' } } },
  ])
  return core
}

/** Active peers through low-priority NEIGHBOR requests; the first one arms SWIM. */
function withActive(core: MembershipCore, peers: number[]): MembershipCore {
  for (const n of peers) {
    const armed = core.members().length === 0 && core.activeView().length === 0 ? swimArmed(1000) : []
    expect(recv(core, n, hv({ type: 'neighbor', priority: 'low', addrs: [`mem://${n}`] }))).toEqual([
      up(n), ...armed, send(n, hv({ type: 'neighbor-reply', accepted: true })),
    ])
  }
  return core
}

/** Puts `peers` in the passive view through a solicited SHUFFLE_REPLY from an active peer. */
function withPassive(core: MembershipCore, peers: number[]): void {
  const out = timer(core, { layer: 'hyparview', timer: { type: 'shuffle' } })
  const shuffle = out.find((o) => o.type === 'send')
  if (shuffle?.type !== 'send') throw new Error('no shuffle sent')
  expect(recv(core, shuffle.to.bytes[0]!, hv({ type: 'shuffle-reply', peers: peers.map(info) }))).toEqual([])
}

const memberIds = (core: MembershipCore): string[] => core.members().map((m) => `${m.peer.bytes[0]}:${m.state}`).sort()

describe('membership core: routing and tagging', () => {
  it('sends JOIN to the first contact with a tagged join timeout', () => {
    const core = started()
    expect(command(core, { type: 'join', contacts: [info(2), info(3)] })).toEqual([
      send(2, hv({ type: 'join', addrs: SELF.addrs })),
      { type: 'schedule', delayMs: HYPARVIEW_LAN.joinTimeoutMs, timer: { layer: 'hyparview', timer: { type: 'join-timeout', seq: 1 } } },
    ])
  })

  it('answers a SWIM ping with a SWIM ack and runs SWIM timers tagged with their layer', () => {
    const core = withActive(started(), [2])
    expect(recv(core, 2, sw({ type: 'ping', seq: 7, updates: [] }))).toEqual([send(2, sw({ type: 'ack', seq: 7, updates: [] }))])
    expect(timer(core, { layer: 'swim', timer: { type: 'probe', tick: 0, dueMs: 2000, extended: false } }, 2000)).toEqual([
      send(2, sw({ type: 'ping', seq: 1, updates: [] })),
      { type: 'schedule', delayMs: SWIM_LAN.ackTimeoutMs, timer: { layer: 'swim', timer: { type: 'ack-timeout', seq: 1 } } },
      { type: 'schedule', delayMs: SWIM_LAN.probeIntervalMs, timer: { layer: 'swim', timer: { type: 'probe', tick: 1, dueMs: 3000, extended: false } } },
    ])
  })
})

describe('membership core: wiring', () => {
  it('makes a peer that enters the active view a SWIM member and announces it with its addresses', () => {
    const core = started()
    expect(recv(core, 2, hv({ type: 'neighbor', priority: 'low', addrs: ['mem://2'] }))).toEqual([
      up(2), ...swimArmed(1000), send(2, hv({ type: 'neighbor-reply', accepted: true })),
    ])
    expect(memberIds(core)).toEqual(['2:alive'])
    expect(recv(core, 3, hv({ type: 'neighbor', priority: 'high', addrs: ['mem://3'] }))).toEqual([
      up(3), send(3, hv({ type: 'neighbor-reply', accepted: true })),
    ])
    expect(memberIds(core)).toEqual(['2:alive', '3:alive'])
  })

  it('stops watching a neighbour that sends DISCONNECT and keeps it in the passive view', () => {
    const core = withActive(started(), [2, 3])
    expect(recv(core, 2, hv({ type: 'disconnect', alive: true }))).toEqual([down(2)])
    expect(memberIds(core)).toEqual(['3:alive'])
    expect(core.passiveView()).toEqual([id(2)])
  })

  it('evicts a member SWIM declares dead, promotes a passive peer and closes the connection', () => {
    const core = withActive(started(), [2, 3])
    withPassive(core, [9])
    expect(recv(core, 3, sw({ type: 'gossip', updates: [dead(2, 3)] }))).toEqual([
      { type: 'emit', event: { type: 'member-dead', peer: id(2), incarnation: 0, by: id(3) } },
      down(2),
      forget(2),
      send(9, hv({ type: 'neighbor', priority: 'low', addrs: SELF.addrs })),
      { type: 'schedule', delayMs: HYPARVIEW_LAN.neighborTimeoutMs, timer: { layer: 'hyparview', timer: { type: 'neighbor-timeout', peer: id(9), seq: 1 } } },
      { type: 'disconnect', peer: id(2) },
    ])
    expect(core.activeView()).toEqual([id(3)])
    // The dead member stays in SWIM, unprobed, so its death is still gossiped.
    expect(memberIds(core)).toEqual(['2:dead', '3:alive'])
    expect(recv(core, 9, hv({ type: 'neighbor-reply', accepted: true }))).toEqual([
      { type: 'emit', event: { type: 'neighbor-up', peer: id(9), addrs: ['mem://9'] } },
    ])
    expect(memberIds(core)).toEqual(['2:dead', '3:alive', '9:alive'])
  })

  it('evicts a neighbour whose probes fail through suspicion to death', () => {
    const core = withActive(started(), [2])
    withPassive(core, [9])
    timer(core, { layer: 'swim', timer: { type: 'probe', tick: 0, dueMs: 2000, extended: false } }, 2000)
    // Only one member: no helpers for an indirect probe.
    expect(timer(core, { layer: 'swim', timer: { type: 'ack-timeout', seq: 1 } }, 2500)).toEqual([])
    const round = timer(core, { layer: 'swim', timer: { type: 'probe', tick: 1, dueMs: 3000, extended: false } }, 3000)
    expect(round).toContainEqual({ type: 'emit', event: { type: 'member-suspect', peer: id(2), incarnation: 0, by: SELF.id } })
    const suspicion = round.find((o) => o.type === 'schedule' && o.timer.layer === 'swim' && o.timer.timer.type === 'suspicion')
    if (suspicion?.type !== 'schedule') throw new Error('no suspicion timer')
    expect(timer(core, suspicion.timer, 3000 + suspicion.delayMs)).toEqual([
      { type: 'emit', event: { type: 'member-dead', peer: id(2), incarnation: 0, by: SELF.id } },
      down(2),
      forget(2),
      send(9, hv({ type: 'neighbor', priority: 'high', addrs: SELF.addrs })),
      { type: 'schedule', delayMs: HYPARVIEW_LAN.neighborTimeoutMs, timer: { layer: 'hyparview', timer: { type: 'neighbor-timeout', peer: id(9), seq: 1 } } },
      { type: 'disconnect', peer: id(2) },
    ])
    expect(core.activeView()).toEqual([])
  })

  it('handles a lost connection as a failure: neighbour down, SWIM stops watching, passive promotion, no extra disconnect', () => {
    const core = withActive(started(), [2, 3])
    withPassive(core, [9])
    expect(feed(core, { type: 'peer-down', peer: id(2) })).toEqual([
      down(2),
      send(9, hv({ type: 'neighbor', priority: 'low', addrs: SELF.addrs })),
      { type: 'schedule', delayMs: HYPARVIEW_LAN.neighborTimeoutMs, timer: { layer: 'hyparview', timer: { type: 'neighbor-timeout', peer: id(9), seq: 1 } } },
    ])
    expect(memberIds(core)).toEqual(['3:alive'])
    expect(core.passiveView()).toEqual([id(9)])
    expect(feed(core, { type: 'peer-down', peer: id(42) })).toEqual([])
  })

  it('ignores a death reported about a peer that is not its neighbour', () => {
    const core = withActive(started(), [2])
    expect(recv(core, 2, sw({ type: 'gossip', updates: [dead(5, 2)] }))).toEqual([])
    expect(core.activeView()).toEqual([id(2)])
  })

  it('leaves with DISCONNECT to every neighbour and is silent afterwards', () => {
    const core = withActive(started(), [2, 3])
    expect(command(core, { type: 'leave' })).toEqual([
      send(2, hv({ type: 'disconnect', alive: false })), down(2),
      send(3, hv({ type: 'disconnect', alive: false })), down(3),
    ])
    expect(core.members()).toEqual([])
    expect(core.hasLeft).toBe(true)
    expect(recv(core, 2, sw({ type: 'ping', seq: 1, updates: [] }))).toEqual([])
    expect(recv(core, 2, hv({ type: 'neighbor', priority: 'high', addrs: [] }))).toEqual([])
    expect(timer(core, { layer: 'swim', timer: { type: 'probe', tick: 0, dueMs: 2000, extended: false } }, 2000)).toEqual([])
    expect(timer(core, { layer: 'hyparview', timer: { type: 'maintenance' } }, 2000)).toEqual([])
    expect(core.drops()).toMatchObject({ left: 1, 'swim-left': 1 })
  })
})

describe('membership core: dead members kept for dissemination', () => {
  it('forgets a dead member when its retention timer fires, and keeps one that came back', () => {
    const core = withActive(started(), [2, 3, 4])
    recv(core, 3, sw({ type: 'gossip', updates: [dead(2, 3), dead(4, 3)] }))
    expect(memberIds(core)).toEqual(['2:dead', '3:alive', '4:dead'])
    // A retained member's connection closing (the eviction closed it) does not cut retention short.
    expect(feed(core, { type: 'peer-down', peer: id(2) })).toEqual([])
    expect(memberIds(core)).toEqual(['2:dead', '3:alive', '4:dead'])
    // 4 comes back as a neighbour before its timer fires: it is watched again, alive.
    expect(recv(core, 4, hv({ type: 'neighbor', priority: 'high', addrs: ['mem://4'] }))).toEqual([
      up(4), send(4, hv({ type: 'neighbor-reply', accepted: true })),
    ])
    const forget2 = forget(2)
    const forget4 = forget(4)
    if (forget2.type !== 'schedule' || forget4.type !== 'schedule') throw new Error('unreachable')
    expect(timer(core, forget2.timer, 5000)).toEqual([])
    expect(timer(core, forget4.timer, 5000)).toEqual([])
    expect(timer(core, forget2.timer, 5000)).toEqual([])
    expect(memberIds(core)).toEqual(['3:alive', '4:alive'])
  })

  it(`retains at most ${MAX_RETAINED_DEAD} dead members, forgetting the oldest first`, () => {
    const core = withActive(started(), [2])
    for (let n = 10; n < 10 + MAX_RETAINED_DEAD + 6; n++) {
      recv(core, n, hv({ type: 'neighbor', priority: 'high', addrs: [`mem://${n}`] }))
      recv(core, 2, sw({ type: 'gossip', updates: [dead(n, 2)] }))
    }
    const members = core.members()
    expect(members.filter((m) => m.state === 'dead')).toHaveLength(MAX_RETAINED_DEAD)
    expect(core.member(id(10))).toBeUndefined()
    expect(core.member(id(15))).toBeUndefined()
    expect(core.member(id(16))?.state).toBe('dead')
    expect(core.activeView()).toEqual([id(2)])
  })
})

describe('membership core: indirect probes for others', () => {
  it('relays a PING-REQ to a target it only knows from its passive view and answers NACK when the target stays silent', () => {
    const core = withActive(started(), [2])
    withPassive(core, [9])
    expect(core.addrsOf(id(9))).toEqual(['mem://9'])
    expect(recv(core, 2, sw({ type: 'ping-req', seq: 5, target: id(9), nack: true, updates: [] }))).toEqual([
      send(9, sw({ type: 'ping', seq: 1, updates: [] })),
      { type: 'schedule', delayMs: SWIM_LAN.nackTimeoutMs, timer: { layer: 'swim', timer: { type: 'relay-timeout', seq: 1 } } },
    ])
    // The nack goes out at nackTimeoutMs; the relay stays open for a late ack until the ack timeout.
    expect(timer(core, { layer: 'swim', timer: { type: 'relay-timeout', seq: 1 } }, 1000 + SWIM_LAN.nackTimeoutMs)).toEqual([
      send(2, sw({ type: 'nack', seq: 5 })),
      { type: 'schedule', delayMs: SWIM_LAN.ackTimeoutMs - SWIM_LAN.nackTimeoutMs, timer: { layer: 'swim', timer: { type: 'relay-timeout', seq: 1 } } },
    ])
    expect(timer(core, { layer: 'swim', timer: { type: 'relay-timeout', seq: 1 } }, 1000 + SWIM_LAN.ackTimeoutMs)).toEqual([])
    expect(recv(core, 9, sw({ type: 'ack', seq: 1, updates: [] }), 1600)).toEqual([])
    // The target is not a neighbour: it was never made a SWIM member.
    expect(memberIds(core)).toEqual(['2:alive'])
  })

  it('relays the target ack back to the requester under its sequence number', () => {
    const core = withActive(started(), [2])
    recv(core, 2, sw({ type: 'ping-req', seq: 5, target: id(9), nack: true, updates: [] }))
    expect(recv(core, 9, sw({ type: 'ack', seq: 1, updates: [] }))).toEqual([send(2, sw({ type: 'ack', seq: 5, updates: [] }))])
    expect(timer(core, { layer: 'swim', timer: { type: 'relay-timeout', seq: 1 } }, 1500)).toEqual([])
  })
})
