/**
 * Key lifetime (SPEC.md sections 5.3, 5.4 and 5.7, forward secrecy): after a handshake only the two
 * traffic keys survive, owned by the record layer, which wipes each key when it moves to the next one
 * and both when the connection ends; and key updates need no shared setting (each side's sender
 * decides and signals with the phase bit).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import type { BytePipe } from '../src/carrier.ts'
import { loadAead, type Aead } from '../src/channel/aead.ts'
import { InitiatorHandshake, ResponderHandshake, xwingKem, type HandshakeKem } from '../src/channel/handshake.ts'
import { PipeInbox } from '../src/channel/pipe-inbox.ts'
import { SecureConnection } from '../src/connection.ts'
import { ProtocolRoutes } from '../src/routes.ts'
import { MemoryBudget } from '../src/streams/budget.ts'
import { connectedPair } from './pair.ts'
import { MSHIP } from './protocols.ts'
import { until } from './transport-suite.ts'

let aead: Aead
const alice = Identity.generate({ seed: new Uint8Array(32).fill(31) })
const bob = Identity.generate({ seed: new Uint8Array(32).fill(32) })
const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0)

beforeAll(async () => {
  await loadMlDsa65Backend()
  aead = await loadAead()
})

/** Records every secret buffer the handshake is handed or derives: KEM secrets and the AEAD keys it uses. */
function spies(): { kem: HandshakeKem; aead: Aead; kemSecrets: Uint8Array[]; handshakeKeys: Uint8Array[] } {
  const kemSecrets: Uint8Array[] = []
  const handshakeKeys: Uint8Array[] = []
  return {
    kemSecrets,
    handshakeKeys,
    kem: {
      keygen: () => { const k = xwingKem.keygen(); kemSecrets.push(k.secretKey); return k },
      encapsulate: (pk) => { const e = xwingKem.encapsulate(pk); kemSecrets.push(e.sharedSecret); return e },
      decapsulate: (ct, sk) => { const ss = xwingKem.decapsulate(ct, sk); kemSecrets.push(ss); return ss },
    },
    aead: {
      name: aead.name,
      seal: (k, n, p, pieces) => { handshakeKeys.push(k); return aead.seal(k, n, p, pieces) },
      open: (k, n, a, s) => { handshakeKeys.push(k); return aead.open(k, n, a, s) },
    },
  }
}

describe('secrets after the handshake', () => {
  it('wipes the decapsulation key, both shared secrets and all handshake keys; only the traffic keys remain', () => {
    const spy = spies()
    const i = new InitiatorHandshake({ identity: alice, aead: spy.aead, kem: spy.kem })
    const r = new ResponderHandshake({ identity: bob, aead: spy.aead, kem: spy.kem })
    const m2 = r.onM1(i.start(), 'mem://a')
    const { m3, result } = i.onM2(m2, 'mem://b')
    const other = r.onM3(m3)
    expect(spy.kemSecrets.length).toBe(3)
    expect(spy.handshakeKeys.length).toBe(4)
    for (const secret of [...spy.kemSecrets, ...spy.handshakeKeys]) expect(isZero(secret)).toBe(true)
    for (const key of [result.sendKey, result.receiveKey, other.sendKey, other.receiveKey]) expect(isZero(key)).toBe(false)
  })

  it('wipes them as well when the handshake fails or is abandoned half way', () => {
    const spy = spies()
    const i = new InitiatorHandshake({ identity: alice, aead: spy.aead, kem: spy.kem })
    const r = new ResponderHandshake({ identity: bob, aead: spy.aead, kem: spy.kem })
    const m2 = r.onM1(i.start(), 'mem://a')
    r.dispose()
    const tampered = m2.slice()
    tampered[tampered.length - 1]! ^= 1
    expect(() => i.onM2(tampered, 'mem://b')).toThrow(expect.objectContaining({ name: 'HandshakeError' }))
    expect(spy.kemSecrets.length).toBe(3)
    for (const secret of [...spy.kemSecrets, ...spy.handshakeKeys]) expect(isZero(secret)).toBe(true)
  })

  it('leaves the connection holding no handshake result: the first traffic keys die at the first key update', async () => {
    const i = new InitiatorHandshake({ identity: alice, aead })
    const r = new ResponderHandshake({ identity: bob, aead })
    const { result } = i.onM2(r.onM1(i.start(), 'mem://a'), 'mem://b')
    const firstSend = result.sendKey
    const firstReceive = result.receiveKey
    const written: Uint8Array[] = []
    let reader: { onData(chunk: Uint8Array): void } | undefined
    const pipe: BytePipe = {
      localAddr: 'mem://a', remoteAddr: 'mem://b', write: (c) => { written.push(c); return Promise.resolve() },
      setReader: (x) => { reader = x }, pause() {}, resume() {}, close() {},
    }
    const conn = new SecureConnection({
      id: 'k', direction: 'outbound', pipe, inbox: new PipeInbox(pipe), handshake: result, aead,
      rekey: { records: 1, bytes: 1 << 30 }, highWaterMark: 1 << 20, maxPendingHandlers: 16,
      routes: new ProtocolRoutes(), budget: new MemoryBudget(1 << 20), onDrop() {}, onInvalid() {}, onViolation() {}, onClosed() {},
    })
    conn.start()
    for (const value of Object.values(conn)) expect(value).not.toBe(result)
    await conn.send(MSHIP, new Uint8Array([1]))
    await until(() => written.length === 1)
    expect(conn.stats().sendEpoch).toBe(1)
    expect(isZero(firstSend)).toBe(true)
    expect(isZero(firstReceive)).toBe(false)
    expect(reader).toBeDefined()
    conn.fail(new Error('test over'))
    expect(isZero(firstReceive)).toBe(true)
  })
})

describe('key updates without a shared setting', () => {
  it('two ends with different local rekey policies interoperate, and keys move forward in both directions', async () => {
    const pair = await connectedPair({ rekey: { records: 2, bytes: 1 << 30 } }, { rekey: { records: 5, bytes: 1 << 30 } })
    try {
      const atB: number[] = []
      const atA: number[] = []
      pair.b.handle(MSHIP, (m) => { atB.push(m[0]!) })
      pair.a.handle(MSHIP, (m) => { atA.push(m[0]!) })
      for (let n = 0; n < 12; n++) {
        await pair.out.send(MSHIP, new Uint8Array([n]))
        await until(() => atB.length === n + 1)
        await pair.inb.send(MSHIP, new Uint8Array([n]))
        await until(() => atA.length === n + 1)
      }
      expect(atB).toEqual([...Array(12).keys()])
      expect(atA).toEqual([...Array(12).keys()])
      const a = pair.out.stats()
      const b = pair.inb.stats()
      expect(a.sendEpoch).toBeGreaterThan(b.sendEpoch)
      expect(b.sendEpoch).toBeGreaterThan(0)
      // A sender moves to its next key right after the record that used up the current one, so its
      // receiver is on the same key or, until the next record, one behind.
      expect(a.sendEpoch - b.receiveEpoch).toBeGreaterThanOrEqual(0)
      expect(a.sendEpoch - b.receiveEpoch).toBeLessThanOrEqual(1)
      expect(b.sendEpoch - a.receiveEpoch).toBeGreaterThanOrEqual(0)
      expect(b.sendEpoch - a.receiveEpoch).toBeLessThanOrEqual(1)
      expect(b.receiveEpoch).toBeGreaterThanOrEqual(4)
    } finally {
      await pair.close()
    }
  })
})
