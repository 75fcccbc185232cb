/**
 * Group state at rest (docs/architecture.md section 8, SPEC.md 10.6): one file per group, sealed with
 * ChaCha20-Poly1305 under a key derived from the node's ML-DSA-65 secret key with BLAKE3 derive-key,
 * replaced atomically (temp file, fsync, rename, fsync directory). ts-mls encodes a group as one
 * blob per epoch, so an embedded key-value store would add nothing over an atomic file replace.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { blake3 } from '@noble/hashes/blake3.js'
import type { Identity } from '@saorsa-gossip/identity'
import { bytesEqual, concatBytes, decodeCbor, DecodeError, encodeCbor, fromHex, schema as s, throwIfAborted, toHex, utf8 } from '@saorsa-gossip/types'
import { decodeGroupState, encodeGroupState } from 'ts-mls'
import { MAX_GROUP_ID_BYTES, MAX_KEY_PACKAGE_BYTES } from './codec.ts'
import { GroupStateCorruptError, UnknownGroupError } from './errors.ts'
import type { KeyPackageBundle } from './key-package.ts'
import { decodeKeyPackageMessage } from './mls-bytes.ts'
import type { SessionSnapshot } from './session.ts'
import type { EpochKey } from './topic-crypto.ts'

export const STATE_MAGIC = utf8('SGGS')
export const STATE_VERSION = 1
const KEY_CONTEXT = 'saorsa-gossip/groups/state-key/v1'
const HEADER_BYTES = STATE_MAGIC.length + 1 + 12
const FILE_SUFFIX = '.group'
/** A 1,000-member PQ group state is about 14 MB; 256 MiB bounds what a damaged file can make us allocate. */
export const MAX_STATE_FILE_BYTES = 256 * 1024 * 1024
/** Temp files older than this belong to a writer that died (the keystore's rule). */
export const STALE_TEMP_MS = 60_000

/** The at-rest key: BLAKE3 derive-key("saorsa-gossip/groups/state-key/v1", ML-DSA-65 secret key). */
export function deriveStateKey(identity: Identity): Uint8Array {
  const secret = identity.exportSecretKey()
  try {
    return blake3(secret, { context: utf8(KEY_CONTEXT) })
  } finally {
    secret.fill(0)
  }
}

const recordSchema = s.object({
  v: s.literal(STATE_VERSION),
  g: s.bytes({ min: 1, max: MAX_GROUP_ID_BYTES }),
  s: s.uint({ max: 0xffff }),
  st: s.bytes({ min: 1, max: MAX_STATE_FILE_BYTES }),
  k: s.array(s.object({ e: s.uint(), k: s.bytes({ length: 32 }), x: s.optional(s.uint()) }), { max: 16 }),
})

/** A decoded state file. */
export interface StoredGroup {
  readonly groupId: Uint8Array
  readonly suiteId: number
  readonly snapshot: SessionSnapshot
}

/** Seals a session snapshot into file bytes: magic | version | nonce | ChaCha20-Poly1305(CBOR record), header as AAD. */
export function sealGroupState(key: Uint8Array, suiteId: number, snapshot: SessionSnapshot, nonce: Uint8Array = randomBytes(12)): Uint8Array {
  const record = encodeCbor({
    v: STATE_VERSION,
    g: snapshot.state.groupContext.groupId,
    s: suiteId,
    st: encodeGroupState(snapshot.state),
    k: snapshot.epochKeys.map((e) => (e.endedAtMs === undefined ? { e: e.epoch, k: e.key } : { e: e.epoch, k: e.key, x: e.endedAtMs })),
  })
  return sealRecord(key, record, nonce)
}

function sealRecord(key: Uint8Array, record: Uint8Array, nonce: Uint8Array): Uint8Array {
  const header = concatBytes(STATE_MAGIC, new Uint8Array([STATE_VERSION]), nonce)
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  cipher.setAAD(header, { plaintextLength: record.length })
  return concatBytes(header, cipher.update(record), cipher.final(), cipher.getAuthTag())
}

