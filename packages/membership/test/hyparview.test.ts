import { describe, it, expect } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { HyParView } from '../src/proto/hyparview.ts'
import type { HyParViewInput, HyParViewOutput, HyParViewCommand } from '../src/proto/hyparview-types.ts'
import type { HyParViewMessage } from '../src/proto/hyparview-messages.ts'
import { ACTIVE_REFRESH_INTERVAL_MS, HYPARVIEW_LAN, validateHyParViewConfig } from '../src/proto/hyparview-config.ts'
import type { PeerInfo } from '../src/proto/hyparview-messages.ts'

const id = (n: number): PeerId => PeerId.fromBytes(new Uint8Array(32).fill(n))
const info = (n: number): PeerInfo => ({ id: id(n), addrs: [`mem://${n}`] })
const SELF = info(1)
const SEED = 42
const cfg = HYPARVIEW_LAN

/** A started core: its first input (arming the periodic timers) has already been consumed. */
function core(): HyParView {
  const hv = new HyParView({ self: SELF, rng: new SeededRng(SEED) })
  const out: HyParViewOutput[] = []
  hv.handle({ type: 'peer-up', peer: id(200) }, 0, out)
  const phases = new SeededRng(SEED)
  expect(out).toEqual([
    { type: 'schedule', delayMs: 1 + phases.nextInt(cfg.shuffleIntervalMs), timer: { type: 'shuffle' } },
    { type: 'schedule', delayMs: cfg.maintenanceIntervalMs, timer: { type: 'maintenance' } },
    { type: 'schedule', delayMs: cfg.mergeIntervalMs, timer: { type: 'merge' } },
  ])
  return hv
}

function feed(hv: HyParView, input: HyParViewInput, nowMs = 1000): HyParViewOutput[] {
  const out: HyParViewOutput[] = []
  hv.handle(input, nowMs, out)
  return out
}
const recv = (hv: HyParView, from: number, msg: HyParViewMessage, nowMs = 1000) => feed(hv, { type: 'recv', from: id(from), msg }, nowMs)
const command = (hv: HyParView, c: HyParViewCommand) => feed(hv, { type: 'command', command: c })
const up = (n: number): HyParViewOutput => ({ type: 'emit', event: { type: 'neighbor-up', peer: id(n) } })
const down = (n: number): HyParViewOutput => ({ type: 'emit', event: { type: 'neighbor-down', peer: id(n) } })
const send = (n: number, msg: HyParViewMessage): HyParViewOutput => ({ type: 'send', to: id(n), msg })
const accept = (n: number) => send(n, { type: 'neighbor-reply', accepted: true })
/** The SHUFFLE of a node short of neighbours whose only neighbour is `n` and whose passive view is empty. */
const shuffleFor = (n: number) => send(n, { type: 'shuffle', origin: SELF, ttl: cfg.shuffleRandomWalkLength, peers: [] })

/** Makes `peers` active through low-priority NEIGHBOR requests. */
function withActive(hv: HyParView, peers: number[]): HyParView {
  for (const n of peers) expect(recv(hv, n, { type: 'neighbor', priority: 'low', addrs: [`mem://${n}`] })).toEqual([up(n), accept(n)])
  return hv
}

/** Puts `peers` in the passive view through a solicited SHUFFLE_REPLY (active view must not be empty). */
function withPassive(hv: HyParView, from: number, peers: number[]): void {
  const out = feed(hv, { type: 'timer', timer: { type: 'shuffle' } })
  expect(out[0]).toEqual({ type: 'schedule', delayMs: cfg.shuffleIntervalMs, timer: { type: 'shuffle' } })
  expect(recv(hv, from, { type: 'shuffle-reply', peers: peers.map(info) })).toEqual([])
}

