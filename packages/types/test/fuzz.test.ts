/**
 * Mutation fuzzing of every decoder in this package: bit flips, truncations, insertions of
 * interesting bytes, splices between valid encodings, random bytes and oversized inputs. The only
 * error allowed out of a decoder is DecodeError; no input may take 50 ms or more; accepted inputs may
 * not decode to more byte-field memory than they occupy on the wire. FUZZ_RUNS raises the count.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCbor, encodeCbor } from '../src/codec.ts'
import { decodeSignedEnvelope, encodeSignedEnvelope } from '../src/envelope.ts'
import { DecodeError } from '../src/errors.ts'
import { HEADER_VERSION, MAX_HEADER_BYTES, decodeMessageHeader, encodeMessageHeader, type MessageHeader } from '../src/header.ts'
import { MessageId, PeerId, TopicId, payloadHash } from '../src/ids.ts'
import { SeededRng } from '../src/rng.ts'
import * as s from '../src/schema.ts'

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100_000)
const MAX_MS = 50
/** Inputs between two turns of the event loop, so a long run never holds the test worker (docs/architecture.md section 9). */
const TURN_EVERY = 2_000

/** A pubsub-like control schema exercising every combinator. */
const controlSchema = s.variant('k', {
  data: s.object({
    k: s.literal('data'), id: s.messageId(), topic: s.topicId(), hops: s.uint({ max: 255 }),
    payload: s.bytes({ max: 1024 }), tags: s.optional(s.array(s.text({ max: 32 }), { max: 8 })), urgent: s.optional(s.bool()),
  }),
  ihave: s.object({ k: s.literal('ihave'), ids: s.array(s.messageId(), { max: 64 }) }),
  ping: s.object({ k: s.literal('ping'), nonce: s.uint(), from: s.peerId() }),
})
const CONTROL_CAP = 4096

const rng = new SeededRng('types-fuzz-corpus')
const id = (): Uint8Array => rng.fill(new Uint8Array(32))
const header = (seq: number, ts: number): MessageHeader => ({
  version: HEADER_VERSION, topic: TopicId.fromBytes(id()), origin: PeerId.fromBytes(id()), seq, timestampMs: ts,
  payloadLength: 12, payloadHash: payloadHash(id()),
})

const controlCorpus = [
  encodeCbor({ k: 'data', id: id(), topic: id(), hops: 3, payload: rng.fill(new Uint8Array(200)), tags: ['a', 'bb'], urgent: true }),
  encodeCbor({ k: 'data', id: id(), topic: id(), hops: 0, payload: new Uint8Array(0) }),
  encodeCbor({ k: 'ihave', ids: Array.from({ length: 10 }, id) }),
  encodeCbor({ k: 'ping', nonce: 2 ** 40, from: id() }),
]
const headerCorpus = [encodeMessageHeader(header(1, 1_700_000_000_000)), encodeMessageHeader(header(2 ** 33, 5))]
const envelopeCorpus = [
  encodeSignedEnvelope({ body: headerCorpus[0]!, sig: rng.fill(new Uint8Array(3309)) }),
  encodeSignedEnvelope({ body: controlCorpus[2]!, sig: rng.fill(new Uint8Array(64)) }),
]

/** Bytes that matter to a CBOR parser: heads of every width, break, tags, records, floats, simple values. */
const INTERESTING = [0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x3b, 0x40, 0x5a, 0x5b, 0x5f, 0x60, 0x7b, 0x7f,
  0x80, 0x9a, 0x9f, 0xa0, 0xba, 0xbf, 0xc0, 0xc1, 0xc2, 0xd8, 0xd9, 0xdf, 0xe0, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  0xfb, 0xff]

const join = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

type Op = [kind: number, a: number, b: number, c: number]
const opArb: fc.Arbitrary<Op> = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat(), fc.nat(), fc.nat())

function mutate(base: Uint8Array, ops: Op[], corpus: Uint8Array[]): Uint8Array {
  let out: Uint8Array = base.slice()
  for (const [kind, a, b, c] of ops) {
    const at = out.length === 0 ? 0 : a % out.length
    switch (kind) {
      case 0: // bit flip
        if (out.length > 0) out[at]! ^= 1 << (b % 8)
        break
      case 1: // truncate
        out = out.subarray(0, at)
        break
      case 2: { // insert interesting bytes
        const ins = Uint8Array.from({ length: 1 + (c % 4) }, (_, i) => INTERESTING[(b + i * 7) % INTERESTING.length]!)
        out = join(out.subarray(0, at), ins, out.subarray(at))
        break
      }
      case 3: { // splice a chunk of another valid encoding
        const other = corpus[b % corpus.length]!
        const from = c % other.length
        const chunk = other.subarray(from, from + 1 + (c % 64))
        out = join(out.subarray(0, at), chunk, out.subarray(at + (c % 16)))
        break
      }
      case 4: // overwrite with an interesting byte
        if (out.length > 0) out[at] = INTERESTING[b % INTERESTING.length]!
        break
      default: { // duplicate a chunk in place
        const chunk = out.slice(at, at + 1 + (b % 48))
        out = join(out.subarray(0, at), chunk, out.subarray(at))
      }
    }
  }
  return out
}

