/**
 * MLS ciphersuites (RFC 9420 section 5.1) on ts-mls. The Saorsa suite 0xF165
 * MLS_192_MLKEM768_CHACHA20POLY1305_SHA512_MLDSA65 (a private-use id, RFC 9420 section 17.1) keeps
 * ts-mls's ML-KEM-768 HPKE (HKDF-SHA512, ChaCha20-Poly1305) and swaps in SHA-512 and ML-DSA-65 from
 * @saorsa-gossip/identity, domain-separated from every other signature of the node (SPEC.md 10.1).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { activeMlDsa65Backend, signingInput } from '@saorsa-gossip/identity'
import { assertBytes, copyBytes } from '@saorsa-gossip/types'
import {
  ciphersuites, getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName, type Hash, type Kdf, type Signature,
} from 'ts-mls'
import { Sha512Memo } from './sha512-memo.ts'

/** The private-use ciphersuite id of the Saorsa suite. */
export const SAORSA_SUITE_ID = 0xf165
/** Its name; ts-mls 1.6.4 carries unknown suite ids as decimal strings. */
export const SAORSA_SUITE_NAME = 'MLS_192_MLKEM768_CHACHA20POLY1305_SHA512_MLDSA65'
/** Domain tag under which MLS signatures are made with the node's ML-DSA-65 key (SPEC.md 4.3). */
export const MLS_SIGNATURE_DOMAIN = 'saorsa-gossip/mls/v1'
/** The standard suite offered by option: ts-mls's stock classical suite. */
export const STANDARD_SUITE = 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519' satisfies CiphersuiteName

/** `'saorsa'` (post-quantum, default) or a standard ts-mls suite name. */
export type SuiteChoice = 'saorsa' | CiphersuiteName

/** A ciphersuite implementation plus what the groups layer needs to know about it. */
export interface GroupSuite {
  readonly choice: SuiteChoice
  /** The uint16 suite id on the wire. */
  readonly id: number
  /** True when leaf signature keys are the members' ML-DSA-65 identity keys. */
  readonly identityKeyIsLeafKey: boolean
  readonly impl: CiphersuiteImpl
}

/** ML-DSA-65 through the identity package's active backend (liboqs once loaded, noble before). */
const mlDsa65Signature: Signature = {
  async sign(signKey, message) {
    return activeMlDsa65Backend().sign(signKey, signingInput(MLS_SIGNATURE_DOMAIN, message))
  },
  async verify(publicKey, message, signature) {
    return activeMlDsa65Backend().verify(publicKey, signingInput(MLS_SIGNATURE_DOMAIN, message), signature)
  },
  async keygen() {
    const { publicKey, secretKey } = ml_dsa65.keygen(randomBytes(32))
    return { publicKey: copyBytes(publicKey), signKey: copyBytes(secretKey) }
  },
}

/** Shared by every group of the process: tree nodes are the same bytes in each member's view. */
const treeHashes = new Sha512Memo()

/**
 * SHA-512, HMAC-SHA-512 and HKDF-SHA512 (RFC 5869) computed synchronously with node:crypto. ts-mls
 * hashes every tree node and expands every key through these; WebCrypto would queue each call on the
 * thread pool, which cost more than the hashing itself for a 1,000-member tree.
 */
const sha512: Hash = {
  async digest(data) {
    return treeHashes.digest(data)
  },
  async mac(key, data) {
    return new Uint8Array(createHmac('sha512', key).update(data).digest())
  },
  async verifyMac(key, mac, data) {
    assertBytes(mac, 'mac')
    const expected = createHmac('sha512', key).update(data).digest()
    return expected.length === mac.length && timingSafeEqual(expected, mac)
  },
}

/** HKDF-Expand's counter byte of the first block. */
const BLOCK_ONE = new Uint8Array([1])

const hkdfSha512: Kdf = {
  async extract(salt, ikm) {
    return new Uint8Array(createHmac('sha512', salt.length === 0 ? new Uint8Array(64) : salt).update(ikm).digest())
  },
  async expand(prk, info, length) {
    if (length > 255 * 64) throw new RangeError(`length: HKDF-SHA512 expands to at most ${255 * 64} bytes`)
    // One block covers every MLS secret and key (at most 64 bytes): ts-mls derives two per tree node each epoch.
    if (length <= 64) {
      const block = createHmac('sha512', prk).update(info).update(BLOCK_ONE).digest()
      return new Uint8Array(block.buffer, block.byteOffset, length)
    }
    const out = new Uint8Array(length)
    let previous = new Uint8Array(0)
    for (let i = 0, offset = 0; offset < length; i++) {
      previous = new Uint8Array(createHmac('sha512', prk).update(previous).update(info).update(new Uint8Array([i + 1])).digest())
      out.set(previous.subarray(0, Math.min(64, length - offset)), offset)
      offset += 64
    }
    return out
  },
  size: 64,
}

const cache = new Map<SuiteChoice, Promise<GroupSuite>>()

/**
 * The implementation of a suite, built once per process. The Saorsa suite starts from ts-mls's
 * MLS_256_MLKEM768_CHACHA20POLY1305_SHA384_Ed25519, whose HPKE is already ML-KEM-768 with
 * HKDF-SHA512: `@hpke/ml-kem` takes the 64-byte HKDF-SHA512 node secret as its (d, z) seed, which is
 * why the hash is SHA-512 and not SHA-256 (a 32-byte secret fails at the first path commit).
 */
export function loadSuite(choice: SuiteChoice = 'saorsa'): Promise<GroupSuite> {
  let entry = cache.get(choice)
  if (entry === undefined) {
    entry = build(choice)
    cache.set(choice, entry)
  }
  return entry
}

async function build(choice: SuiteChoice): Promise<GroupSuite> {
  if (choice === 'saorsa') {
    const stock = await getCiphersuiteImpl(getCiphersuiteFromName('MLS_256_MLKEM768_CHACHA20POLY1305_SHA384_Ed25519'))
    // ts-mls 1.6.4 encodes a decimal-string suite name as that uint16 and decodes unknown ids to String(id).
    const impl: CiphersuiteImpl = { ...stock, hash: sha512, kdf: hkdfSha512, signature: mlDsa65Signature, name: String(SAORSA_SUITE_ID) as CiphersuiteName }
    return Object.freeze({ choice, id: SAORSA_SUITE_ID, identityKeyIsLeafKey: true, impl })
  }
  const suite = getCiphersuiteFromName(choice)
  if (suite === undefined) throw new RangeError(`suite: unknown ciphersuite '${String(choice)}'`)
  const impl = await getCiphersuiteImpl(suite)
  return Object.freeze({ choice, id: ciphersuites[choice], identityKeyIsLeafKey: false, impl })
}

/** The suite choice for a wire suite id (the Saorsa id or a ts-mls suite), or undefined if unknown. */
export function suiteChoiceOf(id: number): SuiteChoice | undefined {
  if (id === SAORSA_SUITE_ID) return 'saorsa'
  for (const [name, value] of Object.entries(ciphersuites)) if (value === id) return name as CiphersuiteName
  return undefined
}

/** The suite choice for a ts-mls suite name as found in key packages (the Saorsa suite travels as "61797"). */
export function suiteChoiceOfName(name: CiphersuiteName): SuiteChoice {
  return name === String(SAORSA_SUITE_ID) ? 'saorsa' : name
}
