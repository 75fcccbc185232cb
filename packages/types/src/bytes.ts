/**
 * Byte helpers used at every boundary: hex conversion, constant-time equality, argument checks
 * that name the argument (noble style: TypeError for the wrong kind, RangeError for a wrong length).
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]
  return out
}

/** Parses lower- or upper-case hex; throws `TypeError` naming `argName` on bad input. */
export function fromHex(hex: string, argName = 'hex'): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError(`${argName}: expected a string, got ${typeof hex}`)
  if (hex.length % 2 !== 0) throw new TypeError(`${argName}: hex string has odd length ${hex.length}`)
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError(`${argName}: not a hex string`)
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** Equality that does not stop at the first differing byte (for MACs, keys and ids alike). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** Lexicographic order, shorter first on a common prefix. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

/** Concatenates byte arrays into a fresh `Uint8Array`. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** A plain `Uint8Array` copy (never a Buffer, never a view that keeps a larger buffer alive). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length)
  out.set(bytes)
  return out
}

/** UTF-8 encoding of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** Throws unless `value` is a Uint8Array (of `length`, when given). */
export function assertBytes(value: unknown, argName: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${argName}: expected Uint8Array, got ${value === null ? 'null' : typeof value}`)
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${argName}: expected ${length} bytes, got ${value.length}`)
  }
}

/** Big-endian u64 of a non-negative safe integer. */
export function u64be(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`u64be: not a non-negative safe integer: ${value}`)
  const out = new Uint8Array(8)
  const view = new DataView(out.buffer)
  view.setUint32(0, Math.floor(value / 2 ** 32))
  view.setUint32(4, value >>> 0)
  return out
}
