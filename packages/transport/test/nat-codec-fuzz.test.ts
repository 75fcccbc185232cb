/**
 * Mutation fuzzing of every NAT traversal decoder (SPEC.md section 5.10) with a seeded loop: bit
 * flips, interesting bytes, truncations, insertions, deletions, splices between message kinds and
 * random bytes. Only DecodeError may come out. FUZZ_RUNS sets the inputs per kind (default 12,500;
 * 8 kinds = 100,000 inputs).
 */
import { describe, expect, it } from 'vitest'
import { DecodeError, PeerId, SeededRng } from '@saorsa-gossip/types'
import {
  decodePunchMessage, decodeReflectAnswer, decodeReflectRequest, decodeRelayMessage, encodePunchMessage, encodeReflectAnswer, encodeReflectBody,
  encodeReflectRequest, encodeRelayMessage,
} from '../src/nat/codec.ts'

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 12_500)
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x59, 0x5f, 0x60, 0x78, 0x7f, 0x80,
  0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

const peer = PeerId.fromBytes(new Uint8Array(32).fill(5))
const nonce = new Uint8Array(16).fill(9)
const answerBody = encodeReflectBody({ nonce, observed: 'tcp://203.0.113.9:40001', timestampMs: 1_767_225_600_000 })
const KINDS: Array<[string, Uint8Array, (b: Uint8Array) => unknown]> = [
  ['reflect request', encodeReflectRequest(nonce), decodeReflectRequest],
  ['reflect answer', encodeReflectAnswer(answerBody, new Uint8Array(3309).fill(1)), decodeReflectAnswer],
  ['relay reserve', encodeRelayMessage({ type: 'reserve' }), decodeRelayMessage],
  ['relay connect', encodeRelayMessage({ type: 'connect', target: peer }), decodeRelayMessage],
  ['relay stop', encodeRelayMessage({ type: 'stop', source: peer, circuit: nonce, durationMs: 120_000, bytes: 131_072 }), decodeRelayMessage],
  ['relay status', encodeRelayMessage({ type: 'status', status: 'ok', circuit: nonce, ttlMs: 3_600_000, durationMs: 120_000, bytes: 131_072 }), decodeRelayMessage],
  ['punch connect', encodePunchMessage({ type: 'connect', addrs: ['tcp://198.51.100.1:40001', 'tcp://[2001:db8::1]:40001'] }), decodePunchMessage],
  ['punch sync', encodePunchMessage({ type: 'sync' }), decodePunchMessage],
]
const corpus = KINDS.map(([, bytes]) => bytes)

function splice(b: Uint8Array, at: number, cut: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - cut + insert.length)
  out.set(b.subarray(0, at))
  out.set(insert, at)
  out.set(b.subarray(at + cut), at + insert.length)
  return out
}

function mutate(rng: SeededRng, seed: Uint8Array): Uint8Array {
  let b: Uint8Array = seed.slice()
  for (let s = 1 + rng.nextInt(4); s > 0; s--) {
    const at = b.length === 0 ? 0 : rng.nextInt(b.length)
    switch (rng.nextInt(7)) {
      case 0: if (b.length > 0) b[at] = b[at]! ^ (1 << rng.nextInt(8)); break
      case 1: if (b.length > 0) b[at] = INTERESTING[rng.nextInt(INTERESTING.length)]!; break
      case 2: b = b.subarray(0, rng.nextInt(b.length + 1)); break
      case 3: b = splice(b, at, 0, rng.fill(new Uint8Array(1 + rng.nextInt(8)))); break
      case 4: b = splice(b, at, rng.nextInt(Math.min(16, b.length - at) + 1), new Uint8Array(0)); break
      case 5: {
        const other = corpus[rng.nextInt(corpus.length)]!
        b = splice(b, at, b.length - at, other.subarray(rng.nextInt(other.length + 1)))
        break
      }
      default: if (b.length > 0) b[at] = rng.nextU32() & 0xff
    }
  }
  return b
}

function tryDecode(decode: (b: Uint8Array) => unknown, input: Uint8Array): 'ok' | 'rejected' {
  try {
    decode(input)
    return 'ok'
  } catch (err) {
    if (err instanceof DecodeError) return 'rejected'
    throw new Error(`non-DecodeError for input ${Buffer.from(input).toString('hex')}`, { cause: err })
  }
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('NAT traversal decoder fuzzing', () => {
  it.each(KINDS.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${RUNS} mutations of a %s`, async (_name, index) => {
    const rng = new SeededRng(`nat-fuzz-${index}`)
    const [, seed, decode] = KINDS[index]!
    expect(tryDecode(decode, seed)).toBe('ok')
    let rejected = 0
    for (let i = 0; i < RUNS; i++) {
      if (i % 2_000 === 0) await yieldToLoop()
      if (tryDecode(decode, mutate(rng, i % 4 === 0 ? corpus[rng.nextInt(corpus.length)]! : seed)) === 'rejected') rejected++
    }
    expect(rejected).toBeGreaterThan(RUNS / 4)
  })

  it('rejects oversized inputs before decoding them', () => {
    expect(() => decodeRelayMessage(new Uint8Array(1 << 20))).toThrow(DecodeError)
    expect(() => decodePunchMessage(encodePunchMessage({ type: 'connect', addrs: Array.from({ length: 9 }, (_, i) => `tcp://10.0.0.${i}:1`) }))).toThrow(DecodeError)
    expect(() => decodeReflectAnswer(new Uint8Array(8192))).toThrow(DecodeError)
  })
})
