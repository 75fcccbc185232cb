/**
 * A tiny schema checker for decoded CBOR. Every decoder runs one after cbor-x, so only values of
 * the exact expected shape leave the codec: byte strings are copied out of the receive buffer
 * (docs/architecture.md section 3), every repeated field has a maximum count, unknown keys are
 * rejected, and every failure is a `DecodeError` naming the field path.
 */
import { ID_LENGTH, MessageId, PeerId, TopicId } from './ids.ts'
import { DecodeError } from './errors.ts'

/** Checks `value` at `path` and returns the typed result, or throws `DecodeError`. */
export type Schema<T> = (value: unknown, path: string) => T

/** The type a schema produces. */
export type Infer<S> = S extends Schema<infer T> ? T : never

/**
 * The most CBOR data items (map keys not counted) a value accepted by a schema can contain. The
 * builders below record it, so the codec's structural walk can refuse an input with more items
 * before cbor-x allocates an object for each (a 1-byte empty map costs cbor-x ~60 bytes of heap).
 * A hand-written schema has no bound (Infinity) unless wrapped with `withItemBound`.
 */
// Symbol.for: two copies of this package in one process (src and dist, or two installs) still agree.
const ITEM_BOUND = Symbol.for('saorsa-gossip.schema.itemBound')

export function itemBound(schema: Schema<unknown> | OptionalSchema<unknown>): number {
  const target = 'optional' in schema ? schema.schema : schema
  const bound = (target as { [ITEM_BOUND]?: number })[ITEM_BOUND]
  return typeof bound === 'number' ? bound : Infinity
}

/** Records the item bound of a schema (for hand-written schemas whose shape is known). */
export function withItemBound<T>(schema: Schema<T>, items: number): Schema<T> {
  ;(schema as { [ITEM_BOUND]?: number })[ITEM_BOUND] = items
  return schema
}

const typeName = (value: unknown): string =>
  value === null ? 'null' : value instanceof Uint8Array ? 'bytes' : Array.isArray(value) ? 'array' : typeof value

export interface UintOptions { max?: number; min?: number }

/** A non-negative safe integer within [min, max]. cbor-x yields bigint above 2^53: rejected. */
export function uint(options: UintOptions = {}): Schema<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = options
  return withItemBound((value, path) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new DecodeError(`expected integer, got ${typeName(value)}`, path)
    if (value < min || value > max) throw new DecodeError(`integer ${value} outside [${min}, ${max}]`, path)
    return value
  }, 1)
}

export interface BytesOptions { length?: number; max?: number; min?: number }

/** A byte string, copied into a fresh plain Uint8Array. */
export function bytes(options: BytesOptions): Schema<Uint8Array> {
  const { length, min = 0 } = options
  const max = length ?? options.max
  if (max === undefined) throw new TypeError('bytes(): a length or max is required (every field is capped)')
  return withItemBound((value, path) => {
    if (!(value instanceof Uint8Array)) throw new DecodeError(`expected bytes, got ${typeName(value)}`, path)
    if (length !== undefined && value.length !== length) throw new DecodeError(`expected ${length} bytes, got ${value.length}`, path)
    if (value.length > max || value.length < min) throw new DecodeError(`byte length ${value.length} outside [${min}, ${max}]`, path)
    const copy = new Uint8Array(value.length)
    copy.set(value)
    return copy
  }, 1)
}

/** A UTF-8 text string of at most `max` characters. */
export function text(options: { max: number }): Schema<string> {
  return withItemBound((value, path) => {
    if (typeof value !== 'string') throw new DecodeError(`expected text, got ${typeName(value)}`, path)
    if (value.length > options.max) throw new DecodeError(`text length ${value.length} over ${options.max}`, path)
    return value
  }, 1)
}

export function bool(): Schema<boolean> {
  return withItemBound((value, path) => {
    if (typeof value !== 'boolean') throw new DecodeError(`expected boolean, got ${typeName(value)}`, path)
    return value
  }, 1)
}

/** Exactly one of the given constants. */
export function literal<const T extends string | number>(...allowed: T[]): Schema<T> {
  return withItemBound((value, path) => {
    if (!allowed.includes(value as T)) throw new DecodeError(`unexpected value ${JSON.stringify(value)}`, path)
    return value as T
  }, 1)
}

