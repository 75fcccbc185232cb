/**
 * Self-signed TLS certificate for the WebTransport listener, built in-process (no openssl CLI):
 * a minimal X.509 v3 certificate (RFC 5280 section 4.1) in DER (X.690) for an ECDSA P-256 key,
 * signed with ecdsa-with-SHA256 (RFC 5758 section 3.2), with a subjectAltName for the listen host
 * (RFC 5280 section 4.2.1.6). Validity is at most 14 days, the WebTransport limit for hash-pinned certificates.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { isIP } from 'node:net'

/** WebTransport (W3C, serverCertificateHashes) accepts at most 14 days of validity. */
export const MAX_CERTIFICATE_VALIDITY_MS = 14 * 24 * 60 * 60 * 1000
/** Back-dating absorbs clock skew between peers. */
const BACKDATE_MS = 60 * 60 * 1000

export interface SelfSignedCertificate {
  /** PEM certificate and PKCS#8 PEM private key, as node:tls wants them. */
  readonly certPem: string
  readonly keyPem: string
  /** DER certificate and its SHA-256 (what WebTransport's serverCertificateHashes pins). */
  readonly der: Uint8Array
  readonly sha256: Uint8Array
  readonly notBefore: Date
  readonly notAfter: Date
}

// DER encoding helpers (X.690 section 8 and 10): tag, definite length, contents.
function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0)
  let header: number[]
  if (length < 0x80) header = [tag, length]
  else if (length < 0x100) header = [tag, 0x81, length]
  else if (length < 0x10000) header = [tag, 0x82, length >> 8, length & 0xff]
  else throw new RangeError(`DER element of ${length} bytes is larger than this encoder supports`)
  const out = new Uint8Array(header.length + length)
  out.set(header, 0)
  let offset = header.length
  for (const p of parts) { out.set(p, offset); offset += p.length }
  return out
}
const sequence = (...parts: Uint8Array[]): Uint8Array => der(0x30, ...parts)
const set = (...parts: Uint8Array[]): Uint8Array => der(0x31, ...parts)
const octetString = (bytes: Uint8Array): Uint8Array => der(0x04, bytes)
const bitString = (bytes: Uint8Array): Uint8Array => der(0x03, new Uint8Array([0]), bytes)
const utf8String = (text: string): Uint8Array => der(0x0c, new TextEncoder().encode(text))
const explicit = (n: number, inner: Uint8Array): Uint8Array => der(0xa0 | n, inner)

function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number)
  const bytes: number[] = [40 * arcs[0]! + arcs[1]!]
  for (const arc of arcs.slice(2)) {
    const base128: number[] = [arc & 0x7f]
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift(0x80 | (v & 0x7f))
    bytes.push(...base128)
  }
  return der(0x06, new Uint8Array(bytes))
}

/** A positive INTEGER from unsigned big-endian bytes (leading zero added when the top bit is set). */
function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const trimmed = bytes.subarray(start)
  return (trimmed[0]! & 0x80) !== 0 ? der(0x02, new Uint8Array([0]), trimmed) : der(0x02, trimmed)
}

/** UTCTime (YYMMDDHHMMSSZ) for 1950..2049 and GeneralizedTime after, as RFC 5280 section 4.1.2.5 requires. */
function time(date: Date): Uint8Array {
  const iso = date.toISOString() // 2026-11-20T23:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'
  return date.getUTCFullYear() < 2050
    ? der(0x17, new TextEncoder().encode(digits.slice(2)))
    : der(0x18, new TextEncoder().encode(digits))
}

/** GeneralName for the SAN: iPAddress [7] for literal IPs, dNSName [2] otherwise. */
function generalName(host: string): Uint8Array {
  const family = isIP(host)
  if (family === 4) return der(0x87, new Uint8Array(host.split('.').map(Number)))
  if (family === 6) return der(0x87, ipv6Bytes(host))
  return der(0x82, new TextEncoder().encode(host))
}

function ipv6Bytes(host: string): Uint8Array {
  const [head = '', tail] = host.split('::') as [string, string | undefined]
  const words = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap((w) => {
    if (w.includes('.')) { const b = w.split('.').map(Number); return [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!] }
    return [parseInt(w, 16)]
  }))
  const left = words(head)
  const right = tail === undefined ? [] : words(tail)
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
  const out = new Uint8Array(16)
  all.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff })
  return out
}

function pem(label: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64').replace(/.{1,64}/g, '$&\n')
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`
}

/**
 * Generates a fresh ECDSA P-256 key and a self-signed certificate for `hosts` (each becomes a SAN entry),
 * valid from one hour before `now` for `validityMs` (at most 14 days) in total.
 */
export function createSelfSignedCertificate(
  hosts: readonly string[],
  options: { now?: Date; validityMs?: number; commonName?: string } = {},
): SelfSignedCertificate {
  const validityMs = options.validityMs ?? MAX_CERTIFICATE_VALIDITY_MS
  if (!Number.isInteger(validityMs) || validityMs <= BACKDATE_MS || validityMs > MAX_CERTIFICATE_VALIDITY_MS) {
    throw new RangeError(`validityMs must be an integer in (${BACKDATE_MS}, ${MAX_CERTIFICATE_VALIDITY_MS}], got ${validityMs}`)
  }
  if (hosts.length === 0) throw new RangeError('hosts must name at least one host for the subjectAltName')
  const now = options.now ?? new Date()
  const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000)
  const notAfter = new Date(notBefore.getTime() + validityMs)

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'))
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8String(options.commonName ?? 'saorsa-gossip'))))
  const serial = randomBytes(16)
  serial[0] = serial[0]! & 0x7f // positive, at most 20 octets (RFC 5280 section 4.1.2.2)
  const subjectAltName = sequence(oid('2.5.29.17'), octetString(sequence(...hosts.map(generalName))))
  const tbs = sequence(
    explicit(0, der(0x02, new Uint8Array([2]))), // version v3
    unsignedInteger(serial),
    ecdsaWithSha256,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(3, sequence(subjectAltName)),
  )
  const signature = new Uint8Array(sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' }))
  const certificate = sequence(tbs, ecdsaWithSha256, bitString(signature))
  return {
    certPem: pem('CERTIFICATE', certificate),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    der: certificate,
    sha256: new Uint8Array(createHash('sha256').update(certificate).digest()),
    notBefore,
    notAfter,
  }
}
