/**
 * Identity benchmarks: ML-DSA-65 keygen/sign/verify on noble and liboqs side by side (interleaved
 * rounds in one process, so the ratio is robust on a shared machine), SLH-DSA-SHA2-128s sign/verify,
 * and keystore create/unlock times with the real default KDF parameters.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import {
  createKeystore, DEFAULT_KDF, Identity, loadMlDsa65Backend, nobleMlDsa65, openKeyFile, SCRYPT_KDF, sealKeyFile,
  SlhDsaKeyPair,
} from '../dist/index.js'

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Ops per second of `op`, run for at least `ms` milliseconds. */
function opsPerSecond(op, ms) {
  let n = 0
  const start = performance.now()
  let elapsed = 0
  do {
    op()
    n++
    elapsed = performance.now() - start
  } while (elapsed < ms)
  return (n * 1000) / elapsed
}

/** Interleaved rounds of each named op; returns the median ops/s per name. */
function compare(ops, rounds, ms) {
  const samples = Object.fromEntries(Object.keys(ops).map((k) => [k, []]))
  for (let r = 0; r < rounds; r++) for (const [name, op] of Object.entries(ops)) samples[name].push(opsPerSecond(op, ms))
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
}

async function timeMs(fn, runs) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn(i)
    times.push(performance.now() - start)
  }
  return median(times)
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

export async function run({ quick = false } = {}) {
  const loadAtStart = loadavg()[0]
  const rounds = quick ? 1 : 5
  const ms = quick ? 100 : 400
  const fast = await loadMlDsa65Backend()
  const { createMLDSA65 } = await import('@oqs/liboqs-js/sig')
  const oqs = await createMLDSA65()
  const { publicKey, secretKey } = ml_dsa65.keygen(new Uint8Array(32).fill(7))
  const rows = []
  for (const size of [1024, 64 * 1024]) {
    const message = new Uint8Array(size).fill(0xab)
    const nobleSig = nobleMlDsa65.sign(secretKey, message)
    const fastSig = fast.sign(secretKey, message)
    const r = compare({
      nobleSign: () => nobleMlDsa65.sign(secretKey, message),
      fastSign: () => fast.sign(secretKey, message),
      nobleVerify: () => nobleMlDsa65.verify(publicKey, message, fastSig),
      fastVerify: () => fast.verify(publicKey, message, nobleSig),
    }, rounds, ms)
    const label = size === 1024 ? '1 KB' : '64 KB'
    rows.push([`sign, ${label}`, r.nobleSign, r.fastSign], [`verify, ${label}`, r.nobleVerify, r.fastVerify])
  }
  const keygen = compare({ noble: () => ml_dsa65.keygen(), fast: () => oqs.generateKeyPair() }, rounds, ms)
  rows.unshift(['keygen', keygen.noble, keygen.fast])

  const slh = SlhDsaKeyPair.generate()
  const body = new Uint8Array(1024)
  const slhSignMs = await timeMs(() => slh.sign('saorsa-gossip/test/v1', body), quick ? 1 : 2)
  const slhSig = slh.sign('saorsa-gossip/test/v1', body)
  const slhVerify = compare({ v: () => slh.verify('saorsa-gossip/test/v1', body, slhSig) }, rounds, ms).v

  const identity = Identity.generate()
  const argonFile = await sealKeyFile(identity, 'bench passphrase', { kdf: DEFAULT_KDF })
  const scryptFile = await sealKeyFile(identity, 'bench passphrase', { kdf: SCRYPT_KDF })
  const kdfRuns = quick ? 1 : 3
  const unlockArgon = await timeMs(() => openKeyFile(argonFile, 'bench passphrase'), kdfRuns)
  const unlockScrypt = await timeMs(() => openKeyFile(scryptFile, 'bench passphrase'), kdfRuns)
  const dir = await mkdtemp(join(tmpdir(), 'saorsa-identity-bench-'))
  let createMs
  try {
    const keystore = createKeystore({ directory: dir, passphrase: 'bench passphrase', env: {} })
    createMs = await timeMs((i) => keystore.create(`bench-${i}`), kdfRuns)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }

  return [
    '### Identity (@saorsa-gossip/identity)',
    '',
    `ML-DSA-65 (FIPS 204), ops/s on one thread; fast backend: \`${fast.name}\` (@oqs/liboqs-js 0.15.1 WASM) vs pure-JS @noble/post-quantum.`,
    '',
    '| operation | noble ops/s | liboqs ops/s | liboqs / noble |',
    '|---|---|---|---|',
    ...rows.map(([name, a, b]) => `| ${name} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(1)}x |`),
    '',
    '| operation | figure |',
    '|---|---|',
    `| SLH-DSA-SHA2-128s sign, 1 KB | ${fmt(slhSignMs)} ms |`,
    `| SLH-DSA-SHA2-128s verify, 1 KB | ${fmt(slhVerify)} ops/s |`,
    `| keystore unlock, default Argon2id m=19 MiB t=2 p=1 | ${fmt(unlockArgon)} ms |`,
    `| keystore unlock, scrypt N=2^17 r=8 p=1 | ${fmt(unlockScrypt)} ms |`,
    `| keystore create (ML-DSA-65 keygen + default KDF + atomic write with 2 fsyncs) | ${fmt(createMs)} ms |`,
    '',
    `Method: ${rounds} interleaved rounds of at least ${ms} ms per operation, median reported; KDF and create times are medians of ${kdfRuns} runs. ` +
      `The machine is shared and noisy (1-minute load average ${loadAtStart.toFixed(1)} on ${cpus().length} cores at the start): ` +
      'compare the ratios measured in the same run rather than absolute figures.',
  ].join('\n')
}
