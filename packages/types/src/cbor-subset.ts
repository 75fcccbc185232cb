/**
 * Structural check of the CBOR subset this protocol accepts (RFC 8949 sections 3 and 5.3), run
 * before cbor-x sees the bytes. cbor-x is lenient: a lone break byte decodes to `{}`, integer map
 * keys turn into text, record tags reach internal code paths. Walking the item heads first makes the
 * accepted language exact and lets no length or count exceed the bytes actually present.
 */
import { DecodeError } from './errors.ts'

/** Deepest accepted nesting of arrays and maps (the top-level item is depth 0). */
export const MAX_CBOR_DEPTH = 16

const MAJOR_UINT = 0
const MAJOR_NINT = 1
const MAJOR_BYTES = 2
const MAJOR_TEXT = 3
const MAJOR_ARRAY = 4
const MAJOR_MAP = 5
const MAJOR_TAG = 6

class Walker {
  pos = 0
  /** Data items walked so far (map keys not counted), against the caller's bound. */
  items = 0
  constructor(readonly input: Uint8Array, readonly maxItems: number) {}

  /** Counts `n` more items; refuses the input as soon as the bound would be passed. */
  count(n: number): void {
    this.items += n
    if (this.items > this.maxItems) this.fail(`more than ${this.maxItems} data items`)
  }

  fail(message: string): never {
    throw new DecodeError(`${message} at byte ${this.pos}`)
  }

  /** Major type, additional information and argument of the head last read. */
  major = 0
  info = 0
  arg = 0

  /** Reads an item head into `major`, `info` and `arg` (floats: `arg` is 0 and `pos` stays on the value). */
  head(): void {
    const input = this.input
    if (this.pos >= input.length) this.fail('unexpected end of input')
    const initial = input[this.pos++]!
    const major = initial >> 5
    const info = initial & 0x1f
    this.major = major
    this.info = info
    if (info < 24) {
      this.arg = info
      return
    }
    if (info > 27) {
      if (info === 31) this.fail(major === 7 ? 'stray break byte' : 'indefinite-length item')
      this.fail(`reserved additional information ${info}`)
    }
    const width = 1 << (info - 24)
    if (this.pos + width > input.length) this.fail('unexpected end of input')
    if (major === 7) {
      this.arg = 0
      return
    }
    let value = 0
    for (let i = 0; i < width; i++) value = value * 256 + input[this.pos + i]!
    this.arg = value
    this.pos += width
  }

  item(depth: number): void {
    const start = this.pos
    this.head()
    this.count(1)
    const { major, info, arg } = this
    const remaining = this.input.length - this.pos
    switch (major) {
      case MAJOR_UINT:
        // Beyond 2^53 - 1 a JS number cannot hold the value exactly.
        if (arg > Number.MAX_SAFE_INTEGER) this.failAt(start, 'integer above 2^53 - 1 not accepted')
        return
      case MAJOR_NINT:
        // cbor-x mis-decodes 8-byte negative heads as numbers (32-bit truncation); nothing here needs them.
        if (info === 27) this.failAt(start, 'negative integer with an 8-byte head not accepted')
        return
      case MAJOR_BYTES:
        if (arg > remaining) this.fail('byte string longer than the input')
        this.pos += arg
        return
      case MAJOR_TEXT:
        if (arg > remaining) this.fail('text string longer than the input')
        if (!validUtf8(this.input, this.pos, this.pos + arg)) this.fail('text string is not valid UTF-8')
        this.pos += arg
        return
      case MAJOR_ARRAY:
        if (depth >= MAX_CBOR_DEPTH) this.fail(`nesting deeper than ${MAX_CBOR_DEPTH}`)
        if (arg > remaining) this.fail(`array of ${arg} items longer than the input`)
        // Fail on the head, before walking items that could never all be accepted.
        if (this.items + arg > this.maxItems) this.fail(`array of ${arg} items exceeds the ${this.maxItems}-item bound`)
        for (let i = 0; i < arg; i++) this.item(depth + 1)
        return
      case MAJOR_MAP:
        if (depth >= MAX_CBOR_DEPTH) this.fail(`nesting deeper than ${MAX_CBOR_DEPTH}`)
        if (arg * 2 > remaining) this.fail(`map of ${arg} entries longer than the input`)
        if (this.items + arg > this.maxItems) this.fail(`map of ${arg} entries exceeds the ${this.maxItems}-item bound`)
        this.map(arg, depth)
        return
      case MAJOR_TAG:
        this.pos = start
        this.fail(`tag ${arg} not accepted`)
      default:
        this.simple(start, info)
    }
  }

