#!/usr/bin/env node
/**
 * Chooses the library behind the text document type: replays the B4 trace (automerge-paper, 259,778
 * edits, M. Kleppmann, CC BY 4.0, from josephg/editing-traces) into Yjs and into Loro, one edit per
 * transaction, without and with capture of each transaction's update (what a sync layer must publish),
 * and reports apply time, update bytes, state size and reload time. One library per process so heaps
 * and JIT state do not mix: `node text-libraries.mjs [yjs|loro] [trace]`.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { loadTrace } from './traces.mjs'

const [, , which, traceName = 'automerge-paper'] = process.argv

async function runYjs(trace) {
  const Y = await import('yjs')
  const replay = (capture) => {
    const doc = new Y.Doc()
    const text = doc.getText('t')
    let bytes = 0
    if (capture) doc.on('update', (u) => { bytes += u.length })
    const t0 = performance.now()
    for (const txn of trace.txns) {
      for (const [pos, del, ins] of txn.patches) {
        doc.transact(() => {
          if (del > 0) text.delete(pos, del)
          if (ins !== '') text.insert(pos, ins)
        })
      }
    }
    return { doc, text, ms: performance.now() - t0, bytes }
  }
  const bare = replay(false)
  const cap = replay(true)
  if (cap.text.toString() !== trace.endContent) throw new Error('yjs: wrong final text')
  const state = Y.encodeStateAsUpdate(cap.doc)
  const t0 = performance.now()
  const reloaded = new Y.Doc()
  Y.applyUpdate(reloaded, state)
  const content = reloaded.getText('t').toString()
  const loadMs = performance.now() - t0
  if (content !== trace.endContent) throw new Error('yjs: reload differs')
  return { lib: 'yjs', applyMs: bare.ms, applyCaptureMs: cap.ms, updateBytes: cap.bytes, stateBytes: state.length, loadMs }
}

async function runLoro(trace) {
  const { LoroDoc } = await import('loro-crdt')
  const replay = (capture) => {
    const doc = new LoroDoc()
    const text = doc.getText('t')
    let bytes = 0
    if (capture) doc.subscribeLocalUpdates((u) => { bytes += u.length })
    const t0 = performance.now()
    for (const txn of trace.txns) {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) text.delete(pos, del)
        if (ins !== '') text.insert(pos, ins)
        doc.commit()
      }
    }
    return { doc, text, ms: performance.now() - t0, bytes }
  }
  const bare = replay(false)
  const cap = replay(true)
  if (cap.text.toString() !== trace.endContent) throw new Error('loro: wrong final text')
  const state = cap.doc.export({ mode: 'snapshot' })
  const t0 = performance.now()
  const reloaded = LoroDoc.fromSnapshot(state)
  const content = reloaded.getText('t').toString()
  reloaded.getText('t').insert(0, 'x') // Loro loads lazily: the first edit pays the rest of the load
  const loadMs = performance.now() - t0
  if (content !== trace.endContent) throw new Error('loro: reload differs')
  return { lib: 'loro', applyMs: bare.ms, applyCaptureMs: cap.ms, updateBytes: cap.bytes, stateBytes: state.length, loadMs }
}

if (which === 'yjs' || which === 'loro') {
  const trace = loadTrace(traceName)
  const result = which === 'yjs' ? await runYjs(trace) : await runLoro(trace)
  process.stdout.write(JSON.stringify(result) + '\n')
} else {
  const self = fileURLToPath(import.meta.url)
  const rows = []
  for (const lib of ['yjs', 'loro']) {
    rows.push(JSON.parse(execFileSync(process.execPath, [self, lib, traceName], { encoding: 'utf8' })))
  }
  const f = (n) => Math.round(n).toLocaleString('en-US')
  console.log(`B4 (${traceName}), one edit per transaction, Node ${process.version}`)
  console.log('| library | apply ms | apply + capture ms | update bytes | state bytes | reload ms |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.lib} | ${f(r.applyMs)} | ${f(r.applyCaptureMs)} | ${f(r.updateBytes)} | ${f(r.stateBytes)} | ${r.loadMs.toFixed(1)} |`)
}
