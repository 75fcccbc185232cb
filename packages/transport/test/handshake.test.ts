import { describe, it, expect, beforeAll } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { bytesEqual, SeededRng, toHex } from '@saorsa-gossip/types'
import { loadAead, type Aead } from '../src/channel/aead.ts'
import { blake3 } from '@noble/hashes/blake3.js'
import { XWING_CT_BYTES, XWING_EK_BYTES } from '../src/channel/messages.ts'
import { InitiatorHandshake, ResponderHandshake, type HandshakeKem, type HandshakeSigner } from '../src/channel/handshake.ts'

let aead: Aead
const alice = Identity.generate({ seed: new Uint8Array(32).fill(1) })
const bob = Identity.generate({ seed: new Uint8Array(32).fill(2) })
const mallory = Identity.generate({ seed: new Uint8Array(32).fill(3) })

beforeAll(async () => {
  await loadMlDsa65Backend()
  aead = await loadAead()
})

/**
 * A hash-based stand-in for X-Wing with the real sizes, for the bit-flip tests: they check that the
 * state machines catch every change (by AEAD or by the transcript), not the KEM itself, and the real
 * KEM would make thousands of flips cost a minute. ss = BLAKE3(ct), ct = BLAKE3-XOF(ek): a flipped ek
 * still yields a shared secret both sides agree on, so only the transcript can catch it.
 */
function hashKem(seed: string): HandshakeKem {
  const ek = new SeededRng(seed).fill(new Uint8Array(XWING_EK_BYTES))
  return {
    keygen: () => ({ publicKey: ek.slice(), secretKey: new Uint8Array(32).fill(1) }),
    encapsulate: (pk) => {
      const cipherText = blake3(pk, { dkLen: XWING_CT_BYTES })
      return { cipherText, sharedSecret: blake3(cipherText) }
    },
    decapsulate: (ct) => blake3(ct),
  }
}

function memoSigner(identity: Identity): HandshakeSigner {
  const cache = new Map<string, Uint8Array>()
  return {
    publicKey: identity.publicKey,
    sign(domain, body) {
      const key = `${domain}:${toHex(body)}`
      if (!cache.has(key)) cache.set(key, identity.sign(domain, body))
      return cache.get(key)!
    },
  }
}

const seeded = (seed: string) => {
  const rng = new SeededRng(seed)
  return (n: number) => rng.fill(new Uint8Array(n))
}

function run(seed: string, initiator: HandshakeSigner = alice, responder: HandshakeSigner = bob) {
  const i = new InitiatorHandshake({ identity: initiator, aead, random: seeded(`${seed}-i`) })
  const r = new ResponderHandshake({ identity: responder, aead, random: seeded(`${seed}-r`) })
  const m1 = i.start()
  const m2 = r.onM1(m1, 'tcp://10.0.0.1:5000')
  const { m3, result: ri } = i.onM2(m2, 'tcp://10.0.0.2:4000')
  const rr = r.onM3(m3)
  return { m1, m2, m3, ri, rr }
}

