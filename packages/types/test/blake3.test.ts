import { describe, expect, it } from 'vitest'
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js'
import { activeBlake3Backend, blake3, loadBlake3Backend } from '../src/blake3.ts'
import { toHex } from '../src/bytes.ts'
import { SeededRng } from '../src/rng.ts'

// BLAKE3 reference vectors (input: bytes i mod 251 of the given length), 32-byte output.
const VECTORS: [number, string][] = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
]
const input = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 251)

describe('blake3', () => {
  it('matches the reference vectors before and after the WebAssembly build loads', async () => {
    for (const [n, hex] of VECTORS) expect(toHex(blake3(input(n)))).toBe(hex)
    expect(await loadBlake3Backend()).toBe('wasm')
    expect(activeBlake3Backend()).toBe('wasm')
    for (const [n, hex] of VECTORS) expect(toHex(blake3(input(n)))).toBe(hex)
  })

  it('gives the same bytes as the JavaScript implementation on 500 random inputs up to 20 KB', async () => {
    await loadBlake3Backend()
    const rng = new SeededRng(3)
    for (let i = 0; i < 500; i++) {
      const data = rng.fill(new Uint8Array(rng.nextInt(20_000)))
      expect(toHex(blake3(data))).toBe(toHex(nobleBlake3(data)))
    }
  })

  it('returns a fresh array each call, not a view of the hasher memory', async () => {
    await loadBlake3Backend()
    const first = blake3(input(7))
    const copy = toHex(first)
    blake3(input(8))
    expect(toHex(first)).toBe(copy)
  })
})
