import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Sha512Memo } from '../src/sha512-memo.ts'

const sha512 = (data: Uint8Array) => new Uint8Array(createHash('sha512').update(data).digest())

describe('Sha512Memo', () => {
  it('returns SHA-512 of every input, remembered or not', () => {
    const memo = new Sha512Memo()
    // FIPS 180-4 example "abc".
    expect(Buffer.from(memo.digest(new TextEncoder().encode('abc'))).toString('hex')).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    )
    const big = randomBytes(5000)
    expect(memo.digest(big)).toEqual(sha512(big))
    expect(memo.digest(Uint8Array.from(big))).toEqual(sha512(big))
    expect(memo.hits).toBe(1)
  })

  it('never answers for different bytes with the same length, start and end', () => {
    const memo = new Sha512Memo()
    const a = randomBytes(4096)
    const b = Buffer.from(a)
    b[2048] = b[2048]! ^ 1
    expect(memo.digest(a)).toEqual(sha512(a))
    expect(memo.digest(b)).toEqual(sha512(b))
    expect(memo.digest(a)).toEqual(sha512(a))
    expect(memo.hits).toBe(0)
  })

  it('is not fooled by a caller that reuses its array after hashing', () => {
    const memo = new Sha512Memo()
    const buffer = randomBytes(2048)
    const first = sha512(buffer)
    expect(memo.digest(buffer)).toEqual(first)
    buffer[100] = buffer[100]! ^ 0xff
    expect(memo.digest(buffer)).toEqual(sha512(buffer))
    // A returned digest is the caller's to change.
    const again = memo.digest(buffer)
    again.fill(0)
    expect(memo.digest(buffer)).toEqual(sha512(buffer))
  })

  it('keeps at most maxBytes of inputs, dropping the least recently used', () => {
    const memo = new Sha512Memo({ maxBytes: 10_000 })
    const inputs = Array.from({ length: 10 }, () => randomBytes(3000))
    for (const input of inputs) memo.digest(input)
    expect(memo.bytes).toBeLessThanOrEqual(10_000)
    const before = memo.hits
    memo.digest(inputs[9]!)
    memo.digest(inputs[0]!)
    expect(memo.hits).toBe(before + 1)
  })
})