describe('HyParView join', () => {
  it('sends JOIN to the first contact and arms a join timeout', () => {
    const hv = core()
    expect(command(hv, { type: 'join', contacts: [SELF, info(2), info(3)] })).toEqual([
      send(2, { type: 'join', addrs: SELF.addrs }),
      { type: 'schedule', delayMs: cfg.joinTimeoutMs, timer: { type: 'join-timeout', seq: 1 } },
    ])
  })

  it('tries the next contact when the join times out and ignores a stale timeout', () => {
    const hv = core()
    command(hv, { type: 'join', contacts: [info(2), info(3)] })
    expect(feed(hv, { type: 'timer', timer: { type: 'join-timeout', seq: 1 } })).toEqual([
      send(3, { type: 'join', addrs: SELF.addrs }),
      { type: 'schedule', delayMs: cfg.joinTimeoutMs, timer: { type: 'join-timeout', seq: 2 } },
    ])
    expect(feed(hv, { type: 'timer', timer: { type: 'join-timeout', seq: 1 } })).toEqual([])
  })

  it('takes the contact as a neighbour when it accepts the join', () => {
    const hv = core()
    command(hv, { type: 'join', contacts: [info(2)] })
    expect(recv(hv, 2, { type: 'neighbor-reply', accepted: true })).toEqual([up(2)])
    expect(hv.activeView()).toEqual([id(2)])
    expect(hv.addrsOf(id(2))).toEqual(['mem://2'])
  })

  it('as contact, adds the newcomer, starts ARWL walks through the other neighbours and accepts', () => {
    const hv = withActive(core(), [2, 3])
    expect(recv(hv, 9, { type: 'join', addrs: ['mem://9'] })).toEqual([
      up(9),
      send(2, { type: 'forward-join', peer: info(9), ttl: cfg.activeRandomWalkLength }),
      send(3, { type: 'forward-join', peer: info(9), ttl: cfg.activeRandomWalkLength }),
      accept(9),
    ])
  })

  it('answers a repeated join within the rate limit like a low-priority NEIGHBOR request, without walks', () => {
    const hv = withActive(core(), [2])
    const walk = send(2, { type: 'forward-join', peer: info(9), ttl: cfg.activeRandomWalkLength })
    expect(recv(hv, 9, { type: 'join', addrs: ['mem://9'] }, 1000)).toEqual([up(9), walk, accept(9)])
    expect(recv(hv, 9, { type: 'disconnect', alive: false }, 2000)).toEqual([down(9)])
    // A quick restart rejoins: admitted into the free slot and answered, but no FORWARD_JOIN walks.
    expect(recv(hv, 9, { type: 'join', addrs: ['mem://9'] }, 3000)).toEqual([up(9), accept(9)])
    expect(hv.addrsOf(id(9))).toEqual(['mem://9'])
    expect(hv.drops()).toEqual({ 'join-rate-limited': 1 })
    expect(recv(hv, 9, { type: 'disconnect', alive: false }, 4000)).toEqual([down(9)])
    expect(recv(hv, 9, { type: 'join', addrs: ['mem://9'] }, 1000 + cfg.joinRateLimitMs)).toEqual([up(9), walk, accept(9)])
  })

  it('refuses a rate-limited join when the active view is at its maximum, keeping the peer passive', () => {
    const full = Array.from({ length: cfg.activeViewMax }, (_, i) => 10 + i)
    const hv = withActive(core(), full)
    // The first join evicts a random neighbour (DISCONNECT, disconnect, down), then up, 11 walks and the accept.
    expect(recv(hv, 99, { type: 'join', addrs: [] }, 1000)).toHaveLength(4 + full.length)
    expect(recv(hv, 99, { type: 'disconnect', alive: false }, 1500)).toEqual([down(99)])
    // Back at the maximum (a passive peer took the freed slot in the meantime).
    withActive(hv, [98])
    expect(recv(hv, 99, { type: 'join', addrs: [] }, 2000)).toEqual([send(99, { type: 'neighbor-reply', accepted: false })])
    expect(hv.passiveView()).toContainEqual(id(99))
    expect(hv.activeView()).toHaveLength(cfg.activeViewMax)
  })

  it('an isolated joiner refused by its contact insists with a high-priority NEIGHBOR request', () => {
    const hv = core()
    command(hv, { type: 'join', contacts: [info(2)] })
    expect(recv(hv, 2, { type: 'neighbor-reply', accepted: false })).toEqual([
      send(2, { type: 'neighbor', priority: 'high', addrs: SELF.addrs }),
      { type: 'schedule', delayMs: cfg.neighborTimeoutMs, timer: { type: 'neighbor-timeout', peer: id(2), seq: 2 } },
    ])
    expect(recv(hv, 2, { type: 'neighbor-reply', accepted: true })).toEqual([up(2)])
    expect(hv.activeView()).toEqual([id(2)])
  })
})