/** An array of at most `max` items, each checked by `item`. */
export function array<T>(item: Schema<T>, options: { max: number; min?: number }): Schema<T[]> {
  const { max, min = 0 } = options
  return withItemBound((value, path) => {
    if (!Array.isArray(value)) throw new DecodeError(`expected array, got ${typeName(value)}`, path)
    if (value.length > max || value.length < min) throw new DecodeError(`array length ${value.length} outside [${min}, ${max}]`, path)
    return value.map((v, i) => item(v, `${path}[${i}]`))
  }, 1 + max * itemBound(item))
}

/** Marks a field of `object()` as optional: absent stays absent. */
export interface OptionalSchema<T> { optional: true; schema: Schema<T> }
export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return { optional: true, schema }
}

type Fields = Record<string, Schema<unknown> | OptionalSchema<unknown>>
type ObjectOf<F extends Fields> = {
  [K in keyof F as F[K] extends OptionalSchema<unknown> ? never : K]: F[K] extends Schema<infer T> ? T : never
} & {
  [K in keyof F as F[K] extends OptionalSchema<unknown> ? K : never]?: F[K] extends OptionalSchema<infer T> ? T : never
}

/** A map with exactly these text keys (optional ones may be absent); unknown keys are rejected. */
export function object<F extends Fields>(fields: F): Schema<ObjectOf<F>> {
  const keys = Object.keys(fields)
  return withItemBound((value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array
      || Object.getPrototypeOf(value) !== Object.prototype) {
      throw new DecodeError(`expected map, got ${typeName(value)}`, path)
    }
    const input = value as Record<string, unknown>
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(fields, key)) throw new DecodeError(`unknown field '${key}'`, path)
    }
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      const field = fields[key]!
      const sub = path === '' ? key : `${path}.${key}`
      if (!Object.hasOwn(input, key)) {
        if ('optional' in field) continue
        throw new DecodeError('missing field', sub)
      }
      out[key] = 'optional' in field ? field.schema(input[key], sub) : field(input[key], sub)
    }
    return out as ObjectOf<F>
  }, 1 + keys.reduce((sum, key) => sum + itemBound(fields[key]!), 0))
}

/** A tagged union: the map's `tagKey` field selects the variant schema. */
export function variant<K extends string, V extends Record<string, Schema<unknown>>>(
  tagKey: K,
  variants: V,
): Schema<{ [T in keyof V]: V[T] extends Schema<infer R> ? R : never }[keyof V]> {
  return withItemBound((value, path) => {
    const tag = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[tagKey] : undefined
    if (typeof tag !== 'string' && typeof tag !== 'number') throw new DecodeError(`missing '${tagKey}' tag`, path)
    const schema = Object.hasOwn(variants, String(tag)) ? variants[String(tag)] : undefined
    if (schema === undefined) throw new DecodeError(`unknown ${tagKey} ${JSON.stringify(tag)}`, path)
    return schema(value, path) as never
  }, Math.max(1, ...Object.values(variants).map((v) => itemBound(v))))
}

/** Applies `map` to the checked value, turning a thrown error into a `DecodeError` at `path`. */
export function transform<A, B>(schema: Schema<A>, map: (value: A) => B): Schema<B> {
  return withItemBound((value, path) => {
    const checked = schema(value, path)
    try {
      return map(checked)
    } catch (err) {
      if (err instanceof DecodeError) throw err
      throw new DecodeError(err instanceof Error ? err.message : String(err), path, { cause: err })
    }
  }, itemBound(schema))
}

/** A 32-byte id; `fromBytes` makes the one copy out of the input. */
function id32<T>(fromBytes: (b: Uint8Array) => T): Schema<T> {
  return withItemBound((value, path) => {
    if (!(value instanceof Uint8Array)) throw new DecodeError(`expected bytes, got ${typeName(value)}`, path)
    if (value.length !== ID_LENGTH) throw new DecodeError(`expected ${ID_LENGTH} bytes, got ${value.length}`, path)
    return fromBytes(value)
  }, 1)
}

export const peerId = (): Schema<PeerId> => id32((b) => PeerId.fromBytes(b))
export const topicId = (): Schema<TopicId> => id32((b) => TopicId.fromBytes(b))
export const messageId = (): Schema<MessageId> => id32((b) => MessageId.fromBytes(b))
