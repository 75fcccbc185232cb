import { describe, it, expect } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { HyParView } from '../src/proto/hyparview.ts'
import type { HyParViewInput, HyParViewOutput, HyParViewTimer } from '../src/proto/hyparview-types.ts'
import type { HyParViewMessage, PeerInfo } from '../src/proto/hyparview-messages.ts'
import { HYPARVIEW_LAN, HYPARVIEW_LOCAL, HYPARVIEW_WAN, validateHyParViewConfig } from '../src/proto/hyparview-config.ts'
import { MAX_CONTACTS, MERGE_BACKOFF_MAX_DOUBLINGS, redialDelayMs } from '../src/proto/hyparview-contacts.ts'

// Redials while isolated and the merge check, as data: every timer the core asks for is fired by
// hand, so the backoff schedule and the probes are read straight from the outputs.

const id = (n: number): PeerId => PeerId.fromBytes(new Uint8Array(32).fill(n))
const info = (n: number): PeerInfo => ({ id: id(n), addrs: [`mem://${n}`] })
const SELF = info(1)
const cfg = HYPARVIEW_LAN

function started(seed = 7): HyParView {
  const hv = new HyParView({ self: SELF, rng: new SeededRng(seed) })
  hv.handle({ type: 'peer-up', peer: id(200) }, 0, [])
  return hv
}

function feed(hv: HyParView, input: HyParViewInput, nowMs: number): HyParViewOutput[] {
  const out: HyParViewOutput[] = []
  hv.handle(input, nowMs, out)
  return out
}

const timers = (out: HyParViewOutput[], type: HyParViewTimer['type']) =>
  out.flatMap((o) => (o.type === 'schedule' && o.timer.type === type ? [o] : []))
const dials = (out: HyParViewOutput[]) => out.flatMap((o) => (o.type === 'emit' && o.event.type === 'dial' ? [o.event.addr] : []))
const sends = (out: HyParViewOutput[]) => out.flatMap((o) => (o.type === 'send' ? [o] : []))
const recv = (hv: HyParView, from: number, msg: HyParViewMessage, nowMs: number) => feed(hv, { type: 'recv', from: id(from), msg }, nowMs)

describe('redial backoff', () => {
  it('doubles from redialMinMs up to redialMaxMs, each delay jittered within [half, all] of its ceiling', () => {
    for (const preset of [HYPARVIEW_LAN, HYPARVIEW_WAN, HYPARVIEW_LOCAL]) {
      const rng = new SeededRng(3)
      for (let attempt = 0; attempt < 40; attempt++) {
        const ceiling = Math.min(preset.redialMaxMs, preset.redialMinMs * 2 ** attempt)
        for (let k = 0; k < 50; k++) {
          const delay = redialDelayMs(preset, attempt, rng)
          expect(delay).toBeGreaterThanOrEqual(Math.ceil(ceiling / 2))
          expect(delay).toBeLessThanOrEqual(ceiling)
        }
      }
    }
    expect(HYPARVIEW_LAN.redialMaxMs).toBe(30_000)
  })

  it('rejects a cap below the first delay', () => {
    expect(() => validateHyParViewConfig({ ...cfg, redialMaxMs: 500 })).toThrow(/redialMaxMs/)
    expect(() => validateHyParViewConfig({ ...cfg, redialMinMs: 0 })).toThrow(/redialMinMs/)
  })
})

