/**
 * Protocol names (SPEC.md section 5.5): short ASCII strings that route messages, direct requests and
 * streams to their handler inside a stream class, so any number of protocols share a class and its
 * priority. Names are validated where they enter (handle, send, open) and compared as exact bytes.
 */
import { InvalidParametersError } from '@saorsa-gossip/types'

/** A protocol carried as whole messages on a prioritised stream class. */
export interface MessageProtocol {
  readonly name: string
  readonly streamClass: 'mship' | 'pubsub'
}

/** A protocol carried as a chunked stream on the bulk class; the receiver accepts at most `maxBytes`. */
export interface StreamProtocol {
  readonly name: string
  readonly maxBytes: number
}

/** One length byte on the wire; 64 bytes fit `/saorsa/<layer>/<version>` with room to spare. */
export const MAX_PROTOCOL_NAME_BYTES = 64

/** Printable ASCII without space: names are identifiers, never text shown to users. */
function isNameByte(code: number): boolean {
  return code >= 0x21 && code <= 0x7e
}

/** Throws InvalidParametersError naming `argument` unless `name` is 1-64 printable ASCII bytes starting with '/'. */
export function validateProtocolName(name: unknown, argument: string): string {
  if (typeof name !== 'string') throw new InvalidParametersError(`${argument}: protocol name must be a string`)
  if (name.length === 0 || name.length > MAX_PROTOCOL_NAME_BYTES) {
    throw new InvalidParametersError(`${argument}: protocol name must be 1 to ${MAX_PROTOCOL_NAME_BYTES} bytes, got ${name.length}`)
  }
  if (name.charCodeAt(0) !== 0x2f) throw new InvalidParametersError(`${argument}: protocol name "${name}" must start with '/'`)
  for (let i = 0; i < name.length; i++) {
    if (!isNameByte(name.charCodeAt(i))) throw new InvalidParametersError(`${argument}: protocol name must be printable ASCII without spaces`)
  }
  return name
}

export function validateMessageProtocol(protocol: MessageProtocol, argument: string): MessageProtocol {
  if (protocol === null || typeof protocol !== 'object') throw new InvalidParametersError(`${argument}: protocol must be an object`)
  validateProtocolName(protocol.name, argument)
  if (protocol.streamClass !== 'mship' && protocol.streamClass !== 'pubsub') {
    throw new InvalidParametersError(`${argument}: streamClass must be 'mship' or 'pubsub', got "${String(protocol.streamClass)}"`)
  }
  return protocol
}

export function validateStreamProtocol(protocol: StreamProtocol, argument: string): StreamProtocol {
  if (protocol === null || typeof protocol !== 'object') throw new InvalidParametersError(`${argument}: protocol must be an object`)
  validateProtocolName(protocol.name, argument)
  if (!Number.isSafeInteger(protocol.maxBytes) || protocol.maxBytes <= 0) {
    throw new InvalidParametersError(`${argument}: maxBytes must be a positive integer, got ${protocol.maxBytes}`)
  }
  return protocol
}

/**
 * Registered names with a one-byte route (SPEC.md section 5.9): `0x80 | code` replaces
 * `u8 length || name`, so the busiest protocols pay one byte per delivery instead of about twenty
 * (a SWIM ping is under 100 bytes). Codes are append-only; a name keeps its code forever.
 */
export const PROTOCOL_CODES: readonly string[] = Object.freeze(['/saorsa/membership/1', '/saorsa/pubsub/1'])
const CODED = 0x80

/** `u8 length || name` (or the one-byte code of a registered name), the prefix of every routed frame. */
export function encodeProtocolName(name: string): Uint8Array {
  const code = PROTOCOL_CODES.indexOf(name)
  if (code >= 0) return new Uint8Array([CODED | code])
  const out = new Uint8Array(1 + name.length)
  out[0] = name.length
  for (let i = 0; i < name.length; i++) out[1 + i] = name.charCodeAt(i)
  return out
}

/**
 * Reads the name prefix at `offset`; undefined when it is cut short, empty, too long, an unassigned
 * code, or holds a byte no valid name has (such a frame cannot match a handler, so it is a counted drop, not a FrameError).
 */
export function readProtocolName(body: Uint8Array, offset: number): { name: string; end: number } | undefined {
  if (offset >= body.length) return undefined
  const length = body[offset]!
  if (length >= CODED) {
    const name = PROTOCOL_CODES[length & 0x7f]
    return name === undefined ? undefined : { name, end: offset + 1 }
  }
  const end = offset + 1 + length
  if (length === 0 || length > MAX_PROTOCOL_NAME_BYTES || end > body.length) return undefined
  let name = ''
  for (let i = offset + 1; i < end; i++) {
    const code = body[i]!
    if (!isNameByte(code)) return undefined
    name += String.fromCharCode(code)
  }
  return { name, end }
}
