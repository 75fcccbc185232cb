/**
 * Mutation fuzzing of every decoder of this package with the shared seeded loop of
 * `@saorsa-gossip/types/testing`: bit flips, interesting bytes, truncations, insertions, deletions,
 * splices between encodings of different kinds, and random bytes. Only DecodeError may ever come out
 * of a decoder; validateAdvert refuses every mutated advert without throwing, and validatePeerRecord
 * (a record has no signature of its own) either refuses one or returns a record that encodes back to it. FUZZ_RUNS sets the number of inputs per kind (default 20,000; 6 kinds = 120,000 inputs).
 */
import { describe, expect, it } from 'vitest'
import { SeededRng, encodeCbor } from '@saorsa-gossip/types'
import { fuzzDecoder, fuzzRandomBytes, fuzzRuns } from '@saorsa-gossip/types/testing'
import { decodeAdvert, signAdvert } from '../src/advert.ts'
import { decodeAdvertCacheFile } from '../src/advert-store.ts'
import { validateAdvert } from '../src/advert-validate.ts'
import { decodeFoafMessage, encodeFoafMessage } from '../src/foaf-codec.ts'
import { decodePeerRecord, encodePeerRecord, validatePeerRecord } from '../src/peer-record.ts'
import { COORDINATOR_LAN } from '../src/proto/config.ts'
import { FoafCore, type FoafOutput } from '../src/proto/foaf.ts'
import { HOUR, T0, fakeKey, fakeSign, fakeVerify, identity } from './helpers.ts'

const RUNS = fuzzRuns(20_000)

const advert = signAdvert(identity(1), {
  roles: ['coordinator', 'relay'], addresses: ['tcp://203.0.113.7:7000', 'tcp://[2001:db8::1]:7000'], nat: 'eim',
  notBeforeMs: T0, notAfterMs: T0 + HOUR, sequence: 9,
}).bytes
const record = encodePeerRecord({ addresses: ['tcp://10.0.0.1:7000', 'tcp://[2001:db8::1]:7000'], counter: 1_767_225_600_000 })

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

const cheapVerify = (): boolean => false
describe('coordinator decoder fuzzing', () => {
  it.each(KINDS.map(([name], i) => [name, i] as const))(`throws only DecodeError for ${RUNS} mutations of a %s`, async (name, index) => {
    const [, seed, decode] = KINDS[index]!
    // The validator of the kind takes the same inputs without throwing; an advert's must refuse each (no signature verifies).
    const check = name === 'advert' ? (input: Uint8Array) => expect(validateAdvert(input, { nowMs: T0, verify: cheapVerify }).ok).toBe(false)
      : name === 'peer record' ? (input: Uint8Array) => {
        const verdict = validatePeerRecord(input, { origin: identity(1).peerId })
        if (verdict.ok) expect(decodePeerRecord(encodePeerRecord(verdict.record))).toEqual({ addresses: verdict.record.addresses, counter: verdict.record.counter })
      }
      : undefined
    const { rejected } = await fuzzDecoder({
      decode, seeds: [seed], corpus, runs: RUNS, seed: `coordinator-fuzz-${index}`, ...(check === undefined ? {} : { check }),
    })
    expect(rejected).toBeGreaterThan(RUNS / 3)
  })

  it(`throws only DecodeError for ${RUNS} random byte strings`, async () => {
    await fuzzRandomBytes({ decoders: KINDS.map(([, , decode]) => decode), runs: RUNS, seed: 'coordinator-fuzz-random' })
  })
})
