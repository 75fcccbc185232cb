/**
 * Document types over the delta-state CRDTs of `../proto`: a set (add-wins OR-Set), a map of
 * last-writer-wins registers, a single register and a PN-counter. Each mutator applies its delta
 * locally and hands the encoded delta to the sync core; `merge` joins deltas into one payload.
 */
import { InvalidParametersError } from '@saorsa-gossip/types'
import { CRDT_LIMITS } from '../limits.ts'
import { Hlc } from '../proto/hlc.ts'
import { LwwMap, type LwwValue } from '../proto/lww.ts'
import { OrSet } from '../proto/or-set.ts'
import { PnCounter } from '../proto/pn-counter.ts'
import { DocState, guarded } from './doc-state.ts'
import { decodeLwwMap, decodeOrSet, decodePnCounter, encodeLwwMap, encodeOrSet, encodePnCounter } from './payload-codec.ts'

function checkKey(name: string, key: unknown): string {
  if (typeof key !== 'string' || key.length > CRDT_LIMITS.maxKeyLength) {
    throw new InvalidParametersError(`${name} must be a string of at most ${CRDT_LIMITS.maxKeyLength} characters`)
  }
  return key
}

export class SetDoc extends DocState {
  readonly type = 'set'
  readonly #self: string
  readonly #set = new OrSet()

  constructor(self: string) {
    super()
    this.#self = self
  }

  has(element: string): boolean { return this.#set.has(element) }
  values(): string[] { return this.#set.values() }

  add(element: string): void {
    this.local(encodeOrSet(this.#set.add(this.#self, checkKey('element', element))))
  }

  remove(element: string): void {
    if (!this.#set.has(checkKey('element', element))) return
    this.local(encodeOrSet(this.#set.remove(element)))
  }

  apply(payload: Uint8Array): boolean {
    const ok = guarded(() => this.#set.merge(decodeOrSet(payload)))
    if (ok) this.onChange(false)
    return ok
  }

  merge(payloads: readonly Uint8Array[]): Uint8Array {
    const joined = new OrSet()
    for (const p of payloads) joined.merge(decodeOrSet(p))
    return encodeOrSet(joined)
  }

  snapshot(): Uint8Array { return encodeOrSet(this.#set) }
}

function checkValue(value: unknown): LwwValue {
  const ok = value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
    || ((typeof value === 'string' || value instanceof Uint8Array) && value.length <= CRDT_LIMITS.maxValueBytes)
  if (!ok) throw new InvalidParametersError(`value must be null, a boolean, a finite number, or a string or bytes of at most ${CRDT_LIMITS.maxValueBytes}`)
  return value as LwwValue
}

export class MapDoc extends DocState {
  readonly type: 'map' | 'register' = 'map'
  readonly #map = new LwwMap()
  readonly #hlc: Hlc
  readonly #wallClock: () => number

  /** `wallClock` gives milliseconds since the epoch for the hybrid logical clock. */
  constructor(self: string, wallClock: () => number) {
    super()
    this.#hlc = new Hlc(self)
    this.#wallClock = wallClock
  }

  get(key: string): LwwValue | undefined { return this.#map.get(key) }
  has(key: string): boolean { return this.#map.has(key) }
  keys(): string[] { return this.#map.keys() }

  set(key: string, value: LwwValue): void {
    const k = checkKey('key', key)
    this.local(encodeLwwMap(this.#map.set(k, this.#hlc.now(this.#wallClock()), checkValue(value))))
  }

  delete(key: string): void {
    if (!this.#map.has(checkKey('key', key))) return
    this.local(encodeLwwMap(this.#map.set(key, this.#hlc.now(this.#wallClock()), undefined)))
  }

  apply(payload: Uint8Array): boolean {
    const ok = guarded(() => {
      const delta = decodeLwwMap(payload)
      for (const [, r] of delta.registers()) this.#hlc.observe(r.stamp)
      this.#map.merge(delta)
    })
    if (ok) this.onChange(false)
    return ok
  }

  merge(payloads: readonly Uint8Array[]): Uint8Array {
    const joined = new LwwMap()
    for (const p of payloads) joined.merge(decodeLwwMap(p))
    return encodeLwwMap(joined)
  }

  snapshot(): Uint8Array { return encodeLwwMap(this.#map) }
}

/** One last-writer-wins register: a map with the single key "". */
export class RegisterDoc extends MapDoc {
  override readonly type = 'register'
  value(): LwwValue | undefined { return this.get('') }
  assign(value: LwwValue): void { this.set('', value) }
}

export class CounterDoc extends DocState {
  readonly type = 'counter'
  readonly #self: string
  readonly #counter = new PnCounter()

  constructor(self: string) {
    super()
    this.#self = self
  }

  get value(): number { return this.#counter.value }

  /** Adds `by` (negative to decrement). */
  add(by: number): void {
    if (!Number.isSafeInteger(by)) throw new InvalidParametersError(`by must be a safe integer, got ${by}`)
    this.local(encodePnCounter(this.#counter.add(this.#self, by)))
  }

  apply(payload: Uint8Array): boolean {
    const ok = guarded(() => this.#counter.merge(decodePnCounter(payload)))
    if (ok) this.onChange(false)
    return ok
  }

  merge(payloads: readonly Uint8Array[]): Uint8Array {
    const joined = new PnCounter()
    for (const p of payloads) joined.merge(decodePnCounter(p))
    return encodePnCounter(joined)
  }

  snapshot(): Uint8Array { return encodePnCounter(this.#counter) }
}