describe('HyParView forward join', () => {
  it('drops a FORWARD_JOIN from a peer outside the active view', () => {
    const hv = core()
    expect(recv(hv, 2, { type: 'forward-join', peer: info(9), ttl: 3 })).toEqual([])
    expect(hv.drops()).toEqual({ 'not-a-neighbor': 1 })
  })

  it('ends the walk at ttl 0 by taking the newcomer and asking it with high priority', () => {
    const hv = withActive(core(), [2, 3])
    expect(recv(hv, 2, { type: 'forward-join', peer: info(9), ttl: 0 })).toEqual([
      up(9), send(9, { type: 'neighbor', priority: 'high', addrs: SELF.addrs }),
    ])
  })

  it('ends the walk when the sender is the only neighbour', () => {
    const hv = withActive(core(), [2])
    expect(recv(hv, 2, { type: 'forward-join', peer: info(9), ttl: 5 })).toEqual([
      up(9), send(9, { type: 'neighbor', priority: 'high', addrs: SELF.addrs }),
    ])
  })

  it('at ttl = PRWL keeps the newcomer in the passive view and forwards to another neighbour', () => {
    const hv = withActive(core(), [2, 3])
    const ttl = cfg.passiveRandomWalkLength
    expect(recv(hv, 2, { type: 'forward-join', peer: info(9), ttl })).toEqual([
      send(3, { type: 'forward-join', peer: info(9), ttl: ttl - 1 }),
    ])
    expect(hv.passiveView()).toEqual([id(9)])
  })
})

