/**
 * Named error classes of the identity package (js-libp2p style: one small class per failure, `name`
 * set on the class so callers and tests can match on `err.name`). Keystore errors share the
 * `KeystoreError` base; SPEC.md section 4.6 says which file damage yields which class.
 */
import { SaorsaError } from '@saorsa-gossip/types'

/** Key bytes are malformed (wrong length or encoding) or a public key does not match its secret key. */
export class InvalidKeyError extends SaorsaError {
  override readonly name: string = 'InvalidKeyError'
}

/** Base class of every error the keystore raises on purpose. */
export class KeystoreError extends SaorsaError {
  override readonly name: string = 'KeystoreError'
}

/**
 * The file is intact (its checksum matches) but AEAD decryption failed: the passphrase is wrong, or
 * someone edited the file and recomputed its checksum. Under AEAD the two cannot be told apart.
 */
export class WrongPassphraseError extends KeystoreError {
  override readonly name: string = 'WrongPassphraseError'
  constructor(message = 'wrong passphrase or tampered file', options?: ErrorOptions) {
    super(message, options)
  }
}

/** The file is not a well-formed keystore file: bad magic, unknown version, wrong size, bad checksum, bad field. */
export class KeystoreCorruptError extends KeystoreError {
  override readonly name: string = 'KeystoreCorruptError'
  /** Name of the offending field (`"magic"`, `"checksum"`, `"kdf.cost"`), or `""` for the whole file. */
  readonly field: string
  constructor(message: string, field = '', options?: ErrorOptions) {
    super(field === '' ? `keystore file corrupt: ${message}` : `keystore file corrupt: ${field}: ${message}`, options)
    this.field = field
  }
}

/** No key is stored under this alias. */
export class AliasNotFoundError extends KeystoreError {
  override readonly name: string = 'AliasNotFoundError'
  readonly alias: string
  constructor(alias: string, options?: ErrorOptions) {
    super(`no key stored under alias "${alias}"`, options)
    this.alias = alias
  }
}

/** A key is already stored under this alias and `force` was not set. */
export class AliasExistsError extends KeystoreError {
  override readonly name: string = 'AliasExistsError'
  readonly alias: string
  constructor(alias: string, options?: ErrorOptions) {
    super(`a key is already stored under alias "${alias}" (pass force: true to replace it)`, options)
    this.alias = alias
  }
}

/** No passphrase was given as an option, in the keystore init, or in SAORSA_GOSSIP_PASSPHRASE. */
export class PassphraseRequiredError extends KeystoreError {
  override readonly name: string = 'PassphraseRequiredError'
  constructor(message = 'a passphrase is required: pass `passphrase` or set SAORSA_GOSSIP_PASSPHRASE', options?: ErrorOptions) {
    super(message, options)
  }
}
