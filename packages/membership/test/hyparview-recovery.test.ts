import { describe, it, expect } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { HyParView } from '../src/proto/hyparview.ts'
import type { HyParViewInput, HyParViewOutput } from '../src/proto/hyparview-types.ts'
import type { HyParViewMessage, PeerInfo } from '../src/proto/hyparview-messages.ts'
import { HYPARVIEW_LAN } from '../src/proto/hyparview-config.ts'
import { FailedPeers, MAX_FAILED_PEERS, FAILED_RETENTION_MERGE_INTERVALS, StuckWatch, STUCK_MAINTENANCE_ROUNDS } from '../src/proto/hyparview-recovery.ts'

// Reconnection to failed neighbours and the stuck-node escape (SPEC 6.2, rules 3 and 4), as data.

const id = (n: number): PeerId => PeerId.fromBytes(new Uint8Array(32).fill(n))
const info = (n: number): PeerInfo => ({ id: id(n), addrs: [`mem://${n}`] })
const SELF = info(1)
const cfg = HYPARVIEW_LAN

function feed(hv: HyParView, input: HyParViewInput, nowMs: number): HyParViewOutput[] {
  const out: HyParViewOutput[] = []
  hv.handle(input, nowMs, out)
  return out
}
const recv = (hv: HyParView, from: number, msg: HyParViewMessage, nowMs: number) => feed(hv, { type: 'recv', from: id(from), msg }, nowMs)
const neighborSends = (out: HyParViewOutput[]) =>
  out.flatMap((o) => (o.type === 'send' && o.msg.type === 'neighbor' ? [`${o.to.toHex().slice(0, 2)}:${o.msg.priority}`] : []))
const hex = (n: number) => n.toString(16).padStart(2, '0')

/** Joined through peer 2, then peer 3 took it as a neighbour with high priority. */
function joined(): HyParView {
  const hv = new HyParView({ self: SELF, rng: new SeededRng(7) })
  feed(hv, { type: 'command', command: { type: 'join', contacts: [info(2)] } }, 0)
  recv(hv, 2, { type: 'neighbor-reply', accepted: true }, 10)
  recv(hv, 3, { type: 'neighbor', priority: 'high', addrs: info(3).addrs }, 20)
  return hv
}
const mergeAt = (hv: HyParView, nowMs: number) => feed(hv, { type: 'timer', timer: { type: 'merge' } }, nowMs)

describe('HyParView reconnection to failed neighbours', () => {
  it('asks a neighbour lost to a failure again at the merge ticks, high on the second ask, backing off, until it is back', () => {
    const hv = joined()
    feed(hv, { type: 'peer-down', peer: id(3) }, 100)
    expect(hv.activeView().map((p) => p.toHex())).toEqual([id(2).toHex()])
    const step = cfg.mergeIntervalMs
    const asked: string[][] = []
    for (let tick = 1; tick <= 4; tick++) {
      const out = mergeAt(hv, tick * step)
      asked.push(neighborSends(out))
      // Refused (alive, but full): the request is no longer pending.
      if (asked.at(-1)!.length > 0) recv(hv, 3, { type: 'neighbor-reply', accepted: false }, tick * step + 10)
    }
    // Due at once, then after 1 interval, then after 2 (tick 3 skipped).
    expect(asked).toEqual([[`${hex(3)}:low`], [`${hex(3)}:high`], [], [`${hex(3)}:low`]])
    // Accepted at last: a neighbour again, never asked again.
    mergeAt(hv, 8 * step)
    recv(hv, 3, { type: 'neighbor-reply', accepted: true }, 8 * step + 10)
    expect(hv.isActive(id(3))).toBe(true)
    feed(hv, { type: 'recv', from: id(3), msg: { type: 'disconnect', alive: false } }, 8 * step + 20)
    for (let tick = 9; tick < 30; tick++) expect(neighborSends(mergeAt(hv, tick * step))).toEqual([])
  })

  it('does not reconnect to a neighbour that left on purpose', () => {
    const hv = joined()
    recv(hv, 3, { type: 'disconnect', alive: false }, 100)
    for (let tick = 1; tick < 20; tick++) expect(neighborSends(mergeAt(hv, tick * cfg.mergeIntervalMs))).toEqual([])
  })

  it('keeps at most MAX_FAILED_PEERS failed neighbours, each for FAILED_RETENTION_MERGE_INTERVALS', () => {
    const failed = new FailedPeers(cfg.mergeIntervalMs, new SeededRng(1))
    for (let n = 0; n < MAX_FAILED_PEERS + 10; n++) failed.add({ id: PeerId.fromBytes(new Uint8Array(32).fill(n)), addrs: [] }, 0)
    expect(failed.size).toBe(MAX_FAILED_PEERS)
    expect(failed.has(PeerId.fromBytes(new Uint8Array(32).fill(0)))).toBe(false)
    failed.expire(FAILED_RETENTION_MERGE_INTERVALS * cfg.mergeIntervalMs)
    expect(failed.size).toBe(MAX_FAILED_PEERS)
    failed.expire(FAILED_RETENTION_MERGE_INTERVALS * cfg.mergeIntervalMs + 1)
    expect(failed.size).toBe(0)
  })
})

describe('HyParView stuck-node escape', () => {
  it('counts only periods that end short with no neighbour gained, and fires once per STUCK_MAINTENANCE_ROUNDS', () => {
    const watch = new StuckWatch()
    const fired: boolean[] = []
    for (let k = 0; k < 2 * STUCK_MAINTENANCE_ROUNDS; k++) fired.push(watch.endPeriod(true))
    expect(fired.filter(Boolean)).toHaveLength(2)
    watch.gained()
    expect(watch.endPeriod(true)).toBe(false)
    expect(watch.endPeriod(false)).toBe(false)
  })

  it('sends one high-priority NEIGHBOR request to a passive peer that kept refusing low priority', () => {
    const hv = joined()
    // Peer 3 moves to our passive view; it is full and refuses every low-priority request.
    recv(hv, 3, { type: 'disconnect', alive: true }, 100)
    const sentAt = (nowMs: number): string[] => {
      const sent = neighborSends(feed(hv, { type: 'timer', timer: { type: 'maintenance' } }, nowMs))
      for (const s of sent) if (s.endsWith(':low')) recv(hv, 3, { type: 'neighbor-reply', accepted: false }, nowMs + 10)
      return sent
    }
    const m = cfg.maintenanceIntervalMs
    // The join gained a neighbour in the first period; the next two end short with none gained (a
    // refusal holds for one maintenance period, so the second round asks nobody).
    expect([sentAt(m), sentAt(2 * m)]).toEqual([[`${hex(3)}:low`], []])
    expect(sentAt(3 * m)).toEqual([`${hex(3)}:high`])
    recv(hv, 3, { type: 'neighbor-reply', accepted: true }, 3 * m + 10)
    expect(hv.isActive(id(3))).toBe(true)
  })

  it('stays quiet in a cluster smaller than the active view with nobody outside it', () => {
    const hv = joined()
    for (let k = 1; k <= 10; k++) expect(neighborSends(feed(hv, { type: 'timer', timer: { type: 'maintenance' } }, k * cfg.maintenanceIntervalMs))).toEqual([])
  })
})