  map(entries: number, depth: number): void {
    // Key positions for the duplicate check: byte comparison for small maps, a Set beyond that.
    const starts: number[] = []
    const ends: number[] = []
    const seen = entries > SMALL_MAP ? new Set<string>() : undefined
    for (let i = 0; i < entries; i++) {
      const keyStart = this.pos
      this.head()
      if (this.major !== MAJOR_TEXT) this.failAt(keyStart, 'map key is not a text string')
      const from = this.pos
      const to = from + this.arg
      if (to > this.input.length) this.fail('text string longer than the input')
      if (!validUtf8(this.input, from, to)) this.fail('text string is not valid UTF-8')
      if (to - from === 9 && latin1(this.input, from, to) === '__proto__') this.fail('map key __proto__ not accepted')
      if (seen !== undefined) {
        const key = latin1(this.input, from, to)
        if (seen.has(key)) this.fail('duplicate map key')
        seen.add(key)
      } else {
        for (let k = 0; k < starts.length; k++) {
          if (sameBytes(this.input, starts[k]!, ends[k]!, from, to)) this.fail('duplicate map key')
        }
        starts.push(from)
        ends.push(to)
      }
      this.pos = to
      this.item(depth + 1)
    }
  }

  /** Major type 7: false, true, null and finite floats only. */
  simple(start: number, info: number): void {
    const input = this.input
    switch (info) {
      case 20: // false
      case 21: // true
      case 22: // null
        return
      case 25: // float16: exponent bits all ones means Infinity or NaN
        if ((input[this.pos]! & 0x7c) === 0x7c) this.failAt(start, 'non-finite float')
        this.pos += 2
        return
      case 26:
        if ((input[this.pos]! & 0x7f) === 0x7f && (input[this.pos + 1]! & 0x80) === 0x80) this.failAt(start, 'non-finite float')
        this.pos += 4
        return
      case 27:
        if ((input[this.pos]! & 0x7f) === 0x7f && (input[this.pos + 1]! & 0xf0) === 0xf0) this.failAt(start, 'non-finite float')
        this.pos += 8
        return
      default:
        this.failAt(start, info === 23 ? 'undefined not accepted' : 'simple value not accepted')
    }
  }

  failAt(position: number, message: string): never {
    this.pos = position
    this.fail(message)
  }
}

const SMALL_MAP = 16

function sameBytes(input: Uint8Array, aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false
  for (let i = 0; i < aTo - aFrom; i++) if (input[aFrom + i] !== input[bFrom + i]) return false
  return true
}

function latin1(input: Uint8Array, from: number, to: number): string {
  let out = ''
  for (let i = from; i < to; i++) out += String.fromCharCode(input[i]!)
  return out
}

/** Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
function validUtf8(input: Uint8Array, from: number, to: number): boolean {
  let i = from
  while (i < to) {
    const b = input[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let min: number
    let cp: number
    if (b >= 0xc2 && b <= 0xdf) [need, min, cp] = [1, 0x80, b & 0x1f]
    else if (b >= 0xe0 && b <= 0xef) [need, min, cp] = [2, 0x800, b & 0x0f]
    else if (b >= 0xf0 && b <= 0xf4) [need, min, cp] = [3, 0x10000, b & 0x07]
    else return false
    if (i + need >= to) return false
    for (let k = 1; k <= need; k++) {
      const c = input[i + k]!
      if ((c & 0xc0) !== 0x80) return false
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false
    i += need + 1
  }
  return true
}

/**
 * Throws `DecodeError` unless `input` is exactly one well-formed item of the accepted subset:
 * definite lengths, no tags, text map keys without duplicates, only false/true/null and finite
 * floats among simple values, nesting at most `MAX_CBOR_DEPTH`, at most `maxItems` data items
 * (map keys not counted), no trailing bytes.
 */
export function checkCborSubset(input: Uint8Array, maxItems = Infinity): void {
  const walker = new Walker(input, maxItems)
  walker.item(0)
  if (walker.pos !== input.length) walker.fail(`${input.length - walker.pos} trailing bytes`)
}
