/**
 * Presence bandwidth in a 1,000-member group (every node a member), counted with the real wire
 * encodings of the pubsub messages that carry beacons (payloads, IHAVE, GRAFT, PRUNE,
 * anti-entropy). Simulating an hour of 1,000 members is too slow for a test, so two windows are
 * measured and combined: the beacon topic's standing cost per node with no beacons, and the cost of
 * one beacon reaching the whole group (100 members announcing once). With every member beaconing
 * every 5 minutes, a node sends standing + (cost per beacon x 1,000 / 300 s) / 1,000 bytes per second.
 */
import { describe, expect, it } from 'vitest'
import { concatBytes, payloadHash, utf8 } from '@saorsa-gossip/types'
import { PRESENCE_DEFAULT } from '@saorsa-gossip/presence'
import type { Signatures } from '../src/stacks/pubsub-network.ts'
import { PresenceNetwork } from '../src/stacks/presence-network.ts'
import { isPaddedSignature, paddedSignature } from '../src/sim-signatures.ts'

/** Signatures of ML-DSA-65's size (3,309 bytes) at hash cost, so the byte counts are those of the wire. */
const FULL_SIZE_SIGNATURES: Signatures = {
  sign: (pk, _secret, header) => paddedSignature(payloadHash(concatBytes(pk, header))),
  verify: (pk, header, sig) => isPaddedSignature(sig, payloadHash(concatBytes(pk, header))),
}

const GROUP = 'big-group'
const IDLE_MS = 40_000
const BUSY_MS = 30_000

function pubsubBytes(p: PresenceNetwork): { bytes: number; messages: number } {
  let bytes = 0
  let messages = 0
  for (const [kind, v] of Object.entries(p.net.sim.report().perKind)) {
    if (!kind.startsWith('p:')) continue
    bytes += v.bytes
    messages += v.count
  }
  return { bytes, messages }
}

describe('Presence bandwidth, 1,000 members', () => {
  it('reaches every member with each beacon at under three frames per node, and reports the cost per node (seed 3)', async () => {
    const n = 1_000
    const senders = 100
    // A fixed random graph of degree 5 (HyParView's active view size) instead of running HyParView:
    // membership traffic is not presence's, and 1,000 HyParView nodes double the run time.
    const p = new PresenceNetwork({ seed: 3, nodes: n, realSizes: true, overlay: 'regular', degree: 5, signatures: FULL_SIZE_SIGNATURES })
    p.addGroup(GROUP, payloadHash(utf8(GROUP)))
    await p.net.sim.runForAsync(5_000)

    const idle0 = pubsubBytes(p)
    await p.net.sim.runForAsync(IDLE_MS)
    const idle1 = pubsubBytes(p)
    const standingPerNode = (idle1.bytes - idle0.bytes) / n / (IDLE_MS / 1_000)

    const rng = p.net.sim.forkRng('starts')
    const start = p.net.sim.now
    for (const id of p.ids.slice(0, senders)) p.net.sim.at(start + rng.nextInt(BUSY_MS - 10_000), () => p.announce(id, GROUP))
    const accepted0 = p.verdicts.accept
    await p.net.sim.runForAsync(BUSY_MS)
    const busy = pubsubBytes(p)
    const beaconBytes = busy.bytes - idle1.bytes - standingPerNode * n * (BUSY_MS / 1_000)
    const perBeacon = beaconBytes / senders
    const deliveries = (p.verdicts.accept - accepted0) / senders
    const intervalS = PRESENCE_DEFAULT.beaconIntervalMs / 1_000
    const perNode = standingPerNode + (perBeacon * n) / intervalS / n
    const payload = p.net.sim.report().perKind['p:publish']
    console.log(`presence bandwidth 1000 nodes: ${JSON.stringify({
      standingBytesPerNodePerSecond: Math.round(standingPerNode),
      bytesPerBeaconNetworkWide: Math.round(perBeacon),
      bytesPerBeaconPerNode: Math.round(perBeacon / n),
      deliveriesPerBeacon: Math.round(deliveries),
      meanPublishFrameBytes: payload === undefined ? 0 : Math.round(payload.bytes / payload.count),
      perNodeBytesPerSecondAt5MinBeacons: Math.round(perNode),
    })}`)
    expect(deliveries).toBeGreaterThanOrEqual(0.99 * (n - 1))
    // Plumtree sends each node about one payload copy per broadcast (RMR 0.25 at 1,000 nodes) plus
    // IHAVE/GRAFT repair: three frames per node per beacon is a generous ceiling.
    expect(perBeacon / n).toBeLessThan(3 * (payload!.bytes / payload!.count))
  // About a minute of CPU; the limit leaves room for a loaded machine.
  }, 900_000)
})
