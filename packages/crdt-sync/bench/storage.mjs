#!/usr/bin/env node
/**
 * Chooses the replica store: lmdb (embedded B+tree, ACID, prebuilt binary) against this package's
 * append-only log with fsync per group commit. Writes real B4 deltas as replica bundles: one at a
 * time, each acknowledged before the next (an editor waiting for durability), then a burst written
 * together; reports per-write latency, throughput, bytes at rest and the time to read and decode
 * every record back.
 */
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { open as openLmdb } from 'lmdb'
import * as Y from 'yjs'
import { decodeStoreRecord, encodeStoreRecord } from '../dist/codec.js'
import { LogFile, parseLog } from '../dist/store/log-file.js'
import { loadTrace } from './traces.mjs'

const SEQUENTIAL = Number(process.env['SEQUENTIAL'] ?? 1_000)
const BURST = Number(process.env['BURST'] ?? 20_000)
const origin = '11'.repeat(32)

// Real per-edit Yjs updates from the start of B4.
const updates = []
{
  const doc = new Y.Doc()
  const text = doc.getText('text')
  doc.on('update', (u) => updates.push(u))
  for (const [pos, del, ins] of loadTrace('automerge-paper').txns.flatMap((t) => t.patches).slice(0, SEQUENTIAL + BURST)) {
    doc.transact(() => { if (del > 0) text.delete(pos, del); if (ins !== '') text.insert(pos, ins) })
  }
}
const record = (i) => ({ type: 'bundle', bundle: { cover: [[origin, i, i + 1]], deps: [], payload: updates[i] } })
const dirSize = (dir) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)

async function runLog(dir) {
  const { log } = await LogFile.open(join(dir, 'doc.crdt'))
  let t0 = performance.now()
  for (let i = 0; i < SEQUENTIAL; i++) await log.append(record(i))
  const seqMs = performance.now() - t0
  t0 = performance.now()
  await Promise.all(Array.from({ length: BURST }, (_, k) => log.append(record(SEQUENTIAL + k))))
  const burstMs = performance.now() - t0
  await log.close()
  t0 = performance.now()
  const { readFileSync } = await import('node:fs')
  const n = parseLog(new Uint8Array(readFileSync(join(dir, 'doc.crdt')))).records.length
  const reloadMs = performance.now() - t0
  if (n !== SEQUENTIAL + BURST) throw new Error('log lost records')
  return { seqMs, burstMs, reloadMs, bytes: dirSize(dir) }
}

async function runLmdb(dir) {
  const db = openLmdb({ path: join(dir, 'db'), compression: false, encoding: 'binary' })
  const key = (i) => [origin, i]
  let t0 = performance.now()
  for (let i = 0; i < SEQUENTIAL; i++) await db.put(key(i), encodeStoreRecord(record(i)))
  const seqMs = performance.now() - t0
  t0 = performance.now()
  await Promise.all(Array.from({ length: BURST }, (_, k) => db.put(key(SEQUENTIAL + k), encodeStoreRecord(record(SEQUENTIAL + k)))))
  const burstMs = performance.now() - t0
  await db.close()
  const again = openLmdb({ path: join(dir, 'db'), compression: false, encoding: 'binary' })
  t0 = performance.now()
  let n = 0
  for (const { value } of again.getRange({})) if (decodeStoreRecord(value).type === 'bundle') n++
  const reloadMs = performance.now() - t0
  await again.close()
  if (n !== SEQUENTIAL + BURST) throw new Error(`lmdb lost records: ${n}`)
  return { seqMs, burstMs, reloadMs, bytes: dirSize(join(dir, 'db')) }
}

const f = (n) => Math.round(n).toLocaleString('en-US')
console.log(`${SEQUENTIAL} writes acknowledged one by one, then a burst of ${BURST}; real B4 deltas (avg ${(updates.reduce((n, u) => n + u.length, 0) / updates.length).toFixed(1)} B)`)
console.log('| store | per acknowledged write, ms | burst, writes/s | bytes at rest | read back all, ms |')
console.log('|---|---|---|---|---|')
for (const [name, run] of [['append-only log (this package)', runLog], ['lmdb 3.5', runLmdb]]) {
  const dir = mkdtempSync(join(tmpdir(), 'crdt-store-bench-'))
  try {
    const r = await run(dir)
    console.log(`| ${name} | ${(r.seqMs / SEQUENTIAL).toFixed(2)} | ${f(BURST / (r.burstMs / 1000))} | ${f(r.bytes)} | ${r.reloadMs.toFixed(1)} |`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
