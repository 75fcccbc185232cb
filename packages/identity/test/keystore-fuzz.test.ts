/**
 * Seeded mutation fuzzing of the keystore file decoder: only KeystoreCorruptError may escape.
 * FUZZ_RUNS raises the number of inputs.
 */
import { describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { SeededRng } from '@saorsa-gossip/types'
import { Identity } from '../src/identity.ts'
import { INSECURE_TEST_KDF, sealKeyFile } from '../src/keystore-crypto.ts'
import { CHECKSUM_BYTES, decodeKeyFile } from '../src/keystore-format.ts'
import { SlhDsaKeyPair } from '../src/slh-dsa.ts'
import { seq } from './helpers.ts'

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100_000)
const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff]

function mutate(rng: SeededRng, input: Uint8Array, other: Uint8Array): Uint8Array {
  const out = input.slice()
  const pick = rng.nextInt(8)
  if (pick === 0) return out.subarray(0, rng.nextInt(out.length + 1))
  if (pick === 1) {
    const grown = new Uint8Array(out.length + 1 + rng.nextInt(64))
    grown.set(out)
    rng.fill(grown.subarray(out.length))
    return grown
  }
  if (pick === 2) {
    // Splice: a prefix of one file followed by the rest of the other.
    const cut = rng.nextInt(Math.min(out.length, other.length))
    const spliced = new Uint8Array(other.length)
    spliced.set(out.subarray(0, cut))
    spliced.set(other.subarray(cut), cut)
    return spliced
  }
  if (pick === 3) return rng.fill(new Uint8Array(rng.nextInt(300)))
  const count = 1 + rng.nextInt(4)
  for (let i = 0; i < count; i++) {
    // Most edits land in the 72-byte header, where the parser makes its decisions.
    const position = rng.nextInt(2) === 0 ? rng.nextInt(Math.min(72, out.length)) : rng.nextInt(out.length)
    if (pick === 4) out[position] = out[position]! ^ (1 << rng.nextInt(8))
    else if (pick === 5) out[position] = INTERESTING[rng.nextInt(INTERESTING.length)]!
    else out[position] = rng.nextInt(256)
  }
  return out
}

describe('keystore file decoder fuzzing', () => {
  it(`throws only KeystoreCorruptError on ${RUNS} mutated files, half of them with a valid checksum`, async () => {
    const mlFile = await sealKeyFile(Identity.generate({ seed: seq(32) }), 'p', { kdf: INSECURE_TEST_KDF })
    const slhFile = await sealKeyFile(SlhDsaKeyPair.generate({ seed: seq(48) }), 'p', { kdf: { kdf: 'argon2id', m: 8, t: 1, p: 1 } })
    const rng = new SeededRng('keystore-fuzz-v1')
    let accepted = 0
    let rejected = 0
    for (let run = 0; run < RUNS; run++) {
      // Small SLH-DSA files keep the loop fast; every tenth input is a full-size ML-DSA file.
      const [base, other] = run % 10 === 0 ? [mlFile, slhFile] : [slhFile, mlFile]
      const input = mutate(rng, base, other)
      if (run % 2 === 1 && input.length > CHECKSUM_BYTES) {
        input.set(createHash('sha256').update(input.subarray(0, input.length - CHECKSUM_BYTES)).digest(), input.length - CHECKSUM_BYTES)
      }
      try {
        decodeKeyFile(input)
        accepted++
      } catch (err) {
        if (!(err instanceof Error) || err.name !== 'KeystoreCorruptError') {
          throw new Error(`run ${run}: unexpected ${String(err)} for input ${Buffer.from(input.subarray(0, 80)).toString('hex')}`)
        }
        rejected++
      }
    }
    expect(accepted + rejected).toBe(RUNS)
    expect(accepted).toBeGreaterThan(RUNS / 100)
    expect(rejected).toBeGreaterThan(RUNS / 2)
  })
})
