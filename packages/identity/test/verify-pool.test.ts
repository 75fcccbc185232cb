import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { DOMAIN, SeededRng } from '@saorsa-gossip/types'
import { Identity, loadMlDsa65Backend, nobleMlDsa65, signingInput, type SignatureBackend } from '../src/index.ts'
import { createVerifyPool, type VerifyPool } from '../src/verify-pool/index.ts'
import { MAX_BATCH_BYTES, packBatch, unpackBatch } from '../src/verify-pool/batch.ts'

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)

describe('verification batches', () => {
  it('round-trips requests, copying only the viewed bytes of a larger buffer', () => {
    const record = new Uint8Array(10_000).fill(7)
    const requests = [
      { publicKey: bytes(1952, 1), message: record.subarray(100, 1300), signature: bytes(3309, 3) },
      { publicKey: bytes(0, 0), message: bytes(0, 0), signature: bytes(5, 9) },
    ]
    const buffer = packBatch(requests)
    expect(buffer.byteLength).toBe(4 + 12 * 2 + 1952 + 1200 + 3309 + 5)
    expect(unpackBatch(buffer)).toEqual(requests)
  })

  it('rejects a count larger than the buffer can hold before allocating, and truncated or padded batches', () => {
    const huge = new ArrayBuffer(16)
    new DataView(huge).setUint32(0, 0xffffffff)
    expect(() => unpackBatch(huge)).toThrow(/count exceeds/)
    const good = packBatch([{ publicKey: bytes(3, 1), message: bytes(4, 2), signature: bytes(5, 3) }])
    expect(() => unpackBatch(good.slice(0, good.byteLength - 1))).toThrow(RangeError)
    const padded = new Uint8Array(good.byteLength + 1)
    padded.set(new Uint8Array(good))
    expect(() => unpackBatch(padded.buffer)).toThrow(/trailing/)
    expect(() => unpackBatch(new ArrayBuffer(2))).toThrow(/size/)
    expect(MAX_BATCH_BYTES).toBeGreaterThan(64 * (12 + 1952 + 3309 + 65_536))
  })

  it('fuzz: random bytes unpack to requests within the buffer or throw RangeError, never anything else', () => {
    const rng = new SeededRng('verify-batch-fuzz')
    const valid = new Uint8Array(packBatch([
      { publicKey: bytes(10, 1), message: bytes(20, 2), signature: bytes(30, 3) },
      { publicKey: bytes(1, 4), message: bytes(2, 5), signature: bytes(3, 6) },
    ]))
    for (let i = 0; i < 2_000; i++) {
      const input = i % 2 === 0 ? rng.fill(new Uint8Array(rng.nextInt(80))) : valid.slice()
      if (i % 2 === 1) for (let k = 0; k < 3; k++) input[rng.nextInt(input.length)] = rng.nextInt(256)
      try {
        for (const r of unpackBatch(input.buffer as ArrayBuffer)) {
          expect(r.publicKey.length + r.message.length + r.signature.length).toBeLessThanOrEqual(input.length)
        }
      } catch (err) {
        expect(err).toBeInstanceOf(RangeError)
      }
    }
  })
})

describe('verification pool', () => {
  let backend: SignatureBackend
  let pool: VerifyPool
  const me = Identity.generate({ seed: bytes(32, 5), backend: nobleMlDsa65 })
  const body = new TextEncoder().encode('checked off the event loop')
  const message = signingInput(DOMAIN.test, body)
  const signature = me.sign(DOMAIN.test, body)

  beforeAll(async () => {
    backend = await loadMlDsa65Backend()
    pool = createVerifyPool({ threads: 2, fallback: backend })
  })
  afterAll(async () => { await pool.close() })

  it('answers each request with the backend verdict, in any mix, and counts what is pending', async () => {
    const forged = signature.slice()
    forged[10]! ^= 1
    const checks = Array.from({ length: 100 }, (_, i) => {
      if (i % 3 === 1) return { sig: forged, want: false, key: me.publicKey }
      if (i % 3 === 2) return { sig: signature, want: false, key: new Uint8Array(12) }
      return { sig: signature, want: true, key: me.publicKey }
    })
    const answers = checks.map((c) => pool.verify(c.key, message, c.sig))
    expect(pool.pending).toBe(100)
    expect(await Promise.all(answers)).toEqual(checks.map((c) => c.want))
    expect(pool.pending).toBe(0)
    expect(pool.threads).toBe(2)
    expect(pool.workerChecks).toBe(100)
  })

  it('validates its arguments and options at the boundary', async () => {
    await expect(pool.verify('key' as never, message, signature)).rejects.toThrow(/publicKey/)
    await expect(pool.verify(me.publicKey, message, signature, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i)
    expect(() => createVerifyPool({ threads: 0 })).toThrow(/threads/)
    expect(() => createVerifyPool({ prefer: 'fastest' as never })).toThrow(/prefer/)
  })

  it('answers requests in flight on the calling thread when closed, and later ones too', async () => {
    const own = createVerifyPool({ threads: 1, prefer: 'noble', fallback: backend })
    const inFlight = Array.from({ length: 20 }, () => own.verify(me.publicKey, message, signature))
    await Promise.resolve() // the batch leaves for the worker
    expect(own.pending).toBe(20)
    await own.close()
    expect(await Promise.all(inFlight)).toEqual(Array(20).fill(true))
    expect(own.threads).toBe(0)
    expect(own.workerChecks).toBe(0)
    expect(await own.verify(me.publicKey, message, signature)).toBe(true)
    expect(own.pending).toBe(0)
  })

  it('never keeps a process alive once idle: unused, or after its last answer', async () => {
    const pool = new URL('../dist/verify-pool/index.js', import.meta.url).href
    const identity = new URL('../dist/index.js', import.meta.url).href
    const script = `
      const { createVerifyPool } = await import(${JSON.stringify(pool)})
      const { Identity, nobleMlDsa65 } = await import(${JSON.stringify(identity)})
      createVerifyPool({ threads: 1 })
      const used = createVerifyPool({ threads: 1, prefer: 'noble' })
      const me = Identity.generate({ backend: nobleMlDsa65 })
      const msg = new Uint8Array([1, 2, 3])
      console.log(await used.verify(me.publicKey, msg, nobleMlDsa65.sign(me.exportSecretKey(), msg)))`
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 })
    expect(stdout.trim()).toBe('true')
  })
})