function openRecord(key: Uint8Array, bytes: Uint8Array): Uint8Array {
  if (bytes.length < HEADER_BYTES + 16 || !bytesEqual(bytes.subarray(0, 4), STATE_MAGIC)) {
    throw new GroupStateCorruptError('state file: bad magic or truncated')
  }
  if (bytes[4] !== STATE_VERSION) throw new GroupStateCorruptError(`state file: unknown version ${bytes[4]}`)
  const header = bytes.subarray(0, HEADER_BYTES)
  const body = bytes.subarray(HEADER_BYTES, bytes.length - 16)
  try {
    const decipher = createDecipheriv('chacha20-poly1305', key, header.subarray(5), { authTagLength: 16 })
    decipher.setAAD(header, { plaintextLength: body.length })
    decipher.setAuthTag(bytes.subarray(bytes.length - 16))
    return new Uint8Array(concatBytes(decipher.update(body), decipher.final()))
  } catch (err) {
    throw new GroupStateCorruptError('state file: authentication failed (damaged, or sealed under another identity)', { cause: err })
  }
}

/** Opens file bytes; throws `GroupStateCorruptError` for any damage or a file sealed under another key. */
export function openGroupState(key: Uint8Array, bytes: Uint8Array): StoredGroup {
  const record = openRecord(key, bytes)
  let decoded
  try {
    decoded = decodeCbor(record, recordSchema, { maxBytes: MAX_STATE_FILE_BYTES })
  } catch (err) {
    if (err instanceof DecodeError) throw new GroupStateCorruptError(`state file: ${err.message}`, { cause: err })
    throw err
  }
  let state
  try {
    const result = decodeGroupState(decoded.st, 0)
    if (result === undefined || result[1] !== decoded.st.length) throw new Error('group state did not decode exactly')
    state = result[0]
  } catch (err) {
    throw new GroupStateCorruptError('state file: MLS state did not decode', { cause: err })
  }
  if (!bytesEqual(state.groupContext.groupId, decoded.g)) throw new GroupStateCorruptError('state file: group id mismatch')
  const epochKeys: EpochKey[] = decoded.k.map((e) => ({ epoch: e.e, key: e.k, endedAtMs: e.x }))
  return { groupId: decoded.g, suiteId: decoded.s, snapshot: { state: { ...state, clientConfig: undefined as never }, epochKeys } }
}

/** Key packages waiting for a Welcome, kept so a restart between publishing and joining loses nothing. */
export const MAX_STORED_KEY_PACKAGES = 64
const KEY_PACKAGES_FILE = 'key-packages.bin'

const bundlesSchema = s.object({
  v: s.literal(STATE_VERSION),
  b: s.array(s.object({
    p: s.bytes({ min: 1, max: MAX_KEY_PACKAGE_BYTES }),
    i: s.bytes({ min: 1, max: 4096 }),
    h: s.bytes({ min: 1, max: 4096 }),
    s: s.bytes({ min: 1, max: 8192 }),
  }), { max: MAX_STORED_KEY_PACKAGES }),
})

/** Seals key package bundles with the state key (same file format as a group state). */
function sealBundles(key: Uint8Array, bundles: readonly KeyPackageBundle[]): Uint8Array {
  const record = encodeCbor({
    v: STATE_VERSION,
    b: bundles.map((b) => ({ p: b.bytes, i: b.privateKeys.initPrivateKey, h: b.privateKeys.hpkePrivateKey, s: b.privateKeys.signaturePrivateKey })),
  })
  return sealRecord(key, record, randomBytes(12))
}

function openBundles(key: Uint8Array, bytes: Uint8Array): KeyPackageBundle[] {
  const record = openRecord(key, bytes)
  let decoded
  try {
    decoded = decodeCbor(record, bundlesSchema, { maxBytes: bytes.length })
  } catch (err) {
    if (err instanceof DecodeError) throw new GroupStateCorruptError(`key package file: ${err.message}`, { cause: err })
    throw err
  }
  return decoded.b.map((b) => ({
    keyPackage: decodeKeyPackageMessage(b.p, GroupStateCorruptError),
    privateKeys: { initPrivateKey: b.i, hpkePrivateKey: b.h, signaturePrivateKey: b.s },
    bytes: b.p,
  }))
}

export interface GroupStoreInit {
  readonly directory: string
  readonly identity: Identity
}

