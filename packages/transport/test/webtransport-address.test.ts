/**
 * WebTransport carrier addresses (src/webtransport/address.ts): `wt://host:port` with an optional
 * `?certhash=` (SHA-256 of the listener's certificate, unpadded base64url). Round trips, strict
 * rejections, tcp:// parsing unchanged, and a seeded mutation fuzz: only InvalidAddressError is thrown.
 */
import { describe, expect, it } from 'vitest'
import { SeededRng } from '@saorsa-gossip/types'
import { parseHostPort, parseMemoryName } from '../src/address.ts'
import { InvalidAddressError } from '../src/errors.ts'
import { encodeCertHash, formatWtAddress, parseWtAddress } from '../src/webtransport/index.ts'

const hash = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)
const hashText = encodeCertHash(hash)

describe('wt:// addresses', () => {
  it('round-trips IPv4, bracketed IPv6 and DNS hosts with and without a certhash', () => {
    for (const [host, port] of [['127.0.0.1', 4433], ['::1', 1], ['2001:db8::7', 65535], ['node.example', 443]] as const) {
      for (const certHash of [undefined, hash]) {
        const text = formatWtAddress(host, port, certHash)
        const parsed = parseWtAddress(text)
        expect(parsed.host).toBe(host)
        expect(parsed.port).toBe(port)
        expect(parsed.certHash === undefined ? undefined : [...parsed.certHash]).toEqual(certHash === undefined ? undefined : [...certHash])
        expect(formatWtAddress(parsed.host, parsed.port, parsed.certHash)).toBe(text)
      }
    }
    expect(formatWtAddress('::1', 9, hash)).toBe(`wt://[::1]:9?certhash=${hashText}`)
    expect(hashText).toHaveLength(43)
  })

  it('rejects unknown, repeated, empty and malformed query parameters with InvalidAddressError', () => {
    const bad = [
      'wt://127.0.0.1:1?',
      'wt://127.0.0.1:1?foo=1',
      `wt://127.0.0.1:1?CERTHASH=${hashText}`,
      `wt://127.0.0.1:1?certhash=${hashText}&certhash=${hashText}`,
      `wt://127.0.0.1:1?certhash=${hashText}&x=1`,
      'wt://127.0.0.1:1?certhash',
      'wt://127.0.0.1:1?certhash=',
      `wt://127.0.0.1:1?certhash=${hashText.slice(1)}`,
      `wt://127.0.0.1:1?certhash=${hashText}A`,
      `wt://127.0.0.1:1?certhash=${hashText}=`,
      `wt://127.0.0.1:1?certhash=${Buffer.from(hash).toString('base64').slice(0, 43).replace(/[-_]/g, '+')}+`,
      `wt://127.0.0.1:1?certhash=${Buffer.from(hash).toString('hex')}`,
      `wt://127.0.0.1:1?certhash=${hashText}#frag`,
      `wt://127.0.0.1?certhash=${hashText}`,
      `wt://127.0.0.1:99999?certhash=${hashText}`,
    ]
    for (const addr of bad) expect(() => parseWtAddress(addr), addr).toThrow(InvalidAddressError)
  })

  it('accepts only the canonical spelling of a hash (the last character carries two unused bits)', () => {
    const last = hashText.at(-1)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sibling = alphabet[(alphabet.indexOf(last) & ~3) | ((alphabet.indexOf(last) + 1) & 3)]!
    expect(() => parseWtAddress(`wt://127.0.0.1:1?certhash=${hashText.slice(0, 42)}${sibling}`)).toThrow(/canonical/)
  })

  it('keeps tcp:// strict (no query) and mem:// unchanged', () => {
    expect(parseHostPort('tcp://127.0.0.1:4000', 'tcp')).toEqual({ host: '127.0.0.1', port: 4000 })
    expect(() => parseHostPort(`tcp://127.0.0.1:4000?certhash=${hashText}`, 'tcp')).toThrow(InvalidAddressError)
    expect(() => parseHostPort('tcp://127.0.0.1:4000?', 'tcp')).toThrow(InvalidAddressError)
    expect(parseHostPort('wt://[::1]:5?a=b', 'wt', { allowQuery: true })).toEqual({ host: '::1', port: 5, query: 'a=b' })
    expect(parseMemoryName('mem://node-1')).toBe('node-1')
    expect(() => parseMemoryName('mem://node?x=1')).toThrow(InvalidAddressError)
  })

  it('throws only InvalidAddressError for mutated and random addresses (seeded; FUZZ_RUNS scales it)', () => {
    const runs = Number(process.env.FUZZ_RUNS ?? 100_000)
    const rng = new SeededRng(0x77_74_33)
    const seeds = [`wt://127.0.0.1:4433?certhash=${hashText}`, `wt://[2001:db8::1]:1?certhash=${hashText}`, 'wt://node.example:443']
    const interesting = ['?', '&', '=', '#', '%', '[', ']', ':', '/', '\u0000', '\u00e9', 'certhash=', hashText]
    let accepted = 0
    for (let i = 0; i < runs; i++) {
      let text = seeds[rng.nextInt(seeds.length)]!
      for (let m = rng.nextInt(4); m >= 0; m--) {
        const at = rng.nextInt(text.length + 1)
        switch (rng.nextInt(5)) {
          case 0: text = text.slice(0, at) + String.fromCharCode(rng.nextInt(128)) + text.slice(at + 1); break
          case 1: text = text.slice(0, at); break
          case 2: text = text.slice(0, at) + interesting[rng.nextInt(interesting.length)]! + text.slice(at); break
          case 3: text = text.slice(0, at) + text.slice(at + 1 + rng.nextInt(8)); break
          default: text = text + text.slice(rng.nextInt(text.length + 1))
        }
      }
      try {
        const parsed = parseWtAddress(text)
        accepted++
        expect(parseWtAddress(formatWtAddress(parsed.host, parsed.port, parsed.certHash))).toEqual(parsed)
      } catch (error) {
        if (!(error instanceof InvalidAddressError)) throw new Error(`non-InvalidAddressError for ${JSON.stringify(text)}`, { cause: error })
      }
    }
    expect(accepted).toBeGreaterThan(0)
  })
})
