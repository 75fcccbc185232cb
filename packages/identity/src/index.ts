/**
 * @packageDocumentation
 * ML-DSA-65 (FIPS 204) identities for Saorsa Gossip: key pairs, `PeerId = BLAKE3(public key)`,
 * domain-separated signatures with a fast WASM backend (liboqs) and a pure-JS fallback (noble),
 * optional SLH-DSA-SHA2-128s (FIPS 205) long-term keys, and an encrypted, crash-safe keystore.
 *
 * @example
 * ```ts
 * import { Identity, createKeystore, loadMlDsa65Backend, verifySignature } from '@saorsa-gossip/identity'
 * import { DOMAIN } from '@saorsa-gossip/types'
 *
 * await loadMlDsa65Backend()                      // optional: about 16x faster sign and verify
 * const me = Identity.generate()
 * const body = new TextEncoder().encode('hello')
 * const sig = me.sign(DOMAIN.test, body)
 * verifySignature(me.publicKey, DOMAIN.test, body, sig) // true
 *
 * const keystore = createKeystore({ passphrase: 'correct horse battery staple' })
 * await keystore.create('laptop')                 // ~/.saorsa-gossip/keystore/laptop.key, mode 0600
 * const identity = await keystore.loadIdentity('laptop')
 * console.log(identity.peerId.toHex())
 * ```
 */
export { ALGORITHMS, type AlgorithmInfo, type KeyAlgorithm } from './algorithms.ts'
export { nobleMlDsa65, nobleMlDsa65Deterministic, type SignatureBackend } from './backend.ts'
export {
  AliasExistsError, AliasNotFoundError, InvalidKeyError, KeystoreCorruptError, KeystoreError, PassphraseRequiredError,
  WrongPassphraseError,
} from './errors.ts'
export {
  activeMlDsa65Backend, liboqsBackend, loadMlDsa65Backend,
  type LiboqsMlDsa65, type LiboqsSigModule, type LoadMlDsa65BackendOptions,
} from './fast-backend.ts'
export { Identity, verifySignature, type GenerateIdentityOptions, type IdentityOptions } from './identity.ts'
export { generateKey, keyFromBytes, verifyWithAlgorithm, type SigningKey } from './keys.ts'
export {
  assertAlias, createKeystore, keystoreDirectory, KEYSTORE_DIR_ENV, PASSPHRASE_ENV, STALE_TEMP_MS,
  type AbortOptions, type CreateKeyOptions, type KeyInfo, type KeyListEntry, type Keystore, type KeystoreInit,
  type PassphraseOptions, type WriteOptions,
} from './keystore.ts'
export {
  DEFAULT_KDF, deriveFileKey, INSECURE_TEST_KDF, openKeyFile, readKeyFileHeader, SCRYPT_KDF, sealKeyFile,
  type SealKeyFileOptions,
} from './keystore-crypto.ts'
export {
  decodeKeyFile, KEYSTORE_MAGIC, KEYSTORE_VERSION, keyFileLength,
  type Argon2idParams, type DecodedKeyFile, type KdfParams, type KeyFileHeader, type ScryptParams,
} from './keystore-format.ts'
export { nodeKeystoreFs, type KeystoreFileHandle, type KeystoreFs } from './keystore-fs.ts'
export { MAX_DOMAIN_LENGTH, signingInput } from './signing-input.ts'
export { SlhDsaKeyPair, verifySlhDsaSignature } from './slh-dsa.ts'