describe('HyParView neighbor requests', () => {
  it('rejects a low-priority request when the active view is at its maximum and keeps the peer passive', () => {
    const full = Array.from({ length: cfg.activeViewMax }, (_, i) => 10 + i)
    const hv = withActive(core(), full)
    expect(recv(hv, 99, { type: 'neighbor', priority: 'low', addrs: [] })).toEqual([send(99, { type: 'neighbor-reply', accepted: false })])
    expect(hv.passiveView()).toEqual([id(99)])
  })

  it('accepts a high-priority request when full by evicting a random neighbour with DISCONNECT', () => {
    const full = Array.from({ length: cfg.activeViewMax }, (_, i) => 10 + i)
    const hv = withActive(core(), full)
    const out = recv(hv, 99, { type: 'neighbor', priority: 'high', addrs: [] })
    const victim = (out[0] as { to: PeerId }).to.bytes[0]!
    expect(full).toContain(victim)
    expect(out).toEqual([
      send(victim, { type: 'disconnect', alive: true }),
      { type: 'disconnect', peer: id(victim) },
      down(victim),
      up(99),
      accept(99),
    ])
    expect(hv.activeView()).toHaveLength(cfg.activeViewMax)
    expect(hv.passiveView()).toEqual([id(victim)])
  })

  it('promotes passive peers when a neighbour fails, one request per free slot, high priority when empty', () => {
    const hv = withActive(core(), [2])
    withPassive(hv, 5, [6, 7])
    const out = feed(hv, { type: 'peer-down', peer: id(2) })
    const first = (out[1] as { to: PeerId }).to.bytes[0]!
    const second = first === 6 ? 7 : 6
    expect(out).toEqual([
      down(2),
      send(first, { type: 'neighbor', priority: 'high', addrs: SELF.addrs }),
      { type: 'schedule', delayMs: cfg.neighborTimeoutMs, timer: { type: 'neighbor-timeout', peer: id(first), seq: 1 } },
      send(second, { type: 'neighbor', priority: 'high', addrs: SELF.addrs }),
      { type: 'schedule', delayMs: cfg.neighborTimeoutMs, timer: { type: 'neighbor-timeout', peer: id(second), seq: 2 } },
    ])
    expect(recv(hv, first, { type: 'neighbor-reply', accepted: true })).toEqual([up(first)])
    // The other request times out: the candidate is forgotten, its connection closed, and nothing is left to try.
    expect(feed(hv, { type: 'timer', timer: { type: 'neighbor-timeout', peer: id(second), seq: 2 } })).toEqual([{ type: 'disconnect', peer: id(second) }])
    expect(hv.passiveView()).toEqual([])
    expect(hv.drops()).toEqual({ 'neighbor-timeout': 1 })
    // A stale timeout for the accepted peer changes nothing.
    expect(feed(hv, { type: 'timer', timer: { type: 'neighbor-timeout', peer: id(first), seq: 1 } })).toEqual([])
    expect(hv.activeView()).toEqual([id(first)])
  })

  it('answers an acceptance it no longer waits for with DISCONNECT so views stay symmetric', () => {
    const hv = withActive(core(), [2])
    expect(recv(hv, 99, { type: 'neighbor-reply', accepted: true })).toEqual([
      send(99, { type: 'disconnect', alive: true }), { type: 'disconnect', peer: id(99) },
    ])
  })
})

