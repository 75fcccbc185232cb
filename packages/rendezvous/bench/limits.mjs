#!/usr/bin/env node
/**
 * What the request limits (SPEC.md section 11.5.1) save a serving node, on the core alone with the
 * default numbers: a flood of forged registrations from one sender (signature checks done, CPU,
 * reports), the same flood with the limits lifted, and a burst of 100,000 queries from one peer
 * (answered, refused, reports, cost of a query). `node packages/rendezvous/bench/limits.mjs` after
 * the build; figures in docs/benchmarks.md.
 */
import { Identity, loadMlDsa65Backend, verifySignature } from '@saorsa-gossip/identity'
import { DEFAULT_RENDEZVOUS_CONFIG, RendezvousCore } from '../dist/proto/index.js'
import { encodeSignedSummary, encodeSummaryBody, SUMMARY_DOMAIN } from '../dist/codec.js'
import { targetFromName } from '../dist/target.js'

const backend = await loadMlDsa65Backend()
const T0 = 1_767_225_600_000
const identity = (n) => Identity.generate({ seed: new Uint8Array(32).fill(n), backend })
const [mallory, server] = [identity(2), identity(3)]
let checks = 0
const serving = (config) => new RendezvousCore({
  self: server.peerId, publicKey: server.publicKey, config: { ...DEFAULT_RENDEZVOUS_CONFIG, serve: true, ...config },
  sign: (body) => server.sign(SUMMARY_DOMAIN, body),
  verify: (pk, domain, body, sig) => { checks++; return verifySignature(pk, domain, body, sig, backend) },
})
const reports = (out) => out.filter((o) => o.type === 'emit' && o.event.type === 'misbehaved').length

// Mallory's own summary with one signature bit flipped: a forgery only its sender can be blamed for.
const body = encodeSummaryBody({
  version: 1, target: targetFromName('x'), provider: mallory.peerId, publicKey: mallory.publicKey, capabilities: ['SITE'],
  addressHints: [], issuedAtMs: T0, expiresAtMs: T0 + 3_600_000, seq: T0,
})
const sig = mallory.sign(SUMMARY_DOMAIN, body)
sig[0] ^= 1
const forged = { type: 'register', summary: encodeSignedSummary(body, sig) }
for (const [label, config] of [['default limits', {}], ['limits lifted', { registerBurst: 1e9, globalRegisterBurst: 1e9 }]]) {
  checks = 0
  const core = serving(config)
  let reported = 0
  const start = performance.now()
  for (let i = 0; i < 2_000; i++) {
    const out = []
    core.handle({ type: 'recv', from: mallory.peerId, msg: forged }, T0 + i, out)
    reported += reports(out)
  }
  console.log(`${label}: 2,000 forged registrations over 2 s from one sender: ${checks} signature checks, ` +
    `${(performance.now() - start).toFixed(0)} ms, ${reported} reports`)
}

const core = serving({})
let answered = 0
let refused = 0
let reported = 0
const start = performance.now()
for (let i = 0; i < 100_000; i++) {
  const out = []
  core.handle({ type: 'recv', from: mallory.peerId, msg: { type: 'query', queryId: i, target: targetFromName('x'), limit: 8 } }, T0, out)
  for (const o of out) if (o.type === 'send') o.msg.type === 'refused' ? refused++ : answered++
  reported += reports(out)
}
console.log(`100,000 queries at once from one peer: ${answered} answered, ${refused} refused, ${reported} reports, ` +
  `${((performance.now() - start) * 1_000 / 100_000).toFixed(1)} us per query`)