describe('HyParView redials while isolated', () => {
  it('keeps asking for dials of every contact address with capped backoff until a neighbour arrives', () => {
    const hv = started()
    let out = feed(hv, { type: 'command', command: { type: 'add-contacts', contacts: [{ addrs: ['tcp://a'] }, { addrs: ['tcp://b'] }] } }, 0)
    let now = 0
    const delays: number[] = []
    for (let attempt = 0; attempt < 12; attempt++) {
      const [redial] = timers(out, 'redial')
      expect(redial).toBeDefined()
      expect(redial!.timer).toMatchObject({ type: 'redial', attempt })
      delays.push(redial!.delayMs)
      now += redial!.delayMs
      out = feed(hv, { type: 'timer', timer: redial!.timer }, now)
      expect(dials(out)).toEqual(['tcp://a', 'tcp://b'])
    }
    // 1, 2, 4, 8, 16 s, then the 30 s cap, each jittered to at least half.
    expect(delays.slice(0, 5).map((d, i) => d >= 500 * 2 ** i && d <= 1000 * 2 ** i)).toEqual([true, true, true, true, true])
    expect(delays.slice(5).every((d) => d >= 15_000 && d <= 30_000)).toBe(true)

    // Someone answers: the node joins through it, and the armed redial is stale once it has a neighbour.
    const [pending] = timers(out, 'redial')
    out = feed(hv, { type: 'command', command: { type: 'contact-reached', addr: 'tcp://b', peer: { id: id(2), addrs: ['tcp://b'] } } }, now)
    expect(sends(out)).toEqual([{ type: 'send', to: id(2), msg: { type: 'join', addrs: SELF.addrs } }])
    recv(hv, 2, { type: 'neighbor-reply', accepted: true }, now + 10)
    expect(hv.activeView()).toEqual([id(2)])
    expect(feed(hv, { type: 'timer', timer: pending!.timer }, now + pending!.delayMs)).toEqual([])
  })

  it('starts over from the shortest delay when it becomes isolated again', () => {
    const hv = started()
    feed(hv, { type: 'command', command: { type: 'add-contacts', contacts: [{ addrs: ['tcp://a'] }] } }, 0)
    feed(hv, { type: 'command', command: { type: 'contact-reached', addr: 'tcp://a', peer: { id: id(2), addrs: ['tcp://a'] } } }, 10)
    recv(hv, 2, { type: 'neighbor-reply', accepted: true }, 20)
    const lost = feed(hv, { type: 'peer-down', peer: id(2) }, 60_000)
    const [redial] = timers(lost, 'redial')
    expect(redial!.timer).toMatchObject({ attempt: 0 })
    expect(redial!.delayMs).toBeLessThanOrEqual(cfg.redialMinMs)
    expect(dials(feed(hv, { type: 'timer', timer: redial!.timer }, 60_000 + redial!.delayMs))).toEqual(['tcp://a'])
  })

  it('waits for a join walk in progress, and stays silent after leaving or without any address', () => {
    const hv = started()
    const joining = feed(hv, { type: 'command', command: { type: 'join', contacts: [info(2)] } }, 0)
    expect(timers(joining, 'redial')).toEqual([])
    const timedOut = feed(hv, { type: 'timer', timer: { type: 'join-timeout', seq: 1 } }, cfg.joinTimeoutMs)
    expect(timers(timedOut, 'redial')).toHaveLength(1)
    expect(timers(feed(hv, { type: 'command', command: { type: 'leave' } }, 3_000), 'redial')).toEqual([])
    expect(dials(feed(hv, { type: 'timer', timer: timers(timedOut, 'redial')[0]!.timer }, 60_000))).toEqual([])

    const bare = new HyParView({ self: SELF, rng: new SeededRng(1) })
    expect(timers(feed(bare, { type: 'command', command: { type: 'join', contacts: [{ id: id(2), addrs: [] }] } }, 0), 'redial')).toEqual([])
    expect(timers(feed(bare, { type: 'timer', timer: { type: 'join-timeout', seq: 1 } }, cfg.joinTimeoutMs), 'redial')).toEqual([])
  })

  it('forgets a contact address that turns out to be its own', () => {
    const hv = started()
    const out = feed(hv, { type: 'command', command: { type: 'add-contacts', contacts: [{ addrs: ['tcp://me'] }, { addrs: ['tcp://b'] }] } }, 0)
    feed(hv, { type: 'command', command: { type: 'contact-reached', addr: 'tcp://me', peer: SELF } }, 5)
    const [redial] = timers(out, 'redial')
    expect(dials(feed(hv, { type: 'timer', timer: redial!.timer }, redial!.delayMs))).toEqual(['tcp://b'])
  })
})

