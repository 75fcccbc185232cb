/**
 * Presence bandwidth in a 1,000-member group (every node a member, default 5-minute beacons):
 * bytes each node sends for presence per second, counted with the real wire encodings of the
 * pubsub messages that carry beacons (payloads, IHAVE, GRAFT, PRUNE, anti-entropy), in a
 * five-minute window after every member has been announcing for five minutes.
 */
import { describe, expect, it } from 'vitest'
import { payloadHash, utf8 } from '@saorsa-gossip/types'
import { PresenceNetwork } from '../src/stacks/presence-network.ts'

const GROUP = 'big-group'
const WINDOW_MS = 300_000

describe('Presence bandwidth, 1,000 members', () => {
  it('costs each node well under 1 KB/s with 5-minute beacons (seed 3)', async () => {
    const n = 1_000
    const p = new PresenceNetwork({ seed: 3, nodes: n, realSizes: true })
    p.addGroup(GROUP, payloadHash(utf8(GROUP)))
    await p.net.sim.runForAsync(20_000)
    // Members start at random moments over one interval, as real members do.
    const rng = p.net.sim.forkRng('starts')
    for (const id of p.ids) {
      const at = p.net.sim.now + rng.nextInt(300_000)
      p.net.sim.at(at, () => p.announce(id, GROUP))
    }
    await p.net.sim.runForAsync(300_000)
    const before = p.net.sim.report().perKind
    const beforeAccepts = p.verdicts.accept
    await p.net.sim.runForAsync(WINDOW_MS)
    const after = p.net.sim.report().perKind
    let bytes = 0
    let messages = 0
    const kinds: Record<string, number> = {}
    for (const [kind, v] of Object.entries(after)) {
      if (!kind.startsWith('p:')) continue
      const db = v.bytes - (before[kind]?.bytes ?? 0)
      bytes += db
      messages += v.count - (before[kind]?.count ?? 0)
      kinds[kind] = Math.round(db / n / (WINDOW_MS / 1000))
    }
    const perNodeBps = bytes / n / (WINDOW_MS / 1000)
    const beacons = (p.verdicts.accept - beforeAccepts) / (n - 1)
    console.log(`presence bandwidth 1000 nodes: ${JSON.stringify({ perNodeBytesPerSecond: Math.round(perNodeBps), perNodeMessagesPerSecond: +(messages / n / (WINDOW_MS / 1000)).toFixed(2), beaconsInWindow: Math.round(beacons), byKind: kinds })}`)
    expect(beacons).toBeGreaterThan(0.8 * n)
    expect(perNodeBps).toBeLessThan(1_024)
  })
})
