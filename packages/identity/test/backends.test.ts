/**
 * Cross-checks the liboqs (WASM) and noble ML-DSA-65 backends against each other, and the noble
 * fallback of loadMlDsa65Backend when liboqs cannot load or fails its self-test.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { DOMAIN } from '@saorsa-gossip/types'
import { nobleMlDsa65, type SignatureBackend } from '../src/backend.ts'
import { activeMlDsa65Backend, liboqsBackend, loadMlDsa65Backend, type LiboqsSigModule } from '../src/fast-backend.ts'
import { Identity, verifySignature } from '../src/identity.ts'
import { seededBytes, seq } from './helpers.ts'

const MESSAGE_LENGTHS = [0, 1, 32, 1024, 64 * 1024]

describe('the liboqs and noble ML-DSA-65 backends', () => {
  let fast: SignatureBackend
  beforeAll(async () => {
    fast = await loadMlDsa65Backend()
  })

  it('loads liboqs, caches it and makes it the default backend', async () => {
    expect(fast.name).toBe('liboqs')
    expect(await loadMlDsa65Backend()).toBe(fast)
    expect(activeMlDsa65Backend()).toBe(fast)
  })

  it('each verifies the other\'s signatures over messages of 0 B, 1 B, 32 B, 1 KB and 64 KB', () => {
    for (let k = 0; k < 5; k++) {
      const { publicKey, secretKey } = ml_dsa65.keygen(seq(32, 10 * k))
      for (const length of MESSAGE_LENGTHS) {
        const message = seededBytes(length, `msg-${k}-${length}`)
        const byNoble = nobleMlDsa65.sign(secretKey, message)
        const byLiboqs = fast.sign(secretKey, message)
        expect(fast.verify(publicKey, message, byNoble)).toBe(true)
        expect(nobleMlDsa65.verify(publicKey, message, byLiboqs)).toBe(true)
        expect(fast.verify(publicKey, message, byLiboqs)).toBe(true)
        expect(nobleMlDsa65.verify(publicKey, message, byNoble)).toBe(true)
      }
    }
  })

  it('both reject tampered signatures, messages and public keys', () => {
    const { publicKey, secretKey } = ml_dsa65.keygen(seq(32, 77))
    const otherKey = ml_dsa65.keygen(seq(32, 78)).publicKey
    for (const length of MESSAGE_LENGTHS) {
      const message = seededBytes(length, `tamper-${length}`)
      const sig = fast.sign(secretKey, message)
      for (const position of [0, 1, 1000, 3308]) {
        const badSig = sig.slice()
        badSig[position] = badSig[position]! ^ 0x04
        expect(fast.verify(publicKey, message, badSig)).toBe(false)
        expect(nobleMlDsa65.verify(publicKey, message, badSig)).toBe(false)
      }
      const badKey = publicKey.slice()
      badKey[1951] = badKey[1951]! ^ 0x80
      for (const key of [badKey, otherKey]) {
        expect(fast.verify(key, message, sig)).toBe(false)
        expect(nobleMlDsa65.verify(key, message, sig)).toBe(false)
      }
      const longer = new Uint8Array(length + 1)
      longer.set(message)
      expect(fast.verify(publicKey, longer, sig)).toBe(false)
      expect(nobleMlDsa65.verify(publicKey, longer, sig)).toBe(false)
      if (length > 0) {
        const badMessage = message.slice()
        badMessage[length - 1] = badMessage[length - 1]! ^ 0x01
        expect(fast.verify(publicKey, badMessage, sig)).toBe(false)
        expect(nobleMlDsa65.verify(publicKey, badMessage, sig)).toBe(false)
      }
    }
  })

  it('both return false rather than throw for wrong signature and key lengths', () => {
    const { publicKey, secretKey } = ml_dsa65.keygen(seq(32, 5))
    const message = seq(10)
    const sig = fast.sign(secretKey, message)
    for (const backend of [fast, nobleMlDsa65]) {
      for (const length of [0, 1, 3308, 3310, 5000]) expect(backend.verify(publicKey, message, new Uint8Array(length))).toBe(false)
      expect(backend.verify(publicKey, message, sig.subarray(0, 3308))).toBe(false)
      expect(backend.verify(publicKey.subarray(0, 1951), message, sig)).toBe(false)
      expect(backend.verify(new Uint8Array(0), message, sig)).toBe(false)
      expect(backend.verify(publicKey, message, new Uint8Array(3309))).toBe(false)
    }
  })

  it('accepts Node Buffers and unaligned views, which liboqs itself rejects', () => {
    const { publicKey, secretKey } = ml_dsa65.keygen(seq(32, 6))
    const message = Buffer.from('buffered message')
    const sig = fast.sign(Buffer.from(secretKey), message)
    expect(fast.verify(Buffer.from(publicKey), message, Buffer.from(sig))).toBe(true)
    const padded = new Uint8Array(sig.length + 3)
    padded.set(sig, 3)
    expect(fast.verify(publicKey, message, padded.subarray(3))).toBe(true)
  })

  it('signing with a malformed secret key throws InvalidKeyError in both backends', () => {
    for (const backend of [fast, nobleMlDsa65]) {
      expect(() => backend.sign(new Uint8Array(4031), seq(3))).toThrow(expect.objectContaining({ name: 'InvalidKeyError' }))
    }
  })

  it('identities produce signatures that verify under either backend', () => {
    const onLiboqs = Identity.generate({ seed: seq(32, 9), backend: fast })
    const body = seq(100)
    const sig = onLiboqs.sign(DOMAIN.test, body)
    expect(verifySignature(onLiboqs.publicKey, DOMAIN.test, body, sig, nobleMlDsa65)).toBe(true)
    expect(verifySignature(onLiboqs.publicKey, DOMAIN.test, body, sig, fast)).toBe(true)
    expect(verifySignature(onLiboqs.publicKey, DOMAIN.handshake, body, sig, fast)).toBe(false)
  })
})

describe('loadMlDsa65Backend fallback', () => {
  it('returns noble and reports why when the liboqs module cannot be imported', async () => {
    const reasons: unknown[] = []
    const backend = await loadMlDsa65Backend({
      importLiboqs: async () => { throw new Error('module not found') },
      onFallback: (reason) => reasons.push(reason),
    })
    expect(backend).toBe(nobleMlDsa65)
    expect(reasons).toEqual([expect.objectContaining({ message: 'module not found' })])
  })

  it('returns noble when the WASM instance cannot be created', async () => {
    const failing: LiboqsSigModule = { createMLDSA65: async () => { throw new Error('wasm instantiate failed') } }
    expect(await loadMlDsa65Backend({ importLiboqs: async () => failing })).toBe(nobleMlDsa65)
  })

  it('returns noble when the loaded implementation fails the interop self-test', async () => {
    const acceptsEverything: LiboqsSigModule = {
      createMLDSA65: async () => ({ sign: () => new Uint8Array(3309), verify: () => true }),
    }
    const reasons: unknown[] = []
    const backend = await loadMlDsa65Backend({ importLiboqs: async () => acceptsEverything, onFallback: (r) => reasons.push(r) })
    expect(backend).toBe(nobleMlDsa65)
    expect(reasons).toEqual([expect.objectContaining({ message: 'liboqs accepted a tampered signature' })])
  })

  it('a liboqs instance that throws on verify is reported as false by the adapter', () => {
    const backend = liboqsBackend({ sign: () => new Uint8Array(3309), verify: () => { throw new Error('LibOQSValidationError') } })
    expect(backend.verify(new Uint8Array(1952), new Uint8Array(1), new Uint8Array(3309))).toBe(false)
  })

  it('returns noble without loading anything when noble is preferred', async () => {
    let imported = false
    const backend = await loadMlDsa65Backend({ prefer: 'noble', importLiboqs: async () => { imported = true; throw new Error('x') } })
    expect(backend).toBe(nobleMlDsa65)
    expect(imported).toBe(false)
  })

  it('rejects with AbortError for an aborted signal and a RangeError for an unknown preference', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(loadMlDsa65Backend({ signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(loadMlDsa65Backend({ prefer: 'gpu' as 'fast' })).rejects.toThrow(/^prefer:/)
  })

  it('rejects with AbortError when aborted while the module is loading', async () => {
    const controller = new AbortController()
    let release: (m: LiboqsSigModule) => void = () => undefined
    const pending = loadMlDsa65Backend({
      signal: controller.signal,
      importLiboqs: () => new Promise<LiboqsSigModule>((resolve) => { release = resolve }),
    })
    controller.abort(new Error('shutting down'))
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    release({ createMLDSA65: async () => { throw new Error('late') } })
  })
})
