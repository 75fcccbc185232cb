/**
 * Replays the concurrent editing traces friendsforever and clownschool (J. Gentle, CC BY 4.0,
 * josephg/editing-traces) on one text replica per agent with their real concurrency: before an agent
 * applies a transaction, its replica receives exactly the other agents' deltas in that transaction's
 * causal past (from `parents`), in trace order, which is causal; then the rest. Every replica must
 * end equal to the trace's final text. (Parking of deltas that arrive before their past is covered by
 * the sync core's own tests: here it would only show the parking cap, since no `want` is answered.)
 */
import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { PeerId, SeededRng } from '@saorsa-gossip/types'
import { CRDT_WAN } from '../src/config.ts'
import { TextDoc } from '../src/docs/text-doc.ts'
import type { DeltaMessage } from '../src/proto/messages.ts'
import { ReplicaCore } from '../src/replica.ts'

// friendsforever does hold concurrent inserts at one position (its final text differs with the
// opposite order); Yjs orders them by client id, and the recorded result puts agent 0's first.
const clientIdOf = (agent: number) => agent + 1
const TRACES = process.env['TRACES_DIR'] ?? '/work/shared/data/editing-traces'

interface Txn { parents: number[]; agent: number; patches: Array<[number, number, string]> }
interface Trace { endContent: string; numAgents: number; txns: Txn[] }

async function replay(name: string): Promise<{ replicas: Array<ReplicaCore<TextDoc>>; trace: Trace }> {
  const trace = JSON.parse(gunzipSync(readFileSync(`${TRACES}/${name}.json.gz`)).toString('utf8')) as Trace
  const agents = trace.numAgents
  const peers = Array.from({ length: agents }, (_, a) => PeerId.fromPublicKey(new Uint8Array(32).fill(a + 1)))
  const replicas = peers.map((self, a) => new ReplicaCore({ self, doc: new TextDoc({ clientId: clientIdOf(a) }), config: CRDT_WAN, rng: new SeededRng(a), now: () => 0 }))
  // Per transaction: how many deltas its agent had published after it (a transaction that changes
  // nothing publishes none), and the same counts per agent for its causal past.
  const seqOf: number[] = []
  const pastOf: number[][] = []
  const published: DeltaMessage[][] = peers.map(() => [])
  const txnOf: number[][] = peers.map(() => [])
  const delivered: number[][] = peers.map(() => new Array<number>(agents).fill(0))
  for (let i = 0; i < trace.txns.length; i++) {
    const txn = trace.txns[i]!
    const past = new Array<number>(agents).fill(0)
    for (const p of txn.parents) {
      const pp = pastOf[p]!
      for (let b = 0; b < agents; b++) past[b] = Math.max(past[b]!, pp[b]!)
      past[trace.txns[p]!.agent] = Math.max(past[trace.txns[p]!.agent]!, seqOf[p]!)
    }
    const a = txn.agent
    const due: Array<[number, number, DeltaMessage]> = []
    for (let b = 0; b < agents; b++) {
      if (b === a) continue
      while (delivered[a]![b]! < past[b]!) {
        const k = delivered[a]![b]!++
        due.push([txnOf[b]![k]!, b, published[b]![k]!])
      }
    }
    due.sort((x, y) => x[0] - y[0])
    for (const [, b, msg] of due) replicas[a]!.handle({ type: 'recv', from: peers[b]!, msg })
    replicas[a]!.drain()
    expect(replicas[a]!.core.pendingCount).toBe(0)
    const doc = replicas[a]!.doc
    doc.ydoc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) doc.text.delete(pos, del)
        if (ins !== '') doc.text.insert(pos, ins)
      }
    })
    for (const o of replicas[a]!.drain()) {
      if (o.type === 'publish') {
        published[a]!.push(o.msg)
        txnOf[a]!.push(i)
      }
    }
    seqOf[i] = published[a]!.length
    pastOf[i] = past
    if (i % 2_000 === 0) await new Promise((r) => setImmediate(r))
  }
  for (let a = 0; a < agents; a++) {
    const rest: Array<[number, number, DeltaMessage]> = []
    for (let b = 0; b < agents; b++) {
      if (b === a) continue
      for (let k = delivered[a]![b]!; k < published[b]!.length; k++) rest.push([txnOf[b]![k]!, b, published[b]![k]!])
    }
    rest.sort((x, y) => x[0] - y[0])
    for (const [, b, msg] of rest) replicas[a]!.handle({ type: 'recv', from: peers[b]!, msg })
    replicas[a]!.drain()
  }
  return { replicas, trace }
}

describe.runIf(existsSync(`${TRACES}/friendsforever.json.gz`))('concurrent trace replay', () => {
  it.each(['friendsforever', 'clownschool'])('ends every replica of %s equal to the final text', async (name) => {
    const { replicas, trace } = await replay(name)
    for (const r of replicas) {
      expect(r.doc.toString()).toBe(trace.endContent)
      expect(r.core.pendingCount).toBe(0)
      expect(r.core.metrics().dropped['invalid-payload']).toBe(0)
      expect(r.core.metrics().parked).toBe(0)
    }
    const digests = replicas.map((r) => Buffer.from(r.core.digest()).toString('hex'))
    expect(new Set(digests).size).toBe(1)
  })
})
