/**
 * The keystore: encrypted key files under aliases in one directory (default `~/.saorsa-gossip/keystore`,
 * or SAORSA_GOSSIP_KEYSTORE), one file `<alias>.key` per key (format: keystore-format.ts, SPEC.md
 * section 4.5). Writes are atomic; creating never replaces an existing key unless `force` is set.
 * Listing and showing read only the public header, so they need no passphrase.
 */
import { randomBytes } from '@noble/hashes/utils.js'
import { copyBytes, InvalidParametersError, LIMITS, systemClock, throwIfAborted, toHex, type AbortOptions, type Clock, type PeerId } from '@saorsa-gossip/types'
import { homedir } from 'node:os'
import { constants as fsConstants } from 'node:fs'
import { join, resolve } from 'node:path'
import { algorithmInfo, type KeyAlgorithm } from './algorithms.ts'
import { AliasExistsError, AliasNotFoundError, InvalidKeyError, KeystoreCorruptError, PassphraseRequiredError } from './errors.ts'
import { Identity } from './identity.ts'
import { assertKdfParams, DEFAULT_KDF, openKeyFile, sealKeyFile } from './keystore-crypto.ts'
import { decodeKeyFile, type KdfParams } from './keystore-format.ts'
import { errorCode, nodeKeystoreFs, writeFileAtomic, type KeystoreFs } from './keystore-fs.ts'
import { generateKey, type SigningKey } from './keys.ts'

export const KEYSTORE_DIR_ENV = 'SAORSA_GOSSIP_KEYSTORE'
export const PASSPHRASE_ENV = 'SAORSA_GOSSIP_PASSPHRASE'
const FILE_SUFFIX = '.key'
/** Aliases: 1..64 of [A-Za-z0-9._-], not starting with '.', so no alias is '.', '..', hidden or a path. */
const ALIAS_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/
const TEMP_PATTERN = /^\.([A-Za-z0-9_-][A-Za-z0-9._-]{0,63})\.key\.[0-9a-f]{16}\.tmp$/
/** A temp file older than this was left by a writer that crashed; younger ones may belong to a live writer. */
/** Read-only, never blocking on a FIFO or device, never becoming a controlling terminal. */
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOCTTY ?? 0)
export const STALE_TEMP_MS = 60_000

export interface KeystoreInit {
  /** Directory of key files; default `$SAORSA_GOSSIP_KEYSTORE`, else `~/.saorsa-gossip/keystore`. */
  directory?: string
  /** Passphrase used when a call gives none; default `$SAORSA_GOSSIP_PASSPHRASE`. */
  passphrase?: string | Uint8Array
  /** KDF parameters for new files; default `DEFAULT_KDF` (Argon2id, m = 19 MiB, t = 2, p = 1). */
  kdf?: KdfParams
  /** Environment to read the two variables from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  /** Source of creation times; default the system clock. */
  clock?: Clock
  /** File operations; default `node:fs/promises`. */
  fs?: KeystoreFs
}

/** Public information about a stored key, read without the passphrase. */
export interface KeyInfo {
  readonly alias: string
  readonly algorithm: KeyAlgorithm
  readonly peerId: PeerId
  readonly publicKey: Uint8Array
  /** Unix milliseconds. */
  readonly createdAtMs: number
  readonly kdf: KdfParams
  readonly path: string
}

/** One `list()` row: the key's public information, or why its file could not be read. */
export type KeyListEntry =
  | { readonly alias: string; readonly ok: true; readonly info: KeyInfo }
  | { readonly alias: string; readonly ok: false; readonly error: KeystoreCorruptError }

/** The shared options bag of `@saorsa-gossip/types`, re-exported for existing imports. */
export type { AbortOptions }
export interface PassphraseOptions extends AbortOptions { passphrase?: string | Uint8Array }
export interface WriteOptions extends PassphraseOptions {
  /** Replace a key already stored under the alias (default false: `AliasExistsError`). */
  force?: boolean
}
export interface CreateKeyOptions extends WriteOptions {
  /** Default `'ml-dsa-65'`. */
  algorithm?: KeyAlgorithm
  /** Seed for deterministic key generation (32 bytes for ML-DSA-65, 48 for SLH-DSA). */
  seed?: Uint8Array
}

