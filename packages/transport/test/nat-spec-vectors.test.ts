/**
 * Recomputes the golden vectors of SPEC.md section 5.10 (NAT traversal) and checks that the text
 * and the code agree: messages of the reflector, the relay (hop and stop) and hole punching, and a
 * reflect answer signed with the deterministic key of section 4.2 (seed 000102...1f).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Identity, nobleMlDsa65Deterministic, verifySignature } from '@saorsa-gossip/identity'
import { payloadHash as blake3, PeerId, toHex } from '@saorsa-gossip/types'
import {
  decodeReflectAnswer, encodePunchMessage, encodeReflectAnswer, encodeReflectBody, encodeReflectRequest, encodeRelayMessage,
  MAX_NAT_MESSAGE_BYTES, MAX_REFLECT_ANSWER_BYTES,
} from '../src/nat/codec.ts'
import { formatCircuitAddress } from '../src/nat/circuit-address.ts'
import { REFLECT_DOMAIN } from '../src/nat/reflector.ts'
import { HOP_DATA_PROTOCOL, HOP_PROTOCOL, PUNCH_PROTOCOL, STOP_DATA_PROTOCOL, STOP_PROTOCOL } from '../src/nat/protocols.ts'
import { REFLECT_PROTOCOL } from '../src/nat/reflector.ts'
import { RELAY_DEFAULTS } from '../src/proto/nat-config.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const start = spec.indexOf('### 5.10 NAT traversal')
const section = spec.slice(start, spec.indexOf('\n## ', start))
const seq = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => from + i)
const T0 = 1_767_225_600_000

describe('SPEC.md section 5.10 golden vectors', () => {
  const id = Identity.generate({ seed: seq(32), backend: nobleMlDsa65Deterministic })
  const peer = PeerId.fromBytes(new Uint8Array(32).fill(5))
  const body = encodeReflectBody({ nonce: seq(16), observed: 'tcp://203.0.113.9:40001', timestampMs: T0 })
  const answer = encodeReflectAnswer(body, id.sign(REFLECT_DOMAIN, body))
  const vectors: Record<string, Uint8Array> = {
    'reflect-request': encodeReflectRequest(seq(16)),
    'reflect-body': body,
    'reflect-answer-blake3': blake3(answer),
    'relay-reserve': encodeRelayMessage({ type: 'reserve' }),
    'relay-connect': encodeRelayMessage({ type: 'connect', target: peer }),
    'relay-stop': encodeRelayMessage({ type: 'stop', source: peer, circuit: seq(16, 0x10), durationMs: 120_000, bytes: 131_072 }),
    'relay-status-reserved': encodeRelayMessage({ type: 'status', status: 'ok', ttlMs: 3_600_000 }),
    'relay-status-circuit': encodeRelayMessage({ type: 'status', status: 'ok', circuit: seq(16, 0x10), durationMs: 120_000, bytes: 131_072 }),
    'relay-status-refused': encodeRelayMessage({ type: 'status', status: 'no-reservation' }),
    'punch-connect': encodePunchMessage({ type: 'connect', addrs: ['tcp://198.51.100.1:40001'] }),
    'punch-sync': encodePunchMessage({ type: 'sync' }),
  }

  for (const [name, bytes] of Object.entries(vectors)) {
    it(`matches the ${name} vector written in the spec`, () => {
      expect(section).toContain(`| ${name} | \`${toHex(bytes)}\` |`)
    })
  }

  it('verifies the signed reflect answer under the reflect domain with the key of section 4.2', () => {
    const decoded = decodeReflectAnswer(answer)
    expect(verifySignature(id.publicKey, REFLECT_DOMAIN, decoded.body, decoded.sig)).toBe(true)
    expect(section).toContain(`\`${REFLECT_DOMAIN}\``)
  })

  it('states the circuit address form, the protocol names, the caps and the relay defaults', () => {
    const addr = formatCircuitAddress({ relay: PeerId.fromBytes(new Uint8Array(32).fill(0xaa)), target: peer, relayAddr: 'tcp://198.51.100.10:4000' })
    expect(section).toContain(addr)
    for (const p of [REFLECT_PROTOCOL, HOP_PROTOCOL, STOP_PROTOCOL, HOP_DATA_PROTOCOL, STOP_DATA_PROTOCOL, PUNCH_PROTOCOL]) expect(spec).toContain(`\`${p.name}\``)
    expect(section).toContain(`${MAX_REFLECT_ANSWER_BYTES.toLocaleString('en-US')} bytes`)
    expect(section).toContain(`${MAX_NAT_MESSAGE_BYTES.toLocaleString('en-US')} bytes`)
    for (const value of Object.values(RELAY_DEFAULTS)) expect(section).toContain(value.toLocaleString('en-US'))
  })
})