describe('HyParView refill after failures', () => {
  const asked = (out: HyParViewOutput[]): Array<{ peer: number; seq: number }> => out.flatMap((o) =>
    o.type === 'schedule' && o.timer.type === 'neighbor-timeout' ? [{ peer: o.timer.peer.bytes[0]!, seq: o.timer.seq }] : [])

  it('asks one more passive candidate at once for each request in a row that went unanswered, up to the maximum, until one answers', () => {
    const hv = withActive(core(), [2, 3, 4, 5, 6, 7, 8])
    withPassive(hv, 9, Array.from({ length: 16 }, (_, i) => 20 + i))
    // One neighbour lost: 6 of 8, so two requests.
    const first = asked(feed(hv, { type: 'peer-down', peer: id(2) }, 2000))
    expect(first).toHaveLength(2)
    // Each unanswered request is replaced and adds one more in flight: 2 + 1, then 2 + 2.
    const second = asked(feed(hv, { type: 'timer', timer: { type: 'neighbor-timeout', peer: id(first[0]!.peer), seq: first[0]!.seq } }, 2500))
    expect(second).toHaveLength(2)
    const third = asked(feed(hv, { type: 'timer', timer: { type: 'neighbor-timeout', peer: id(first[1]!.peer), seq: first[1]!.seq } }, 2500))
    expect(third).toHaveLength(2)
    expect(new Set([...first, ...second, ...third].map((a) => a.peer)).size).toBe(6)
    // An answer (here a refusal) resets the count: 4 in flight minus the refusal, and no new request.
    expect(asked(recv(hv, second[0]!.peer, { type: 'neighbor-reply', accepted: false }, 2600))).toEqual([])
    // Timeouts in a row again: 2 + 1, 2 + 2, ... but never more in flight than free slots below activeViewMax (6).
    const outstanding = [...second.slice(1), ...third]
    const inFlight: number[] = []
    for (let k = 0; k < 5; k++) {
      const a = outstanding.shift()!
      outstanding.push(...asked(feed(hv, { type: 'timer', timer: { type: 'neighbor-timeout', peer: id(a.peer), seq: a.seq } }, 3000)))
      inFlight.push(outstanding.length)
    }
    expect(inFlight).toEqual([3, 4, 5, 6, 6])
  })

  it('shuffles at once when a request went unanswered and no passive candidate is left, at most once per neighbour timeout, and asks that reply\'s peers at once', () => {
    const hv = withActive(core(), [2, 3])
    withPassive(hv, 3, [20])
    // A loss with nobody unanswered yet: the one candidate is asked, no shuffle (a small cluster stays quiet).
    expect(recv(hv, 2, { type: 'disconnect', alive: false }, 1000)).toEqual([
      down(2),
      send(20, { type: 'neighbor', priority: 'low', addrs: SELF.addrs }),
      { type: 'schedule', delayMs: cfg.neighborTimeoutMs, timer: { type: 'neighbor-timeout', peer: id(20), seq: 1 } },
    ])
    // It stays silent: forgotten, its connection closed, and with nobody left the node shuffles at once.
    expect(feed(hv, { type: 'timer', timer: { type: 'neighbor-timeout', peer: id(20), seq: 1 } }, 1500)).toEqual([
      { type: 'disconnect', peer: id(20) }, shuffleFor(3),
    ])
    // The reply of that shuffle is used at once; a shuffle may not bring back the peer that just failed.
    expect(recv(hv, 3, { type: 'shuffle-reply', peers: [info(20), info(21)] }, 1600)).toEqual([
      send(21, { type: 'neighbor', priority: 'low', addrs: SELF.addrs }),
      { type: 'schedule', delayMs: cfg.neighborTimeoutMs, timer: { type: 'neighbor-timeout', peer: id(21), seq: 2 } },
    ])
    // Nobody left again, but the last shuffle is less than a neighbour timeout old.
    expect(feed(hv, { type: 'timer', timer: { type: 'neighbor-timeout', peer: id(21), seq: 2 } }, 1700)).toEqual([{ type: 'disconnect', peer: id(21) }])
    // The maintenance round shuffles once, not twice.
    const maintenance = feed(hv, { type: 'timer', timer: { type: 'maintenance' } }, 1500 + cfg.neighborTimeoutMs)
    expect(maintenance.filter((o) => o.type === 'send')).toEqual([shuffleFor(3)])
  })

  it('does not ask the peers of a periodic shuffle\'s reply before the next maintenance round', () => {
    const hv = withActive(core(), [2])
    withPassive(hv, 2, [20, 21])
    expect(hv.passiveView()).toHaveLength(2)
  })
})

describe('HyParView disconnect and leave', () => {
  it('moves a peer that disconnects alive to the passive view and does not ask it straight back', () => {
    const hv = withActive(core(), [2])
    expect(recv(hv, 2, { type: 'disconnect', alive: true })).toEqual([down(2)])
    expect(hv.passiveView()).toEqual([id(2)])
  })

  it('forgets a peer that leaves', () => {
    const hv = withActive(core(), [2, 3])
    expect(recv(hv, 2, { type: 'disconnect', alive: false })).toEqual([down(2)])
    expect(hv.passiveView()).toEqual([])
  })

  it('on leave says DISCONNECT(alive: false) to every neighbour and then ignores all input', () => {
    const hv = withActive(core(), [2, 3])
    expect(command(hv, { type: 'leave' })).toEqual([
      send(2, { type: 'disconnect', alive: false }), down(2), send(3, { type: 'disconnect', alive: false }), down(3),
    ])
    expect(recv(hv, 4, { type: 'join', addrs: [] })).toEqual([])
    expect(feed(hv, { type: 'timer', timer: { type: 'maintenance' } })).toEqual([])
  })
})