export interface Keystore {
  /** Absolute path of the key directory. */
  readonly directory: string
  /** Generates a key, stores it encrypted under `alias` and returns it. */
  create(alias: string, options?: CreateKeyOptions): Promise<{ info: KeyInfo; key: SigningKey }>
  /** Stores an existing key under `alias`. */
  save(alias: string, key: SigningKey, options?: WriteOptions): Promise<KeyInfo>
  /** Every stored alias in sorted order, with public information or the reason the file is unreadable. */
  list(options?: AbortOptions): Promise<KeyListEntry[]>
  /** Public information about one key; no passphrase needed. */
  show(alias: string, options?: AbortOptions): Promise<KeyInfo>
  /** Decrypts and returns the key stored under `alias`. */
  load(alias: string, options?: PassphraseOptions): Promise<SigningKey>
  /** Like `load`, but requires an ML-DSA-65 key (throws `InvalidKeyError` otherwise). */
  loadIdentity(alias: string, options?: PassphraseOptions): Promise<Identity>
  /** Removes the key stored under `alias`. */
  delete(alias: string, options?: AbortOptions): Promise<void>
  /** Path of the file that holds (or would hold) `alias`. */
  pathOf(alias: string): string
}

/** Throws `InvalidParametersError` naming `alias` unless it is 1..64 characters of [A-Za-z0-9._-] not starting with '.'. */
export function assertAlias(alias: unknown): asserts alias is string {
  if (typeof alias !== 'string') throw new InvalidParametersError(`alias: expected a string, got ${typeof alias}`)
  if (alias.length < 1 || alias.length > LIMITS.maxAliasLength) {
    throw new InvalidParametersError(`alias: expected 1..${LIMITS.maxAliasLength} characters, got ${alias.length}`)
  }
  if (!ALIAS_PATTERN.test(alias)) {
    throw new InvalidParametersError(`alias: "${alias}" may contain only A-Z a-z 0-9 . _ - and must not start with '.'`)
  }
}

/** The keystore directory chosen by `init`, the environment, or the default. */
export function keystoreDirectory(init: Pick<KeystoreInit, 'directory' | 'env'> = {}): string {
  const env = init.env ?? process.env
  const chosen = init.directory ?? env[KEYSTORE_DIR_ENV]
  return resolve(chosen !== undefined && chosen !== '' ? chosen : join(homedir(), '.saorsa-gossip', 'keystore'))
}

class FileKeystore implements Keystore {
  readonly directory: string
  readonly #init: KeystoreInit
  readonly #fs: KeystoreFs
  readonly #clock: Clock
  readonly #kdf: KdfParams
  #directoryReady = false

  constructor(init: KeystoreInit) {
    if (init.kdf !== undefined) assertKdfParams(init.kdf, 'init.kdf')
    this.directory = keystoreDirectory(init)
    this.#init = init
    this.#fs = init.fs ?? nodeKeystoreFs
    this.#clock = init.clock ?? systemClock
    this.#kdf = init.kdf ?? DEFAULT_KDF
  }

  pathOf(alias: string): string {
    assertAlias(alias)
    return join(this.directory, alias + FILE_SUFFIX)
  }

  async create(alias: string, options: CreateKeyOptions = {}): Promise<{ info: KeyInfo; key: SigningKey }> {
    assertAlias(alias)
    const algorithm = algorithmInfo(options.algorithm ?? 'ml-dsa-65', 'options.algorithm').algorithm
    const passphrase = this.#passphrase(options)
    throwIfAborted(options.signal)
    if (options.force !== true && await this.#exists(alias)) throw new AliasExistsError(alias)
    const key = generateKey(algorithm, options.seed === undefined ? {} : { seed: options.seed })
    const info = await this.#write(alias, key, passphrase, options)
    return { info, key }
  }

  async save(alias: string, key: SigningKey, options: WriteOptions = {}): Promise<KeyInfo> {
    assertAlias(alias)
    if (!(key instanceof Identity) && key?.algorithm !== 'slh-dsa-sha2-128s') {
      throw new TypeError('key: expected an Identity or SlhDsaKeyPair')
    }
    return this.#write(alias, key, this.#passphrase(options), options)
  }

  async list(options: AbortOptions = {}): Promise<KeyListEntry[]> {
    throwIfAborted(options.signal)
    let names: string[]
    try {
      names = await this.#fs.readdir(this.directory)
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return []
      throw err
    }
    const aliases = names
      .filter((name) => name.endsWith(FILE_SUFFIX))
      .map((name) => name.slice(0, -FILE_SUFFIX.length))
      .filter((alias) => ALIAS_PATTERN.test(alias))
      .sort()
    const entries: KeyListEntry[] = []
    for (const alias of aliases) {
      throwIfAborted(options.signal)
      try {
        entries.push({ alias, ok: true, info: await this.show(alias) })
      } catch (err) {
        if (err instanceof KeystoreCorruptError) entries.push({ alias, ok: false, error: err })
        else if (!(err instanceof AliasNotFoundError)) throw err
      }
    }
    return entries
  }

  async show(alias: string, options: AbortOptions = {}): Promise<KeyInfo> {
    assertAlias(alias)
    throwIfAborted(options.signal)
    return this.#info(alias, decodeKeyFile(await this.#read(alias)).header)
  }

  async load(alias: string, options: PassphraseOptions = {}): Promise<SigningKey> {
    assertAlias(alias)
    const passphrase = this.#passphrase(options)
    throwIfAborted(options.signal)
    const bytes = await this.#read(alias)
    return openKeyFile(bytes, passphrase, options.signal === undefined ? {} : { signal: options.signal })
  }

  async loadIdentity(alias: string, options: PassphraseOptions = {}): Promise<Identity> {
    const key = await this.load(alias, options)
    if (!(key instanceof Identity)) {
      throw new InvalidKeyError(`alias "${alias}" holds a ${key.algorithm} key, not an ML-DSA-65 identity`)
    }
    return key
  }

  async delete(alias: string, options: AbortOptions = {}): Promise<void> {
    assertAlias(alias)
    throwIfAborted(options.signal)
    try {
      await this.#fs.unlink(this.pathOf(alias))
    } catch (err) {
      if (errorCode(err) === 'ENOENT') throw new AliasNotFoundError(alias, { cause: err })
      throw err
    }
    await this.#removeStaleTemps(alias)
  }

  #passphrase(options: PassphraseOptions): string | Uint8Array {
    const passphrase = options.passphrase ?? this.#init.passphrase ?? (this.#init.env ?? process.env)[PASSPHRASE_ENV]
    if (passphrase === undefined || passphrase === '') throw new PassphraseRequiredError()
    return passphrase
  }

