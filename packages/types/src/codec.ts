/**
 * The shared CBOR codec (RFC 8949) over cbor-x in one fixed configuration (docs/architecture.md section 3):
 * plain byte strings (major type 2, never tag 64), maps with text keys, no records, no structure
 * sharing. Decoding checks the byte cap before parsing, then the accepted CBOR subset
 * (cbor-subset.ts: no tags, definite lengths, text keys), and runs a schema that copies byte fields
 * out of the input. Every failure is a `DecodeError`. cbor-x output is not canonical:
 * signed data travels as opaque bytes inside an envelope and is never re-encoded to verify.
 */
import { Decoder, Encoder } from 'cbor-x'
import { checkCborSubset, MAX_CBOR_DEPTH } from './cbor-subset.ts'
import { DecodeError } from './errors.ts'
import { itemBound, type Schema } from './schema.ts'

const encoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  mapsAsObjects: true,
  variableMapSize: true,
  pack: false,
})

const decoder = new Decoder({
  useRecords: false,
  mapsAsObjects: true,
  // An 8-byte integer head (0x1b, as canonical encoders write values of 2^32 and above) decodes as a
  // number. Values of 2^53 and above round to numbers that are still >= 2^53, so `uint()` rejects them.
  int64AsNumber: true,
} as ConstructorParameters<typeof Decoder>[0])

/**
 * Items allowed beyond the schema's bound in the structural walk (at most the bound itself, so small
 * messages stay tight), so a near miss (one unknown field) still gets the schema's precise error;
 * 16 extra items cost cbor-x about 2 KB at most.
 */
const ITEM_BOUND_SLACK = 16

function walkBound(schemaBound: number): number {
  return schemaBound + Math.min(ITEM_BOUND_SLACK, schemaBound)
}

/** Encodes a value built of plain objects, arrays, numbers, strings, booleans and Uint8Arrays. */
export function encodeCbor(value: unknown): Uint8Array {
  const out = encoder.encode(value)
  // cbor-x returns a view into a shared slab; hand out an exact, independent copy.
  return new Uint8Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength))
}

export interface DecodeOptions {
  /** Inputs longer than this are rejected before any parsing. */
  maxBytes: number
  /**
   * Most data items the input may hold (default: the schema's own bound, see `schema.itemBound`).
   * Checked during the structural walk, so a flood of tiny items never reaches cbor-x's allocator.
   */
  maxItems?: number
}

/**
 * Decodes `input` and checks it against `schema`. Never throws anything but `DecodeError`.
 */
export function decodeCbor<T>(input: Uint8Array, schema: Schema<T>, options: DecodeOptions): T {
  if (!(input instanceof Uint8Array)) throw new DecodeError('input is not a Uint8Array')
  if (input.length > options.maxBytes) throw new DecodeError(`input of ${input.length} bytes exceeds cap ${options.maxBytes}`)
  if (input.length === 0) throw new DecodeError('empty input')
  checkCborSubset(input, Math.min(options.maxItems ?? Infinity, walkBound(itemBound(schema))))
  let raw: unknown
  try {
    // A plain Uint8Array view keeps cbor-x from producing Buffers for byte strings.
    const view = new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    raw = decoder.decode(view)
  } catch (err) {
    throw new DecodeError(`malformed CBOR: ${err instanceof Error ? err.message : String(err)}`, '', { cause: err })
  }
  rejectExotic(raw, [])
  try {
    return schema(raw, '')
  } catch (err) {
    if (err instanceof DecodeError) throw err
    throw new DecodeError(`schema check failed: ${err instanceof Error ? err.message : String(err)}`, '', { cause: err })
  }
}


/**
 * Second line of defence after checkCborSubset: only plain objects, arrays, Uint8Arrays and scalars
 * reach a schema. `trail` holds the keys down to `value`; it becomes a path only on failure.
 */
function rejectExotic(value: unknown, trail: Array<string | number>): void {
  const fail = (message: string): never => {
    throw new DecodeError(message, trail.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join(''))
  }
  if (trail.length > MAX_CBOR_DEPTH) fail(`nesting deeper than ${MAX_CBOR_DEPTH}`)
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') fail('integer out of safe range')
    if (typeof value === 'number' && !Number.isFinite(value)) fail('non-finite number')
    return
  }
  if (value instanceof Uint8Array) {
    if (value.constructor !== Uint8Array && !isBuffer(value)) fail('typed array tag')
    return
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      trail.push(i)
      rejectExotic(value[i], trail)
      trail.pop()
    }
    return
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) fail(`unsupported CBOR item (${value.constructor?.name ?? 'tag'})`)
  for (const key in value) {
    trail.push(key)
    rejectExotic((value as Record<string, unknown>)[key], trail)
    trail.pop()
  }
}

function isBuffer(value: Uint8Array): boolean {
  const B = (globalThis as { Buffer?: { isBuffer(v: unknown): boolean } }).Buffer
  return B !== undefined && B.isBuffer(value)
}