describe('HyParView shuffle', () => {
  it('sends a shuffle with active and passive samples to a random neighbour and re-arms', () => {
    const hv = withActive(core(), [2])
    expect(feed(hv, { type: 'timer', timer: { type: 'shuffle' } })).toEqual([
      { type: 'schedule', delayMs: cfg.shuffleIntervalMs, timer: { type: 'shuffle' } },
      send(2, { type: 'shuffle', origin: SELF, ttl: cfg.shuffleRandomWalkLength, peers: [] }),
    ])
  })

  it('forwards a shuffle walk while its ttl lasts, then replies to the origin from the passive view', () => {
    const hv = withActive(core(), [2, 3])
    expect(recv(hv, 2, { type: 'shuffle', origin: info(9), ttl: 4, peers: [info(20)] })).toEqual([
      send(3, { type: 'shuffle', origin: info(9), ttl: 3, peers: [info(20)] }),
    ])
    // The origin is no neighbour: the answer goes back to the hop the walk came from.
    expect(recv(hv, 2, { type: 'shuffle', origin: info(9), ttl: 1, peers: [info(20)] })).toEqual([
      send(2, { type: 'shuffle-reply', peers: [], origin: id(9) }),
    ])
    expect(hv.passiveView()).toEqual([id(9), id(20)])
    // A neighbour origin gets its answer straight.
    expect(recv(hv, 2, { type: 'shuffle', origin: info(3), ttl: 1, peers: [] })).toEqual([
      send(3, { type: 'shuffle-reply', peers: [info(9)] }),
    ])
  })

  it('passes an answer back along a walk it forwarded, once, and only from a neighbour', () => {
    const hv = withActive(core(), [2, 3])
    // 2 hands us 9's walk and we forward it to 3; the answer comes back from 3 and goes on to 2.
    expect(recv(hv, 2, { type: 'shuffle', origin: info(9), ttl: 4, peers: [info(20)] })).toEqual([
      send(3, { type: 'shuffle', origin: info(9), ttl: 3, peers: [info(20)] }),
    ])
    expect(recv(hv, 3, { type: 'shuffle-reply', peers: [info(30)], origin: id(9) })).toEqual([
      send(2, { type: 'shuffle-reply', peers: [info(30)], origin: id(9) }),
    ])
    // Relays learn nothing from answers that are not theirs, and pass each walk's answer once.
    expect(hv.passiveView()).toEqual([])
    expect(recv(hv, 3, { type: 'shuffle-reply', peers: [info(30)], origin: id(9) })).toEqual([])
    expect(recv(hv, 40, { type: 'shuffle-reply', peers: [info(30)], origin: id(2) })).toEqual([])
    expect(hv.drops()).toEqual({ 'unsolicited-shuffle-reply': 1, 'not-a-neighbor': 1 })
    // The hop before us is the origin itself: it gets a plain answer.
    recv(hv, 2, { type: 'shuffle', origin: info(2), ttl: 4, peers: [] })
    expect(recv(hv, 3, { type: 'shuffle-reply', peers: [info(31)], origin: id(2) })).toEqual([
      send(2, { type: 'shuffle-reply', peers: [info(31)] }),
    ])
  })

  it('drops shuffles from non-neighbours and unsolicited shuffle replies', () => {
    const hv = core()
    expect(recv(hv, 2, { type: 'shuffle', origin: info(2), ttl: 1, peers: [info(20)] })).toEqual([])
    expect(recv(hv, 2, { type: 'shuffle-reply', peers: [info(20)] })).toEqual([])
    expect(hv.passiveView()).toEqual([])
    expect(hv.drops()).toEqual({ 'not-a-neighbor': 1, 'unsolicited-shuffle-reply': 1 })
  })

  it('caps entries learned per message and per source so one peer cannot fill the passive view', () => {
    const hv = withActive(core(), [2])
    const many = Array.from({ length: 60 }, (_, i) => 100 + i)
    withPassive(hv, 5, many)
    expect(hv.passiveView()).toHaveLength(cfg.maxPassiveEntriesPerMessage)
    withPassive(hv, 5, many.map((n) => n + 60))
    expect(hv.passiveView()).toHaveLength(cfg.maxPassiveEntriesPerSource)
    expect(hv.drops()).toEqual({ 'passive-message-cap': 1, 'passive-source-cap': 1 })
  })
})