function inputs(corpus: Uint8Array[], cap: number): fc.Arbitrary<Uint8Array> {
  const mutated = fc.tuple(fc.nat({ max: corpus.length - 1 }), fc.array(opArb, { minLength: 1, maxLength: 4 }))
    .map(([i, ops]) => mutate(corpus[i]!, ops, corpus))
  const random = fc.uint8Array({ maxLength: 300 })
  const oversized = fc.tuple(fc.nat({ max: corpus.length - 1 }), fc.integer({ min: 1, max: 64 }))
    .map(([i, extra]) => {
      const out = new Uint8Array(cap + extra)
      out.set(corpus[i]!.subarray(0, Math.min(corpus[i]!.length, out.length)))
      return out
    })
  return fc.oneof({ arbitrary: mutated, weight: 14 }, { arbitrary: random, weight: 5 }, { arbitrary: oversized, weight: 1 })
}

/** Total bytes held by decoded byte fields and ids, walking the decoded value. */
function decodedBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.length
  if (value instanceof PeerId || value instanceof TopicId || value instanceof MessageId) return value.bytes.length
  if (Array.isArray(value)) return value.reduce((acc: number, v) => acc + decodedBytes(v), 0)
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((acc: number, v) => acc + decodedBytes(v), 0)
  return 0
}

interface Tally { accepted: number; rejected: number; slowestMs: number }

/** Wall time of one decode: over budget only if it stays over budget when repeated (scheduler noise and GC pauses do not). */
function decodeMs(decode: (input: Uint8Array) => unknown, input: Uint8Array, first: number): number {
  let best = first
  for (let i = 0; i < 3 && best >= MAX_MS; i++) {
    const started = performance.now()
    try {
      decode(input)
    } catch {
      // Already classified on the first run.
    }
    best = Math.min(best, performance.now() - started)
  }
  return best
}

async function fuzz(decode: (input: Uint8Array) => unknown, corpus: Uint8Array[], cap: number, seed: number, runs = RUNS): Promise<Tally> {
  const tally: Tally = { accepted: 0, rejected: 0, slowestMs: 0 }
  let count = 0
  await fc.assert(fc.asyncProperty(inputs(corpus, cap), async (input) => {
    if (++count % TURN_EVERY === 0) await new Promise((resolve) => setImmediate(resolve))
    const started = performance.now()
    let result: unknown
    try {
      result = decode(input)
    } catch (err) {
      if (!(err instanceof DecodeError)) throw new Error(`non-DecodeError for ${Buffer.from(input).toString('hex')}`, { cause: err })
      tally.rejected++
    }
    const elapsed = decodeMs(decode, input, performance.now() - started)
    tally.slowestMs = Math.max(tally.slowestMs, elapsed)
    if (elapsed >= MAX_MS) throw new Error(`decode took ${elapsed.toFixed(1)} ms for ${Buffer.from(input).toString('hex')}`)
    if (result !== undefined) {
      tally.accepted++
      if (decodedBytes(result) > input.length) throw new Error('decoded byte fields exceed the input length')
    }
  }), { numRuns: runs, seed })
  return tally
}

describe('decoder fuzzing', () => {
  it(`decodeCbor with a control-message schema throws only DecodeError over ${RUNS} mutated inputs`, async () => {
    const tally = await fuzz((b) => decodeCbor(b, controlSchema, { maxBytes: CONTROL_CAP }), controlCorpus, CONTROL_CAP, 11)
    expect(tally.rejected).toBeGreaterThan(RUNS / 2)
    expect(tally.accepted).toBeGreaterThan(0)
  })

  it(`decodeMessageHeader throws only DecodeError over ${RUNS} mutated inputs`, async () => {
    const tally = await fuzz(decodeMessageHeader, headerCorpus, MAX_HEADER_BYTES, 12)
    expect(tally.rejected).toBeGreaterThan(RUNS / 2)
    expect(tally.accepted).toBeGreaterThan(0)
  })

  it(`decodeSignedEnvelope throws only DecodeError over ${RUNS} mutated inputs`, async () => {
    const tally = await fuzz((b) => decodeSignedEnvelope(b, { maxBodyBytes: 1024 }), envelopeCorpus, 1024 + 3309 + 32, 13)
    expect(tally.rejected).toBeGreaterThan(RUNS / 2)
    expect(tally.accepted).toBeGreaterThan(0)
  })

  it(`the subset check leaves nothing for cbor-x to reject over ${RUNS} mutated inputs`, async () => {
    // Anything that passes checkCborSubset must parse; a "malformed CBOR" error would mean a gap in the subset rules.
    const anything = (v: unknown): unknown => v
    const corpus = [...controlCorpus, ...headerCorpus, ...envelopeCorpus]
    await fuzz((b) => {
      try {
        return decodeCbor(b, anything, { maxBytes: 8192 })
      } catch (err) {
        if (err instanceof DecodeError && err.message.startsWith('malformed CBOR')) throw new Error(err.message, { cause: err })
        throw err
      }
    }, corpus, 8192, 14)
  })
})