/** Encrypted, crash-safe group state files in one directory. */
export interface GroupStore {
  save(suiteId: number, snapshot: SessionSnapshot, options?: { signal?: AbortSignal }): Promise<void>
  load(groupId: Uint8Array, options?: { signal?: AbortSignal }): Promise<StoredGroup>
  /** Group ids with a state file (damaged files included; `load` reports them). */
  list(options?: { signal?: AbortSignal }): Promise<Uint8Array[]>
  remove(groupId: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>
  /** Replaces the stored key packages that wait for a Welcome (at most 64). */
  saveKeyPackages(bundles: readonly KeyPackageBundle[], options?: { signal?: AbortSignal }): Promise<void>
  loadKeyPackages(options?: { signal?: AbortSignal }): Promise<KeyPackageBundle[]>
}

/** Temp file in the same directory, fsync, rename over the target, fsync the directory. */
async function writeAtomic(target: string, data: Uint8Array): Promise<void> {
  const temp = `${target}.${toHex(randomBytes(6))}.tmp`
  const handle = await fs.open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.rename(temp, target)
  const dir = await fs.open(dirname(target), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

export function createGroupStore(init: GroupStoreInit): GroupStore {
  const key = deriveStateKey(init.identity)
  const { directory } = init
  const pathOf = (groupId: Uint8Array): string => join(directory, `${toHex(groupId)}${FILE_SUFFIX}`)
  let prepared: Promise<void> | undefined

  const prepare = (): Promise<void> => {
    prepared ??= (async () => {
      await fs.mkdir(directory, { recursive: true, mode: 0o700 })
      const now = Date.now()
      for (const name of await fs.readdir(directory)) {
        if (!name.endsWith('.tmp')) continue
        const stat = await fs.stat(join(directory, name)).catch(() => undefined)
        if (stat !== undefined && now - stat.mtimeMs > STALE_TEMP_MS) await fs.unlink(join(directory, name)).catch(() => undefined)
      }
    })()
    return prepared
  }

  return {
    async save(suiteId, snapshot, options = {}) {
      throwIfAborted(options.signal)
      await prepare()
      await writeAtomic(pathOf(snapshot.state.groupContext.groupId), sealGroupState(key, suiteId, snapshot))
    },

    async load(groupId, options = {}) {
      throwIfAborted(options.signal)
      let handle
      try {
        handle = await fs.open(pathOf(groupId), 'r')
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') throw new UnknownGroupError(`group ${toHex(groupId).slice(0, 8)}: no state file`)
        throw err
      }
      try {
        const stat = await handle.stat()
        if (!stat.isFile()) throw new GroupStateCorruptError('state file: not a regular file')
        if (stat.size > MAX_STATE_FILE_BYTES) throw new GroupStateCorruptError(`state file: ${stat.size} bytes, over the cap`)
        const stored = openGroupState(key, new Uint8Array(await handle.readFile()))
        if (!bytesEqual(stored.groupId, groupId)) throw new GroupStateCorruptError('state file: holds another group')
        return stored
      } finally {
        await handle.close()
      }
    },

    async list(options = {}) {
      throwIfAborted(options.signal)
      await prepare()
      const out: Uint8Array[] = []
      for (const name of (await fs.readdir(directory)).sort()) {
        const hex = name.slice(0, -FILE_SUFFIX.length)
        if (name.endsWith(FILE_SUFFIX) && /^[0-9a-f]+$/.test(hex) && hex.length % 2 === 0 && hex.length <= 2 * MAX_GROUP_ID_BYTES) {
          out.push(fromHex(hex))
        }
      }
      return out
    },

    async remove(groupId, options = {}) {
      throwIfAborted(options.signal)
      await fs.rm(pathOf(groupId), { force: true })
    },

    async saveKeyPackages(bundles, options = {}) {
      throwIfAborted(options.signal)
      if (bundles.length > MAX_STORED_KEY_PACKAGES) throw new RangeError(`bundles: at most ${MAX_STORED_KEY_PACKAGES}`)
      await prepare()
      await writeAtomic(join(directory, KEY_PACKAGES_FILE), sealBundles(key, bundles))
    },

    async loadKeyPackages(options = {}) {
      throwIfAborted(options.signal)
      let bytes: Uint8Array
      try {
        bytes = new Uint8Array(await fs.readFile(join(directory, KEY_PACKAGES_FILE)))
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return []
        throw err
      }
      return openBundles(key, bytes)
    },
  }
}