/** One turn of the event loop: the flip loops below run thousands of handshakes (see docs/architecture.md section 9). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const TURN_EVERY = 64

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice()
  copy[index]! ^= 1 << (index % 8)
  return copy
}

describe('handshake', () => {
  it('authenticates both peers, reflects addresses and agrees on per-direction keys', () => {
    const { ri, rr } = run('ok')
    expect(ri.remotePeer.equals(bob.peerId)).toBe(true)
    expect(rr.remotePeer.equals(alice.peerId)).toBe(true)
    expect(ri.observedAddr).toBe('tcp://10.0.0.1:5000')
    expect(rr.observedAddr).toBe('tcp://10.0.0.2:4000')
    expect(bytesEqual(ri.sendKey, rr.receiveKey)).toBe(true)
    expect(bytesEqual(ri.receiveKey, rr.sendKey)).toBe(true)
    expect(bytesEqual(ri.sendKey, ri.receiveKey)).toBe(false)
    expect(bytesEqual(ri.transcriptHash, rr.transcriptHash)).toBe(true)
  })

  it('derives fresh keys in every session (ephemeral KEM keys)', () => {
    const a = run('session-a')
    const b = run('session-b')
    expect(bytesEqual(a.ri.sendKey, b.ri.sendKey)).toBe(false)
  })

  it('rejects a responder that presents another peer\'s public key but cannot sign for it', () => {
    const impostor: HandshakeSigner = { publicKey: bob.publicKey, sign: (d, b) => mallory.sign(d, b) }
    const i = new InitiatorHandshake({ identity: alice, aead })
    const r = new ResponderHandshake({ identity: impostor, aead })
    const m2 = r.onM1(i.start(), 'mem://x')
    expect(() => i.onM2(m2, 'mem://y')).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
  })

  it('rejects an initiator that presents another peer\'s public key but cannot sign for it', () => {
    const impostor: HandshakeSigner = { publicKey: alice.publicKey, sign: (d, b) => mallory.sign(d, b) }
    const i = new InitiatorHandshake({ identity: impostor, aead })
    const r = new ResponderHandshake({ identity: bob, aead })
    const m2 = r.onM1(i.start(), 'mem://x')
    const { m3 } = i.onM2(m2, 'mem://y')
    expect(() => r.onM3(m3)).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
  })

  it('rejects a replayed M1 and M3 at a fresh responder and a replayed M2 at a fresh initiator', () => {
    const recorded = run('recorded')
    const r = new ResponderHandshake({ identity: bob, aead })
    r.onM1(recorded.m1, 'mem://x')
    expect(() => r.onM3(recorded.m3)).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
    const i = new InitiatorHandshake({ identity: alice, aead })
    i.start()
    expect(() => i.onM2(recorded.m2, 'mem://y')).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
  })

  it('rejects messages in the wrong state and a second M2', () => {
    const i = new InitiatorHandshake({ identity: alice, aead })
    expect(() => i.onM2(new Uint8Array(10), 'mem://y')).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
    const r = new ResponderHandshake({ identity: bob, aead })
    expect(() => r.onM3(new Uint8Array(10))).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
  })

  it('refuses a downgrade: an initiator rejects a version it did not offer, a responder one it does not accept', () => {
    const i = new InitiatorHandshake({ identity: alice, aead, versions: [2] })
    const r = new ResponderHandshake({ identity: bob, aead, versions: [7, 2] })
    const m2 = r.onM1(i.start(), 'mem://x')
    expect(m2[2]).toBe(2)
    const i2 = new InitiatorHandshake({ identity: alice, aead, versions: [1] })
    const r2 = new ResponderHandshake({ identity: bob, aead })
    expect(() => r2.onM1(i2.start(), 'mem://x')).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
  })

  describe('every single-bit flip of every byte fails with HandshakeError', () => {
    const kem = hashKem('flip')
    const aliceSigner = memoSigner(alice)
    const bobSigner = memoSigner(bob)
    const initiator = () => new InitiatorHandshake({ identity: aliceSigner, aead, kem, random: seeded('flip-i') })
    const responder = () => new ResponderHandshake({ identity: bobSigner, aead, kem, random: seeded('flip-r') })
    const reference = () => {
      const i = initiator()
      const r = responder()
      const m1 = i.start()
      const m2 = r.onM1(m1, 'mem://a')
      const { m3 } = i.onM2(m2, 'mem://b')
      r.onM3(m3)
      return { m1, m2, m3 }
    }

    it('in M1 (caught by the responder or, through the transcript, by the initiator)', async () => {
      const { m1 } = reference()
      for (let index = 0; index < m1.length; index++) {
        if (index % TURN_EVERY === 0) await nextTurn()
        const attempt = () => {
          const m2 = responder().onM1(flipped(m1, index), 'mem://a')
          const i = initiator()
          i.start()
          i.onM2(m2, 'mem://b')
        }
        expect(attempt, `M1 byte ${index}`).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
      }
    })

    it('in M2 (caught by the initiator)', async () => {
      const { m2 } = reference()
      for (let index = 0; index < m2.length; index++) {
        if (index % TURN_EVERY === 0) await nextTurn()
        const i = initiator()
        i.start()
        expect(() => i.onM2(flipped(m2, index), 'mem://b'), `M2 byte ${index}`)
          .toThrow(expect.objectContaining({ name: 'HandshakeError' }))
      }
    })

    it('in M3 (caught by the responder)', async () => {
      const { m1, m3 } = reference()
      for (let index = 0; index < m3.length; index++) {
        if (index % TURN_EVERY === 0) await nextTurn()
        const r = responder()
        r.onM1(m1, 'mem://a')
        expect(() => r.onM3(flipped(m3, index)), `M3 byte ${index}`).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
      }
    })

    it('and truncated or extended messages fail the same way', () => {
      const { m1, m2, m3 } = reference()
      for (const cut of [0, 1, 10, m1.length - 1]) expect(() => responder().onM1(m1.subarray(0, cut), 'mem://a')).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
      for (const cut of [0, 1, 1121, m2.length - 1]) {
        const i = initiator()
        i.start()
        expect(() => i.onM2(m2.subarray(0, cut), 'mem://b')).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
      }
      const r = responder()
      r.onM1(m1, 'mem://a')
      expect(() => r.onM3(new Uint8Array([...m3, 0]))).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
    })
  })
})