describe('HyParView active-view refresh', () => {
  const refreshing = { ...cfg, activeRefreshIntervalMs: ACTIVE_REFRESH_INTERVAL_MS }
  const full = Array.from({ length: cfg.activeViewSize }, (_, i) => 10 + i)

  function refreshingCore(): HyParView {
    const hv = new HyParView({ self: SELF, rng: new SeededRng(SEED), config: refreshing })
    const phases = new SeededRng(SEED)
    expect(feed(hv, { type: 'peer-up', peer: id(200) }, 0)).toEqual([
      { type: 'schedule', delayMs: 1 + phases.nextInt(cfg.shuffleIntervalMs), timer: { type: 'shuffle' } },
      { type: 'schedule', delayMs: cfg.maintenanceIntervalMs, timer: { type: 'maintenance' } },
      { type: 'schedule', delayMs: 1 + phases.nextInt(ACTIVE_REFRESH_INTERVAL_MS), timer: { type: 'refresh' } },
      { type: 'schedule', delayMs: cfg.mergeIntervalMs, timer: { type: 'merge' } },
    ])
    return hv
  }

  it('with a full view asks one passive peer with low priority and, once accepted, swaps it for a random neighbour', () => {
    const hv = withActive(refreshingCore(), full)
    withPassive(hv, 10, [50])
    expect(feed(hv, { type: 'timer', timer: { type: 'refresh' } })).toEqual([
      { type: 'schedule', delayMs: ACTIVE_REFRESH_INTERVAL_MS, timer: { type: 'refresh' } },
      send(50, { type: 'neighbor', priority: 'low', addrs: SELF.addrs }),
      { type: 'schedule', delayMs: cfg.neighborTimeoutMs, timer: { type: 'neighbor-timeout', peer: id(50), seq: 1 } },
    ])
    const out = recv(hv, 50, { type: 'neighbor-reply', accepted: true })
    const victim = (out[0] as { to: PeerId }).to.bytes[0]!
    expect(full).toContain(victim)
    expect(out).toEqual([
      send(victim, { type: 'disconnect', alive: true }), { type: 'disconnect', peer: id(victim) }, down(victim), up(50),
    ])
    expect(hv.activeView()).toHaveLength(cfg.activeViewSize)
    expect(hv.passiveView()).toEqual([id(victim)])
  })

  it('keeps its neighbours when the passive peer refuses, and does nothing while the view is not full', () => {
    const hv = withActive(refreshingCore(), full)
    withPassive(hv, 10, [50])
    feed(hv, { type: 'timer', timer: { type: 'refresh' } })
    expect(recv(hv, 50, { type: 'neighbor-reply', accepted: false })).toEqual([])
    expect(hv.activeView()).toHaveLength(cfg.activeViewSize)
    const small = withActive(refreshingCore(), [2])
    withPassive(small, 2, [50])
    expect(feed(small, { type: 'timer', timer: { type: 'refresh' } })).toEqual([
      { type: 'schedule', delayMs: ACTIVE_REFRESH_INTERVAL_MS, timer: { type: 'refresh' } },
    ])
  })
})

describe('HyParView config', () => {
  it('rejects presets that break the shuffle id cap or the view ordering, naming the field', () => {
    expect(() => validateHyParViewConfig({ ...cfg, shufflePassiveCount: 64 })).toThrow(/shuffleActiveCount \+ shufflePassiveCount/)
    expect(() => validateHyParViewConfig({ ...cfg, activeViewMax: 4 })).toThrow(/activeViewMax/)
    expect(() => validateHyParViewConfig({ ...cfg, neighborTimeoutMs: 0 })).toThrow(/neighborTimeoutMs/)
  })
})
