/**
 * Transport address strings (SPEC.md section 5.1): `tcp://host:port` (IPv6 hosts in brackets,
 * `tcp://[::1]:4000`), `mem://name`, and the scheme of any other configured carrier (`wt://host:port`).
 * Parsing is strict, so a typo fails at the boundary with InvalidAddressError naming the input.
 */
import { LIMITS } from '@saorsa-gossip/types'
import { isIP } from 'node:net'
import { InvalidAddressError } from './errors.ts'

export interface HostPort {
  readonly host: string
  readonly port: number
  /** The text after `?`, present only when parsed with `allowQuery` and the address has one. */
  readonly query?: string
}

/** The scheme of an address (`tcp`, `mem`, `wt`, ...), validated for shape and length only. */
export function addressScheme(addr: string): string {
  if (typeof addr !== 'string') throw new InvalidAddressError('address must be a string')
  if (addr.length === 0 || addr.length > LIMITS.maxAddressLength) {
    throw new InvalidAddressError(`address length must be 1..${LIMITS.maxAddressLength}, got ${addr.length}`)
  }
  const match = /^([a-z][a-z0-9+.-]*):\/\//.exec(addr)
  if (match === null) throw new InvalidAddressError(`address "${addr}" has no scheme (expected e.g. tcp://127.0.0.1:4000 or mem://name)`)
  return match[1]!
}

/**
 * Parses `<scheme>://host:port` with a literal IPv4, a bracketed IPv6 or a DNS name; port 0..65535.
 * With `allowQuery` (carriers whose addresses carry parameters, such as `wt://host:port?certhash=...`)
 * a non-empty `?query` of URL-safe characters is split off and returned unparsed for the carrier to check.
 */
export function parseHostPort(addr: string, scheme: string, options?: { allowQuery?: boolean }): HostPort {
  if (addressScheme(addr) !== scheme) throw new InvalidAddressError(`address "${addr}" is not a ${scheme}:// address`)
  let rest = addr.slice(scheme.length + 3)
  let query: string | undefined
  const mark = rest.indexOf('?')
  if (mark !== -1 && options?.allowQuery === true) {
    query = rest.slice(mark + 1)
    rest = rest.slice(0, mark)
    if (!/^[A-Za-z0-9._~=&%-]+$/.test(query)) throw new InvalidAddressError(`address "${addr}" has an empty or malformed query`)
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(rest)
  if (match === null) throw new InvalidAddressError(`address "${addr}" must look like ${scheme}://host:port or ${scheme}://[v6]:port`)
  const host = match[1] ?? match[2]!
  if (match[1] !== undefined && isIP(host) !== 6) throw new InvalidAddressError(`address "${addr}" has an invalid IPv6 host`)
  if (match[2] !== undefined && /^[\d.]+$/.test(host) && isIP(host) !== 4) {
    throw new InvalidAddressError(`address "${addr}" has an invalid IPv4 host`)
  }
  const port = Number(match[3])
  if (port > 65535) throw new InvalidAddressError(`address "${addr}" has port ${port} above 65535`)
  return query === undefined ? { host, port } : { host, port, query }
}

/** Formats host and port back into `<scheme>://host:port`, bracketing IPv6. */
export function formatHostPort(scheme: string, host: string, port: number): string {
  return isIP(host) === 6 ? `${scheme}://[${host}]:${port}` : `${scheme}://${host}:${port}`
}

/** Parses `mem://name` where name is 1..64 characters of `[A-Za-z0-9._-]`. */
export function parseMemoryName(addr: string): string {
  if (addressScheme(addr) !== 'mem') throw new InvalidAddressError(`address "${addr}" is not a mem:// address`)
  const name = addr.slice(6)
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new InvalidAddressError(`address "${addr}" must look like mem://name (1..64 of A-Z a-z 0-9 . _ -)`)
  }
  return name
}
