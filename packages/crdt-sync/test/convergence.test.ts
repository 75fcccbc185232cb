/**
 * Convergence of the sync core alone (no pubsub repair): 100 replicas with 8 random neighbours each,
 * 10% of all messages lost, the network split in two halves for the first 60 s while every replica
 * keeps writing, then healed. Within MAX_ROUNDS anti-entropy rounds after the heal every replica holds the same
 * version-vector digest and value, and every update entered each replica's version vector exactly
 * once. A bundle can re-carry updates a replica already has, when two exchanges or a late delta race
 * it or a delta group spans updates it has (payloads are joins, so that costs bytes, not
 * correctness); the test bounds how many (18-27% of all deliveries on seeds 1-5). The same
 * scenario on the full stack belongs to the simulator.
 */
import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { CRDT_WAN } from '../src/config.ts'
import { CounterDoc } from '../src/docs/crdt-docs.ts'
import type { SyncMessage, SyncTimer } from '../src/proto/messages.ts'
import { ReplicaCore } from '../src/replica.ts'

const N = 100
const DEGREE = 8
const LOSS = 0.1
const LATENCY_MS = 50
/**
 * The core alone, with every message (the opening digest included) lost 10% of the time and no
 * pubsub repair, needs 2-3 rounds on seeds 1-5 and the default (SEED picks one): what a replica
 * learns by anti-entropy it offers at once to `spreadFanout` (2) other neighbours. With a fanout of
 * one it needed 4, leaving ~12% of the replicas behind after the first round.
 */
const MAX_ROUNDS = 3

interface Event { at: number; seq: number; run: () => void }

describe('sync core convergence', () => {
  it(`converges 100 replicas within ${MAX_ROUNDS} anti-entropy rounds of healing a 60 s partition under 10% loss`, async () => {
    const rng = new SeededRng(process.env['SEED'] ?? 'convergence')
    const peers = Array.from({ length: N }, (_, i) => PeerId.fromPublicKey(new Uint8Array([i, i >> 8, ...new Array<number>(30).fill(7)])))
    const index = new Map(peers.map((p, i) => [p.toHex(), i]))
    let now = 0
    const replicas = peers.map((self, i) => new ReplicaCore({ self, doc: new CounterDoc(self.toHex()), config: CRDT_WAN, rng: new SeededRng(i), now: () => now }))
    const neighbours: Array<Set<number>> = peers.map(() => new Set())
    for (let i = 0; i < N; i++) {
      while (neighbours[i]!.size < DEGREE) {
        const j = rng.nextInt(N)
        if (j !== i) { neighbours[i]!.add(j); neighbours[j]!.add(i) }
      }
    }
    let partitioned = true
    const half = (i: number) => (i < N / 2 ? 0 : 1)
    const queue: Event[] = []
    let seq = 0
    const at = (time: number, run: () => void) => queue.push({ at: time, seq: seq++, run })
    const fresh = new Array<number>(N).fill(0)
    const recarried = new Array<number>(N).fill(0)
    const seen: Array<Map<string, number>> = peers.map(() => new Map())
    const deliver = (from: number, to: number, msg: SyncMessage) => {
      if (partitioned && half(from) !== half(to)) return
      if (rng.nextFloat() < LOSS) return
      at(now + LATENCY_MS, () => replicas[to]!.handle({ type: 'recv', from: peers[from]!, msg }))
    }
    const flush = (i: number) => {
      for (const o of replicas[i]!.drain()) {
        if (o.type === 'publish') {
          // Pubsub stand-in: every member of the document topic receives the delta once, or loses it.
          for (let j = 0; j < N; j++) if (j !== i) deliver(i, j, o.msg)
        } else if (o.type === 'send') deliver(i, index.get(o.to.toHex())!, o.msg)
        else if (o.type === 'schedule') {
          const timer: SyncTimer = o.timer
          at(now + o.delayMs, () => replicas[i]!.handle({ type: 'timer', timer }))
        } else if (o.type === 'emit' && o.event.type === 'applied') {
          for (const [origin, from, to] of o.event.bundle.cover) {
            const before = seen[i]!.get(origin) ?? 0
            fresh[i]! += Math.max(0, to - Math.max(from, before))
            recarried[i]! += Math.max(0, Math.min(before, to) - from)
            seen[i]!.set(origin, Math.max(before, to))
          }
        }
      }
    }
    replicas.forEach((r, i) => {
      for (const j of neighbours[i]!) r.handle({ type: 'peer-up', peer: peers[j]! })
      r.handle({ type: 'command', command: { type: 'start' } })
      flush(i)
    })
    // Every replica increments 5 times at random moments of the partition.
    let total = 0
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < 5; k++) {
        total++
        at(rng.nextInt(60_000), () => replicas[i]!.doc.add(1))
      }
    }
    at(60_000, () => { partitioned = false })
    const runUntil = async (end: number) => {
      let steps = 0
      for (;;) {
        queue.sort((a, b) => a.at - b.at || a.seq - b.seq)
        const next = queue[0]
        if (next === undefined || next.at > end) break
        queue.shift()
        now = next.at
        next.run()
        for (let i = 0; i < N; i++) if (replicas[i]!.outbox.length > 0) flush(i)
        if (++steps % 500 === 0) await new Promise((r) => setImmediate(r))
      }
      now = end
    }
    await runUntil(60_000)
    const digestsAtHeal = new Set(replicas.map((r) => Buffer.from(r.core.digest()).toString('hex')))
    expect(digestsAtHeal.size).toBeGreaterThan(1)
    // Rounds after the heal until every digest is equal (each round: 30 s plus the 10% jitter).
    let rounds = 0
    const distinct = () => new Set(replicas.map((r) => Buffer.from(r.core.digest()).toString('hex'))).size
    while (distinct() > 1 && rounds < 10) {
      rounds++
      await runUntil(60_000 + rounds * CRDT_WAN.antiEntropyIntervalMs * 1.1 + 1_000)
    }
    expect(distinct()).toBe(1)
    expect(rounds).toBeLessThanOrEqual(MAX_ROUNDS)
    for (const r of replicas) expect(r.doc.value).toBe(total)
    replicas.forEach((r, i) => expect(fresh[i]).toBe(r.core.versionVector().reduce((n, [, s]) => n + s, 0)))
    const totalRecarried = recarried.reduce((a, b) => a + b, 0)
    expect(totalRecarried).toBeLessThan(0.3 * N * total)
  })
})
