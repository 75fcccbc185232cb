/**
 * The keystore KDF at its real default parameters: the chosen defaults, and that the event loop keeps
 * turning during a derivation (counted turns, not timings).
 */
import { describe, expect, it } from 'vitest'
import { Identity } from '../src/identity.ts'
import { DEFAULT_KDF, openKeyFile, readKeyFileHeader, SCRYPT_KDF, sealKeyFile } from '../src/keystore-crypto.ts'
import { seq } from './helpers.ts'

/** Runs `work` while a setImmediate loop counts how often the event loop got a turn. */
async function countLoopTurns<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0
  let running = true
  const spin = (): void => {
    turns++
    if (running) setImmediate(spin)
  }
  setImmediate(spin)
  try {
    return { result: await work(), turns }
  } finally {
    running = false
  }
}

describe('the keystore KDF with its real default parameters', () => {
  const identity = Identity.generate({ seed: seq(32, 8) })

  it('defaults to Argon2id m=19 MiB, t=2, p=1 and keeps the event loop turning while unlocking', async () => {
    expect(DEFAULT_KDF).toEqual({ kdf: 'argon2id', m: 19 * 1024, t: 2, p: 1 })
    const file = await sealKeyFile(identity, 'real parameters')
    expect(readKeyFileHeader(file).kdf).toEqual(DEFAULT_KDF)
    const { result, turns } = await countLoopTurns(() => openKeyFile(file, 'real parameters'))
    expect(result.peerId.equals(identity.peerId)).toBe(true)
    // The KDF yields at least every 10 ms; a blocking derivation would allow no turn at all.
    expect(turns).toBeGreaterThanOrEqual(10)
  })

  it('supports scrypt N=2^17, r=8, p=1 and keeps the event loop turning while sealing', async () => {
    expect(SCRYPT_KDF).toEqual({ kdf: 'scrypt', log2N: 17, r: 8, p: 1 })
    const { result: file, turns } = await countLoopTurns(() => sealKeyFile(identity, 'real parameters', { kdf: SCRYPT_KDF }))
    expect(readKeyFileHeader(file).kdf).toEqual(SCRYPT_KDF)
    expect(turns).toBeGreaterThanOrEqual(10)
  })
})
