/**
 * Payload encodings of the CRDT document types (SPEC.md section 12.3): an OR-Set with its causal
 * context, an LWW map of registers with their hybrid-logical-clock stamps, a PN-counter. A state and
 * a delta share one encoding. Caps come from CRDT_LIMITS; decoding throws only DecodeError.
 */
import { DecodeError, decodeCbor, encodeCbor, fromHex, schema as s, type Schema } from '@saorsa-gossip/types'
import { CRDT_LIMITS } from '../limits.ts'
import { CausalContext, type Dot } from '../proto/causal-context.ts'
import { LwwMap, type LwwRegister, type LwwValue } from '../proto/lww.ts'
import { OrSet } from '../proto/or-set.ts'
import { PnCounter } from '../proto/pn-counter.ts'

const MAX_PAYLOAD = CRDT_LIMITS.maxSnapshotBytes
/** Data items in one CRDT payload: bounds cbor-x's heap (about 60 bytes per item) whatever the byte size. */
const MAX_ITEMS = CRDT_LIMITS.maxCrdtItems
const limits = { maxBytes: MAX_PAYLOAD, maxItems: MAX_ITEMS }
const origin: Schema<string> = s.withItemBound((v, path) => s.peerId()(v, path).toHex(), 1)
const key = s.text({ max: CRDT_LIMITS.maxKeyLength })

function pair<A, B>(a: Schema<A>, b: Schema<B>): Schema<[A, B]> {
  return s.withItemBound((value, path) => {
    if (!Array.isArray(value) || value.length !== 2) throw new DecodeError('expected array of 2', path)
    return [a(value[0], `${path}[0]`), b(value[1], `${path}[1]`)]
  }, 1 + s.itemBound(a) + s.itemBound(b))
}

const dot: Schema<Dot> = s.transform(pair(origin, s.uint({ min: 1 })), ([replica, counter]) => ({ replica, counter }))
const dotWire = (d: Dot) => [fromHex(d.replica), d.counter]

const orSetSchema = s.transform(
  s.object({
    e: s.array(pair(key, s.array(dot, { min: 1, max: CRDT_LIMITS.maxDotsPerElement })), { max: CRDT_LIMITS.maxCrdtEntries }),
    v: s.array(pair(origin, s.uint({ min: 1 })), { max: CRDT_LIMITS.maxWriters }),
    o: s.array(dot, { max: CRDT_LIMITS.maxCrdtEntries }),
  }),
  (w) => {
    if (new Set(w.e.map(([e]) => e)).size !== w.e.length) throw new DecodeError('element listed twice', 'e')
    return OrSet.fromParts(w.e, CausalContext.of(w.o, w.v))
  },
)

export function encodeOrSet(set: OrSet): Uint8Array {
  const ctx = set.context()
  return encodeCbor({
    e: set.entries().map(([e, dots]) => [e, dots.map(dotWire)]),
    v: [...ctx.contiguous()].map(([r, n]) => [fromHex(r), n]),
    o: ctx.cloud().map(dotWire),
  })
}

export const decodeOrSet = (bytes: Uint8Array): OrSet => decodeCbor(bytes, orSetSchema, limits)

const lwwValue: Schema<LwwValue> = s.withItemBound((v, path) => {
  if (v === null || typeof v === 'boolean') return v
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new DecodeError('non-finite number', path)
    return v
  }
  if (typeof v === 'string') return s.text({ max: CRDT_LIMITS.maxValueBytes })(v, path)
  return s.bytes({ max: CRDT_LIMITS.maxValueBytes })(v, path)
}, 1)

const register: Schema<[string, LwwRegister]> = s.withItemBound((v, path) => {
  if (!Array.isArray(v) || (v.length !== 4 && v.length !== 5)) throw new DecodeError('expected register [key, wall, logical, writer, value?]', path)
  const k = key(v[0], `${path}[0]`)
  const stamp = { wall: s.uint()(v[1], `${path}[1]`), logical: s.uint()(v[2], `${path}[2]`), replica: origin(v[3], `${path}[3]`) }
  return [k, v.length === 5 ? { stamp, value: lwwValue(v[4], `${path}[4]`) } : { stamp }]
}, 6)

const lwwSchema = s.transform(s.object({ r: s.array(register, { max: CRDT_LIMITS.maxCrdtEntries }) }), (w) => {
  if (new Set(w.r.map(([k]) => k)).size !== w.r.length) throw new DecodeError('key listed twice', 'r')
  return LwwMap.fromRegisters(w.r)
})

export function encodeLwwMap(map: LwwMap): Uint8Array {
  return encodeCbor({
    r: map.registers().map(([k, r]) => {
      const head = [k, r.stamp.wall, r.stamp.logical, fromHex(r.stamp.replica)]
      return r.value === undefined ? head : [...head, r.value]
    }),
  })
}

export const decodeLwwMap = (bytes: Uint8Array): LwwMap => decodeCbor(bytes, lwwSchema, limits)

const counterEntry: Schema<[string, { increments: number; decrements: number }]> = s.withItemBound((v, path) => {
  if (!Array.isArray(v) || v.length !== 3) throw new DecodeError('expected [writer, increments, decrements]', path)
  return [origin(v[0], `${path}[0]`), { increments: s.uint()(v[1], `${path}[1]`), decrements: s.uint()(v[2], `${path}[2]`) }]
}, 4)

const counterSchema = s.transform(s.object({ c: s.array(counterEntry, { max: CRDT_LIMITS.maxWriters }) }), (w) => {
  if (new Set(w.c.map(([r]) => r)).size !== w.c.length) throw new DecodeError('writer listed twice', 'c')
  return PnCounter.fromEntries(w.c)
})

export function encodePnCounter(counter: PnCounter): Uint8Array {
  return encodeCbor({ c: counter.entries().map(([r, e]) => [fromHex(r), e.increments, e.decrements]) })
}

export const decodePnCounter = (bytes: Uint8Array): PnCounter => decodeCbor(bytes, counterSchema, limits)
