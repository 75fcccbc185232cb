/**
 * WebTransport carrier addresses: `wt://host:port`, optionally `wt://host:port?certhash=<hash>` where
 * the hash is the SHA-256 of the listener's DER certificate (W3C WebTransport, serverCertificateHashes)
 * in unpadded base64url (RFC 4648 section 5), 43 characters. The hash is present only when the listener
 * serves HTTP/3 as well as HTTP/2; see README.md here. Parsing is strict: anything else is rejected.
 */
import { formatHostPort, parseHostPort } from '../address.ts'
import { InvalidAddressError } from '../errors.ts'

/** Length of a SHA-256 digest, the only hash WebTransport pins. */
export const CERT_HASH_BYTES = 32
const CERT_HASH_CHARS = 43

export interface WtAddress {
  readonly host: string
  readonly port: number
  /** SHA-256 of the listener's DER certificate, when the address advertises HTTP/3. */
  readonly certHash?: Uint8Array
}

/** Encodes a certificate hash as it appears in `?certhash=` (unpadded base64url). */
export function encodeCertHash(hash: Uint8Array): string {
  if (hash.length !== CERT_HASH_BYTES) throw new RangeError(`certificate hash must be ${CERT_HASH_BYTES} bytes, got ${hash.length}`)
  return Buffer.from(hash).toString('base64url')
}

function decodeCertHash(text: string, addr: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length !== CERT_HASH_CHARS) {
    throw new InvalidAddressError(`address "${addr}": certhash must be ${CERT_HASH_CHARS} base64url characters (SHA-256), got "${text}"`)
  }
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'))
  // The last character carries two unused bits; only the canonical spelling is accepted, so one
  // certificate has exactly one address.
  if (bytes.length !== CERT_HASH_BYTES || encodeCertHash(bytes) !== text) {
    throw new InvalidAddressError(`address "${addr}": certhash "${text}" is not a canonical base64url SHA-256`)
  }
  return bytes
}

/** Parses a `wt://` address; throws InvalidAddressError naming the input for anything malformed. */
export function parseWtAddress(addr: string): WtAddress {
  const { host, port, query } = parseHostPort(addr, 'wt', { allowQuery: true })
  if (query === undefined) return { host, port }
  const params = query.split('&')
  const [param, ...extra] = params
  if (extra.length > 0) throw new InvalidAddressError(`address "${addr}" has ${params.length} query parameters; only certhash is allowed`)
  const eq = param!.indexOf('=')
  const name = eq === -1 ? param! : param!.slice(0, eq)
  if (name !== 'certhash' || eq === -1) throw new InvalidAddressError(`address "${addr}" has unknown query parameter "${name}"; only certhash=<sha-256> is allowed`)
  return { host, port, certHash: decodeCertHash(param!.slice(eq + 1), addr) }
}

/** Formats a `wt://` address, with `?certhash=` when a certificate hash is given. */
export function formatWtAddress(host: string, port: number, certHash?: Uint8Array): string {
  const base = formatHostPort('wt', host, port)
  return certHash === undefined ? base : `${base}?certhash=${encodeCertHash(certHash)}`
}