  async #write(alias: string, key: SigningKey, passphrase: string | Uint8Array, options: WriteOptions): Promise<KeyInfo> {
    const file = await sealKeyFile(key, passphrase, {
      kdf: this.#kdf,
      createdAtMs: this.#clock.wallNow(),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
    throwIfAborted(options.signal)
    await this.#ensureDirectory()
    const tempName = `.${alias}${FILE_SUFFIX}.${toHex(randomBytes(8))}.tmp`
    const outcome = await writeFileAtomic(this.#fs, this.directory, alias + FILE_SUFFIX, tempName, file, options.force === true)
    if (outcome === 'exists') throw new AliasExistsError(alias)
    await this.#removeStaleTemps(alias)
    return this.#info(alias, decodeKeyFile(file).header)
  }

  async #ensureDirectory(): Promise<void> {
    if (this.#directoryReady) return
    const created = await this.#fs.mkdir(this.directory, { recursive: true, mode: 0o700 })
    // mkdir applies the process umask; a directory this keystore created is made owner-only explicitly.
    if (created !== undefined) await this.#fs.chmod(this.directory, 0o700)
    this.#directoryReady = true
  }

  async #read(alias: string): Promise<Uint8Array> {
    let handle
    try {
      // Non-blocking: a FIFO planted in the keystore must not hang the reader (stat then refuses it).
      handle = await this.#fs.open(this.pathOf(alias), READ_FLAGS)
    } catch (err) {
      if (errorCode(err) === 'ENOENT') throw new AliasNotFoundError(alias, { cause: err })
      throw err
    }
    try {
      const stats = await handle.stat()
      if (!stats.isFile()) throw new KeystoreCorruptError('not a regular file')
      if (stats.size > LIMITS.maxKeystoreFileBytes) {
        throw new KeystoreCorruptError(`${stats.size} bytes exceeds the ${LIMITS.maxKeystoreFileBytes}-byte cap`)
      }
      return copyBytes(await handle.readFile())
    } finally {
      await handle.close()
    }
  }

  async #exists(alias: string): Promise<boolean> {
    try {
      await this.#fs.stat(this.pathOf(alias))
      return true
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false
      throw err
    }
  }

  /** Removes temp files of `alias` left by crashed writers (older than `STALE_TEMP_MS`). */
  async #removeStaleTemps(alias: string): Promise<void> {
    let names: string[]
    try {
      names = await this.#fs.readdir(this.directory)
    } catch {
      return
    }
    const now = this.#clock.wallNow()
    for (const name of names) {
      if (TEMP_PATTERN.exec(name)?.[1] !== alias) continue
      const path = join(this.directory, name)
      try {
        if (now - (await this.#fs.stat(path)).mtimeMs > STALE_TEMP_MS) await this.#fs.unlink(path)
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw err
      }
    }
  }

  #info(alias: string, header: ReturnType<typeof decodeKeyFile>['header']): KeyInfo {
    return Object.freeze({
      alias,
      algorithm: header.algorithm,
      peerId: header.peerId,
      publicKey: header.publicKey,
      createdAtMs: header.createdAtMs,
      kdf: header.kdf,
      path: this.pathOf(alias),
    })
  }
}

/** Opens (lazily creates) a keystore directory. Nothing touches the disk until a method is called. */
export function createKeystore(init: KeystoreInit = {}): Keystore {
  return new FileKeystore(init)
}
