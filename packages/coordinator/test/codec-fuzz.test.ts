/**
 * Mutation fuzzing of every decoder of this package with a seeded loop: bit flips, interesting bytes,
 * truncations, insertions, deletions, splices between encodings of different kinds, and random bytes.
 * Only DecodeError may ever come out of a decoder, and validateAdvert / validatePeerRecord never throw.
 * FUZZ_RUNS sets the number of inputs per kind (default 20,000; 5 kinds = 100,000 inputs).
 */
import { describe, expect, it } from 'vitest'
import { DecodeError, SeededRng, encodeCbor } from '@saorsa-gossip/types'
import { decodeAdvert, signAdvert } from '../src/advert.ts'
import { decodeAdvertCacheFile } from '../src/advert-store.ts'
import { validateAdvert } from '../src/advert-validate.ts'
import { decodeFoafMessage, encodeFoafMessage } from '../src/foaf-codec.ts'
import { decodePeerRecord, signPeerRecord, validatePeerRecord } from '../src/peer-record.ts'
import { COORDINATOR_LAN } from '../src/proto/config.ts'
import { FoafCore, type FoafOutput } from '../src/proto/foaf.ts'
import { HOUR, T0, fakeKey, fakeSign, fakeVerify, identity } from './helpers.ts'

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 20_000)
const INTERESTING = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x59, 0x5f, 0x60, 0x78, 0x7f, 0x80,
  0x98, 0x9f, 0xa0, 0xb8, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff]

const advert = signAdvert(identity(1), {
  roles: ['coordinator', 'relay'], addresses: ['tcp://203.0.113.7:7000', 'tcp://[2001:db8::1]:7000'], nat: 'eim',
  notBeforeMs: T0, notAfterMs: T0 + HOUR, sequence: 9,
}).bytes
const record = signPeerRecord(identity(1), ['tcp://10.0.0.1:7000'], 3).bytes

function foafQuery(payload?: Uint8Array): Uint8Array {
  const { publicKey, peerId } = fakeKey(1)
  const core = new FoafCore({
    self: peerId, publicKey, config: COORDINATOR_LAN.foaf, clockSkewMs: 30_000, rng: new SeededRng(1), sign: fakeSign(publicKey),
    verify: fakeVerify, answer: () => [],
  })
  core.handle({ type: 'peer-up', peer: fakeKey(2).peerId }, 0, [])
  const out: FoafOutput[] = []
  core.handle({ type: 'command', command: { type: 'find', target: { kind: 'user', id: new Uint8Array(32).fill(7) }, ref: 1, ...(payload === undefined ? {} : { payload }) } }, 0, out)
  const send = out.find((o) => o.type === 'send')
  if (send?.type !== 'send') throw new Error('no query')
  return encodeFoafMessage(send.msg)
}

const reply = encodeFoafMessage({ type: 'reply', queryId: new Uint8Array(16).fill(3), records: [advert, new Uint8Array([1, 2])] })
const cacheFile = encodeCbor({ v: 1, adverts: [{ e: advert, t: T0, s: 1, f: 2 }] })

const KINDS: Array<[string, Uint8Array, (b: Uint8Array) => unknown]> = [
  ['advert', advert, (b) => {
    decodeAdvert(b)
  }],
  ['FOAF query', foafQuery(), decodeFoafMessage],
  // FIND_USER's shape: a one-time ML-KEM-768 key and a few fields as the signed payload.
  ['FOAF user query with payload', foafQuery(new SeededRng(3).fill(new Uint8Array(1_260))), decodeFoafMessage],
  ['FOAF reply', reply, decodeFoafMessage],
  ['peer record', record, decodePeerRecord],
  ['advert cache file', cacheFile, decodeAdvertCacheFile],
]
const corpus = KINDS.map(([, bytes]) => bytes)

function mutate(rng: SeededRng, seed: Uint8Array): Uint8Array {
  let b = seed.slice()
  const steps = 1 + rng.nextInt(4)
  for (let s = 0; s < steps; s++) {
    const at = b.length === 0 ? 0 : rng.nextInt(b.length)
    switch (rng.nextInt(7)) {
      case 0: if (b.length > 0) b[at] = b[at]! ^ (1 << rng.nextInt(8)); break
      case 1: if (b.length > 0) b[at] = INTERESTING[rng.nextInt(INTERESTING.length)]!; break
      case 2: b = b.subarray(0, rng.nextInt(b.length + 1)); break
      case 3: {
        const ins = rng.fill(new Uint8Array(1 + rng.nextInt(8)))
        const out = new Uint8Array(b.length + ins.length)
        out.set(b.subarray(0, at)); out.set(ins, at); out.set(b.subarray(at), at + ins.length)
        b = out
        break
      }
      case 4: {
        const len = rng.nextInt(Math.min(16, b.length - at) + 1)
        const out = new Uint8Array(b.length - len)
        out.set(b.subarray(0, at)); out.set(b.subarray(at + len), at)
        b = out
        break
      }
      case 5: {
        const other = corpus[rng.nextInt(corpus.length)]!
        const cut = rng.nextInt(other.length + 1)
        const out = new Uint8Array(at + other.length - cut)
        out.set(b.subarray(0, at)); out.set(other.subarray(cut), at)
        b = out
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

const cheapVerify = (): boolean => false
/** Hands the event loop back between batches so the worker stays responsive during long runs. */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('coordinator decoder fuzzing', () => {
  it.each(KINDS.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${RUNS} mutations of a %s`, async (_name, index) => {
    const rng = new SeededRng(`coordinator-fuzz-${index}`)
    const [, seed, decode] = KINDS[index]!
    expect(tryDecode(decode, seed)).toBe('ok')
    let rejected = 0
    for (let i = 0; i < RUNS; i++) {
      if (i % 2_000 === 0) await yieldToLoop()
      const input = mutate(rng, i % 4 === 0 ? corpus[rng.nextInt(corpus.length)]! : seed)
      if (tryDecode(decode, input) === 'rejected') rejected++
      if (index === 0) expect(validateAdvert(input, { nowMs: T0, verify: cheapVerify }).ok).toBe(false)
      if (index === 3) expect(validatePeerRecord(input, { verify: cheapVerify }).ok).toBe(false)
    }
    expect(rejected).toBeGreaterThan(RUNS / 3)
  })

  it(`throws only DecodeError for ${RUNS} random byte strings`, async () => {
    const rng = new SeededRng('coordinator-fuzz-random')
    for (let i = 0; i < RUNS; i++) {
      if (i % 2_000 === 0) await yieldToLoop()
      const input = rng.fill(new Uint8Array(rng.nextInt(300)))
      for (const [, , decode] of KINDS) tryDecode(decode, input)
    }
  })
})
