/**
 * The signature algorithms a key can use, with their one-byte tags (keystore files) and sizes.
 * ML-DSA-65 is FIPS 204 (table 2), the identity key of every peer; SLH-DSA-SHA2-128s is FIPS 205
 * (table 2), a hash-based option for rarely used long-term keys. SPEC.md section 4.1 repeats this table.
 */

export type KeyAlgorithm = 'ml-dsa-65' | 'slh-dsa-sha2-128s'

export interface AlgorithmInfo {
  readonly algorithm: KeyAlgorithm
  /** One-byte tag stored in keystore files. */
  readonly tag: number
  readonly publicKeyBytes: number
  readonly secretKeyBytes: number
  readonly signatureBytes: number
  /** Length of the seed accepted by deterministic key generation. */
  readonly seedBytes: number
}

export const ALGORITHMS: Readonly<Record<KeyAlgorithm, AlgorithmInfo>> = Object.freeze({
  'ml-dsa-65': Object.freeze({
    algorithm: 'ml-dsa-65', tag: 0x01, publicKeyBytes: 1952, secretKeyBytes: 4032, signatureBytes: 3309, seedBytes: 32,
  }),
  'slh-dsa-sha2-128s': Object.freeze({
    algorithm: 'slh-dsa-sha2-128s', tag: 0x02, publicKeyBytes: 32, secretKeyBytes: 64, signatureBytes: 7856, seedBytes: 48,
  }),
})

/** The algorithm with this keystore tag, or `undefined`. */
export function algorithmByTag(tag: number): AlgorithmInfo | undefined {
  for (const info of Object.values(ALGORITHMS)) if (info.tag === tag) return info
  return undefined
}

/** Validates an algorithm name from a caller; throws a RangeError naming the argument. */
export function algorithmInfo(algorithm: unknown, argName = 'algorithm'): AlgorithmInfo {
  if (typeof algorithm === 'string' && Object.hasOwn(ALGORITHMS, algorithm)) return ALGORITHMS[algorithm as KeyAlgorithm]
  throw new RangeError(`${argName}: expected one of ${Object.keys(ALGORITHMS).join(', ')}, got ${String(algorithm)}`)
}
