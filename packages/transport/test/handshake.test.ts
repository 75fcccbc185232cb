import { describe, it, expect, beforeAll } from 'vitest'
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { bytesEqual, SeededRng } from '@saorsa-gossip/types'
import { loadAead, type Aead } from '../src/channel/aead.ts'
import { InitiatorHandshake, ResponderHandshake } from '../src/channel/handshake.ts'

let aead: Aead
const alice = Identity.generate({ seed: new Uint8Array(32).fill(1) })
const bob = Identity.generate({ seed: new Uint8Array(32).fill(2) })
const mallory = Identity.generate({ seed: new Uint8Array(32).fill(3) })

beforeAll(async () => {
  await loadMlDsa65Backend()
  aead = await loadAead()
})

function run(seed: string, initiator = alice, responder = bob) {
  const rng = new SeededRng(seed)
  const random = (n: number) => rng.fill(new Uint8Array(n))
  const i = new InitiatorHandshake({ identity: initiator, aead, random })
  const r = new ResponderHandshake({ identity: responder, aead, random })
  const m1 = i.start()
  const m2 = r.onM1(m1, 'tcp://10.0.0.1:5000')
  const { m3, result: ri } = i.onM2(m2, 'tcp://10.0.0.2:4000')
  const rr = r.onM3(m3)
  return { m1, m2, m3, ri, rr }
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
})