describe('HyParView merge check', () => {
  /** Joined through peer 2; peers 3 and 4 were given as further contacts. */
  function joined(): HyParView {
    const hv = started()
    feed(hv, { type: 'command', command: { type: 'join', contacts: [info(2), info(3), info(4)] } }, 0)
    recv(hv, 2, { type: 'neighbor-reply', accepted: true }, 10)
    return hv
  }
  const mergeAt = (hv: HyParView, nowMs: number) => feed(hv, { type: 'timer', timer: { type: 'merge' } }, nowMs)

  it('keeps every join contact, and asks one outside its views per tick to swap in, low priority first', () => {
    const hv = joined()
    const first = mergeAt(hv, 1_000)
    expect(first[0]).toEqual({ type: 'schedule', delayMs: cfg.mergeIntervalMs, timer: { type: 'merge' } })
    // Peer 2 is a neighbour (its probe backs off); peer 3 is asked.
    expect(sends(first)).toEqual([{ type: 'send', to: id(3), msg: { type: 'neighbor', priority: 'low', addrs: SELF.addrs } }])
    recv(hv, 3, { type: 'neighbor-reply', accepted: true }, 1_010)
    expect(hv.activeView().map((p) => p.toHex()).sort()).toEqual([id(2), id(3)].map((p) => p.toHex()).sort())
    // Next tick: peer 4, which refuses (its view is full); it is asked again one interval later, once
    // with high priority (which a full peer accepts too), then two intervals later with low priority.
    const ask4 = (priority: 'low' | 'high') => [{ type: 'send', to: id(4), msg: { type: 'neighbor', priority, addrs: SELF.addrs } }]
    for (const [tick, priority] of [[1, 'low'], [2, 'high']] as const) {
      expect(sends(mergeAt(hv, 1_000 + tick * cfg.mergeIntervalMs))).toEqual(ask4(priority))
      recv(hv, 4, { type: 'neighbor-reply', accepted: false }, 1_000 + tick * cfg.mergeIntervalMs + 10)
    }
    expect(sends(mergeAt(hv, 1_000 + 3 * cfg.mergeIntervalMs))).toEqual([])
    expect(sends(mergeAt(hv, 1_000 + 4 * cfg.mergeIntervalMs))).toEqual(ask4('low'))
    // Peers 2 and 3 have been neighbours: they are in our overlay and never asked, even once dropped.
    recv(hv, 3, { type: 'disconnect', alive: false }, 1_000 + 4 * cfg.mergeIntervalMs + 20)
    for (let tick = 5; tick < 40; tick++) {
      for (const s of sends(mergeAt(hv, 1_000 + tick * cfg.mergeIntervalMs))) expect(s.to.toHex()).toBe(id(4).toHex())
    }
  })

  it('backs each contact off to at most 16 merge intervals, so a contact in its own overlay costs ever less', () => {
    const hv = started()
    feed(hv, { type: 'command', command: { type: 'join', contacts: [info(2), info(3)] } }, 0)
    recv(hv, 2, { type: 'neighbor-reply', accepted: true }, 10)
    const asked: number[] = []
    const step = cfg.mergeIntervalMs
    for (let tick = 1; tick <= 80; tick++) {
      const now = tick * step
      const out = mergeAt(hv, now)
      for (const s of sends(out)) {
        if (s.msg.type !== 'neighbor') continue
        asked.push(tick)
        // Peer 3 refuses (its view is full); it is not promoted, so it stays outside the active view.
        recv(hv, 3, { type: 'neighbor-reply', accepted: false }, now + 10)
      }
    }
    const gaps = asked.slice(1).map((t, i) => t - asked[i]!)
    expect(gaps.slice(0, 5)).toEqual([1, 2, 4, 8, 16])
    expect(Math.max(...gaps)).toBe(2 ** MERGE_BACKOFF_MAX_DOUBLINGS)
  })

  it('skips a contact in its passive view and dials a contact known only by address', () => {
    const hv = joined()
    // Peer 3 was a neighbour and moved to the passive view: evidence that it is in our overlay.
    recv(hv, 3, { type: 'neighbor', priority: 'low', addrs: ['mem://3'] }, 20)
    recv(hv, 3, { type: 'disconnect', alive: true }, 30)
    expect(hv.passiveView()).toEqual([id(3)])
    feed(hv, { type: 'command', command: { type: 'add-contacts', contacts: [{ addrs: ['tcp://far'] }] } }, 40)
    const out = mergeAt(hv, 1_000)
    const asked = sends(out).filter((s) => s.msg.type === 'neighbor').map((s) => s.to.toHex())
    expect(asked).not.toContain(id(3).toHex())
    // Peer 4 is asked first; the address-only contact is dialled at a later tick.
    expect(asked).toEqual([id(4).toHex()])
    recv(hv, 4, { type: 'neighbor-reply', accepted: true }, 1_010)
    expect(dials(mergeAt(hv, 1_000 + cfg.mergeIntervalMs))).toEqual(['tcp://far'])
    // The dial found peer 9: the node asks it to swap in, as for any contact outside its views.
    const reached = feed(hv, { type: 'command', command: { type: 'contact-reached', addr: 'tcp://far', peer: { id: id(9), addrs: ['tcp://far'] } } }, 1_050 + cfg.mergeIntervalMs)
    expect(sends(reached)).toEqual([{ type: 'send', to: id(9), msg: { type: 'neighbor', priority: 'low', addrs: SELF.addrs } }])
  })

  it('is off with mergeIntervalMs 0 and keeps at most MAX_CONTACTS contacts', () => {
    const hv = new HyParView({ self: SELF, rng: new SeededRng(1), config: { ...cfg, mergeIntervalMs: 0 } })
    expect(timers(feed(hv, { type: 'peer-up', peer: id(200) }, 0), 'merge')).toEqual([])
    const many = started()
    const addrs = Array.from({ length: MAX_CONTACTS + 8 }, (_, i) => ({ addrs: [`tcp://c${i}`] }))
    const out = feed(many, { type: 'command', command: { type: 'add-contacts', contacts: addrs } }, 0)
    const [redial] = timers(out, 'redial')
    const asked = dials(feed(many, { type: 'timer', timer: redial!.timer }, redial!.delayMs))
    expect(asked).toHaveLength(MAX_CONTACTS)
    expect(asked[0]).toBe('tcp://c8')
  })
})
