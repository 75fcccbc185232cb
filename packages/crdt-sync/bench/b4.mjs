#!/usr/bin/env node
/**
 * B4 figures for crdt-sync: replays the automerge-paper trace (259,778 edits; M. Kleppmann, CC BY 4.0,
 * josephg/editing-traces) one edit per transaction into (1) Yjs alone, (2) Yjs with its per-transaction
 * update captured (the least a networked Yjs application does) and (3) a crdt-sync text replica, in
 * this order, in one process. Then it syncs a second replica through the wire codec: all deltas, an
 * in-sync anti-entropy round, and a replica lacking the last 1,000 edits; stores the replica (one
 * compacted snapshot record) and reloads it. Apply timings alternate library and replica three times
 * and report each one's median of CPU time (`process.cpuUsage`, all threads, so garbage collection
 * counts), since wall time on this shared machine follows its load; wall medians are printed too. Prints one JSON line.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import * as Y from 'yjs'
import { PeerId, SeededRng, TopicId } from '@saorsa-gossip/types'
import { channelOf, decodeSyncFrame, encodeSyncFrame } from '../dist/codec.js'
import { CRDT_WAN } from '../dist/config.js'
import { TextDoc } from '../dist/docs/text-doc.js'
import { ReplicaCore } from '../dist/replica.js'
import { StoredReplica } from '../dist/store/replica-store.js'
import { loadTrace } from './traces.mjs'

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

const trace = loadTrace(process.argv[2] ?? 'automerge-paper')
const edits = trace.txns.flatMap((t) => t.patches).slice(0, Number(process.env['B4_EDITS'] ?? Infinity))
const DOC = TopicId.fromName('bench/b4')

function replayYjs(capture) {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  let bytes = 0
  if (capture) doc.on('update', (u) => { bytes += u.length })
  const t0 = performance.now()
  const c0 = cpuMs()
  for (const [pos, del, ins] of edits) {
    doc.transact(() => {
      if (del > 0) text.delete(pos, del)
      if (ins !== '') text.insert(pos, ins)
    })
  }
  const ms = performance.now() - t0
  const cpu = cpuMs() - c0
  if (process.env['B4_EDITS'] === undefined && text.toString() !== trace.endContent) throw new Error('yjs replay differs from endContent')
  return { ms, cpu, bytes }
}

function newReplica(n) {
  const self = PeerId.fromPublicKey(new Uint8Array(32).fill(n))
  return new ReplicaCore({ self, doc: new TextDoc(), config: CRDT_WAN, rng: new SeededRng(n), now: () => 0 })
}

function replayReplica(replica, upTo = edits.length, onPublish) {
  const doc = replica.doc
  const t0 = performance.now()
  const c0 = cpuMs()
  for (let i = 0; i < upTo; i++) {
    const [pos, del, ins] = edits[i]
    doc.ydoc.transact(() => {
      if (del > 0) doc.text.delete(pos, del)
      if (ins !== '') doc.text.insert(pos, ins)
    })
    for (const o of replica.drain()) if (o.type === 'publish' && onPublish !== undefined) onPublish(o.msg)
  }
  return { ms: performance.now() - t0, cpu: cpuMs() - c0 }
}

const wire = (msg) => {
  const bytes = encodeSyncFrame({ doc: DOC, msg })
  return { bytes: bytes.length, msg: decodeSyncFrame(bytes, channelOf(msg)).msg }
}

/** Runs request/response between two replicas until quiet; returns bytes and message kinds. */
function exchange(a, b, first) {
  const peers = new Map([[a.core.self, a], [b.core.self, b]])
  const selfOf = (r) => PeerId.fromHex(r.core.self)
  let queue = [{ to: a, from: selfOf(b), ...wire(first) }]
  let bytes = 0
  const kinds = []
  while (queue.length > 0) {
    const { to, from, msg, bytes: n } = queue.shift()
    bytes += n
    kinds.push(msg.type)
    to.handle({ type: 'recv', from, msg })
    for (const o of to.drain()) if (o.type === 'send') queue.push({ to: peers.get(o.to.toHex()), from: selfOf(to), ...wire(o.msg) })
  }
  return { bytes, kinds }
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
const bare = []
const capture = []
const ours = []
let a
let published
for (let round = 0; round < Number(process.env['ROUNDS'] ?? 3); round++) {
  bare.push(replayYjs(false))
  capture.push(replayYjs(true))
  // Published deltas leave with the driver; keeping them here would grow the heap the next runs pay for.
  ours.push(replayReplica(newReplica(1), edits.length))
}
a = newReplica(1)
published = []
replayReplica(a, edits.length, (msg) => { published.push(msg) })
const pick = (runs, key) => median(runs.map((r) => r[key]))
const yjsBare = { ms: pick(bare, 'ms'), cpu: pick(bare, 'cpu') }
const yjsCapture = { ms: pick(capture, 'ms'), cpu: pick(capture, 'cpu'), bytes: replayYjs(true).bytes }
const replicaMs = pick(ours, 'ms')
const replicaCpu = pick(ours, 'cpu')
let deltaBytes = 0
if (process.env['B4_EDITS'] === undefined && a.doc.toString() !== trace.endContent) throw new Error('replica differs from endContent')

// A second replica receives every published delta through the codec.
const b = newReplica(2)
let t1 = performance.now()
const received = published.map((msg) => {
  const w = wire(msg)
  deltaBytes += w.bytes
  return w.msg
})
const codecMs = performance.now() - t1
const from = PeerId.fromHex(a.core.self)
t1 = performance.now()
for (const msg of received) {
  b.handle({ type: 'recv', from, msg })
  b.drain()
}
const remoteApplyMs = performance.now() - t1
if (b.doc.toString() !== a.doc.toString()) throw new Error('second replica differs')
// The library alone applying the same updates in the same order, for comparison.
const t2 = performance.now()
{
  const doc = new Y.Doc()
  for (const msg of published) Y.applyUpdate(doc, msg.bundle.payload.subarray(1))
  if (doc.getText('text').toString() !== a.doc.toString()) throw new Error('yjs remote replay differs')
}
const yjsRemoteApplyMs = performance.now() - t2

const inSync = exchange(a, b, { type: 'summary', digest: b.core.digest(), entries: 1 })

// A third replica misses the last 1,000 edits, then reconciles in one anti-entropy round.
const c = newReplica(3)
for (const msg of published.slice(0, -1000)) { c.handle({ type: 'recv', from: PeerId.fromHex(a.core.self), msg }); c.drain() }
const behind = exchange(a, c, { type: 'summary', digest: c.core.digest(), entries: 1 })
if (c.doc.toString() !== a.doc.toString()) throw new Error('reconciled replica differs')

const stateBytes = Y.encodeStateAsUpdate(a.doc.ydoc).length

// Size at rest and reload: the replica's log file after compaction.
const dir = mkdtempSync(join(tmpdir(), 'crdt-b4-'))
let restBytes
const reloads = []
try {
  const path = join(dir, 'b4.crdt')
  const self = PeerId.fromPublicKey(new Uint8Array(32).fill(1))
  const stored = await StoredReplica.open({ path, self, doc: new TextDoc(), config: CRDT_WAN, rng: new SeededRng(1), now: () => 0 })
  // Hand the replica's state over as a snapshot, as a joining replica receives it.
  stored.replica.handle({ type: 'recv', from: PeerId.fromHex(a.core.self), msg: { type: 'snapshot', vv: a.core.versionVector(), state: a.doc.snapshot() } })
  for (const o of stored.replica.drain()) if (o.type === 'emit') await stored.record(o.event)
  await stored.close()
  restBytes = statSync(path).size
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    const again = await StoredReplica.open({ path, self, doc: new TextDoc(), config: CRDT_WAN, rng: new SeededRng(1), now: () => 0 })
    const text = again.replica.doc.toString()
    reloads.push(performance.now() - t0)
    if (text !== a.doc.toString()) throw new Error('reloaded replica differs')
    await again.close()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

console.log(JSON.stringify({
  trace: process.argv[2] ?? 'automerge-paper', edits: edits.length, node: process.version,
  yjsBareMs: Math.round(yjsBare.ms), yjsCaptureMs: Math.round(yjsCapture.ms), replicaMs: Math.round(replicaMs),
  overVsCapture: +(replicaMs / yjsCapture.ms - 1).toFixed(3), overVsBare: +(replicaMs / yjsBare.ms - 1).toFixed(3),
  yjsBareCpuMs: Math.round(yjsBare.cpu), yjsCaptureCpuMs: Math.round(yjsCapture.cpu), replicaCpuMs: Math.round(replicaCpu),
  cpuOverVsCapture: +(replicaCpu / yjsCapture.cpu - 1).toFixed(3), cpuOverVsBare: +(replicaCpu / yjsBare.cpu - 1).toFixed(3),
  yjsUpdateBytes: yjsCapture.bytes, deltaFrameBytes: deltaBytes, codecMs: Math.round(codecMs), remoteApplyMs: Math.round(remoteApplyMs), yjsRemoteApplyMs: Math.round(yjsRemoteApplyMs),
  inSyncBytes: inSync.bytes, inSyncKinds: inSync.kinds, last1000Bytes: behind.bytes, last1000Kinds: behind.kinds,
  logEntries: a.core.metrics().applied, stateBytes, restBytes, reloadMs: Math.round(median(reloads)),
  bareRuns: bare.map((r) => Math.round(r.cpu)), captureRuns: capture.map((r) => Math.round(r.cpu)), replicaRuns: ours.map((r) => Math.round(r.cpu)),
  loadAverage: (await import('node:os')).loadavg().map((l) => +l.toFixed(1)),
}))
