/**
 * Domain separation for every signature: the bytes actually signed are
 * `u8(len(domain)) || ascii(domain) || body`, so a signature made for one purpose never verifies
 * for another (SPEC.md section 4.3). The algorithm's own context string stays empty, because the
 * fast ML-DSA backend (liboqs) supports only the empty context.
 */
import { assertBytes } from '@saorsa-gossip/types'

/** Longest domain tag: its length must fit the one-byte prefix. */
export const MAX_DOMAIN_LENGTH = 255

/** Checks a domain tag: a string of 1..255 printable ASCII characters (0x20-0x7e). Returns its bytes. */
export function domainBytes(domain: unknown, argName = 'domain'): Uint8Array {
  if (typeof domain !== 'string') throw new TypeError(`${argName}: expected a string, got ${domain === null ? 'null' : typeof domain}`)
  if (domain.length === 0 || domain.length > MAX_DOMAIN_LENGTH) {
    throw new RangeError(`${argName}: expected 1..${MAX_DOMAIN_LENGTH} characters, got ${domain.length}`)
  }
  const out = new Uint8Array(domain.length)
  for (let i = 0; i < domain.length; i++) {
    const code = domain.charCodeAt(i)
    if (code < 0x20 || code > 0x7e) {
      throw new RangeError(`${argName}: only printable ASCII is allowed, found code 0x${code.toString(16)} at index ${i}`)
    }
    out[i] = code
  }
  return out
}

/** `u8(len(domain)) || ascii(domain) || body`: the message handed to the signature algorithm. */
export function signingInput(domain: string, body: Uint8Array): Uint8Array {
  const tag = domainBytes(domain)
  assertBytes(body, 'body')
  const out = new Uint8Array(1 + tag.length + body.length)
  out[0] = tag.length
  out.set(tag, 1)
  out.set(body, 1 + tag.length)
  return out
}
