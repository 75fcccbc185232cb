/**
 * Recomputes every golden vector of SPEC.md section 4 and checks that the text and the code agree.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { blake3 } from '@noble/hashes/blake3.js'
import { DOMAIN, fromHex, toHex, utf8 } from '@saorsa-gossip/types'
import { nobleMlDsa65Deterministic } from '../src/backend.ts'
import { loadMlDsa65Backend } from '../src/fast-backend.ts'
import { Identity, verifySignature } from '../src/identity.ts'
import { openKeyFile, sealKeyFile } from '../src/keystore-crypto.ts'
import { FIXED_HEADER_BYTES, keyFileLength } from '../src/keystore-format.ts'
import { signingInput } from '../src/signing-input.ts'
import { SlhDsaKeyPair } from '../src/slh-dsa.ts'
import { seq } from './helpers.ts'

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8')
const section = spec.slice(spec.indexOf('## 4. Identity'), spec.indexOf('## 5. '))

/** The hex of each `<!-- vector: name -->` block of section 4, whitespace removed. */
function vectors(): Map<string, string> {
  const out = new Map<string, string>()
  for (const match of section.matchAll(/<!-- vector: ([a-z0-9-]+) -->\s*```\n([0-9a-f\n]+)```/g)) {
    out.set(match[1]!, match[2]!.replace(/\s/g, ''))
  }
  return out
}

const PASSPHRASE = 'saorsa-gossip test passphrase'
const FIXED = { salt: seq(16, 0x10), nonce: seq(24, 0x20), createdAtMs: 1_700_000_000_000 }

describe('SPEC.md section 4 golden vectors', () => {
  const spec4 = vectors()
  const computed = new Map<string, string>()
  const mlDsa = Identity.generate({ seed: seq(32), backend: nobleMlDsa65Deterministic })
  let slh: SlhDsaKeyPair
  let mlSignature: Uint8Array
  beforeAll(async () => {
    slh = SlhDsaKeyPair.generate({ seed: seq(48) })
    mlSignature = mlDsa.sign(DOMAIN.test, utf8('hello'))
    computed.set('signing-input', toHex(signingInput(DOMAIN.test, utf8('hello'))))
    computed.set('mldsa65-peer-id', mlDsa.peerId.toHex())
    computed.set('mldsa65-signature-blake3', toHex(blake3(mlSignature)))
    computed.set('slhdsa-public-key', toHex(slh.publicKey))
    computed.set('slhdsa-signature-blake3', toHex(blake3(slh.sign(DOMAIN.test, utf8('hello'), { deterministic: true }))))
    const slhFile = await sealKeyFile(slh, PASSPHRASE, { ...FIXED, kdf: { kdf: 'argon2id', m: 8, t: 1, p: 1 } })
    computed.set('keystore-slhdsa-file', toHex(slhFile))
    const mlFile = await sealKeyFile(mlDsa, PASSPHRASE, { ...FIXED, kdf: { kdf: 'scrypt', log2N: 4, r: 1, p: 1 } })
    computed.set('keystore-mldsa65-header', toHex(mlFile.subarray(0, FIXED_HEADER_BYTES)))
    computed.set('keystore-mldsa65-file-sha256', createHash('sha256').update(mlFile).digest('hex'))
  })

  it('lists every vector the implementation computes, and only those', () => {
    expect([...spec4.keys()].sort()).toEqual([...computed.keys()].sort())
  })

  it('match the bytes the implementation produces today', () => {
    for (const [name, value] of computed) expect({ name, value: spec4.get(name) }).toEqual({ name, value })
  })

  it('the keystore file printed in SPEC.md unlocks to the SLH-DSA key it describes', async () => {
    const key = await openKeyFile(fromHex(spec4.get('keystore-slhdsa-file')!), PASSPHRASE)
    expect(key.peerId.equals(slh.peerId)).toBe(true)
  })

  it('the known-answer ML-DSA-65 signature also verifies under liboqs', async () => {
    const fast = await loadMlDsa65Backend()
    expect(verifySignature(mlDsa.publicKey, DOMAIN.test, utf8('hello'), mlSignature, fast)).toBe(true)
  })

  it('states the file sizes the format produces', () => {
    expect(keyFileLength('ml-dsa-65')).toBe(6104)
    expect(keyFileLength('slh-dsa-sha2-128s')).toBe(216)
    expect(section).toContain('6,104 for ML-DSA-65, 216 for SLH-DSA-SHA2-128s')
  })
})
