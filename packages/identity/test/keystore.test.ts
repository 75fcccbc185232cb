/**
 * Tests of the keystore directory API: create/list/show/load/delete, aliases, modes, environment,
 * error classes, stale temp files.
 */
import { execFileSync } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '@saorsa-gossip/types'
import { Identity } from '../src/identity.ts'
import { INSECURE_TEST_KDF } from '../src/keystore-crypto.ts'
import { createKeystore, keystoreDirectory, STALE_TEMP_MS, type Keystore } from '../src/keystore.ts'
import { caught, seq, tempDir } from './helpers.ts'

const PASSPHRASE = 'keystore test passphrase'

describe('the keystore', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let keystore: Keystore
  let clock: ManualClock
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir())
    clock = new ManualClock(0, 1_700_000_000_000)
    keystore = createKeystore({ directory: join(dir, 'keys'), passphrase: PASSPHRASE, kdf: INSECURE_TEST_KDF, clock, env: {} })
  })
  afterEach(async () => cleanup())

  it('creates, lists, shows, loads and deletes keys', async () => {
    const { info, key } = await keystore.create('laptop')
    expect(info).toMatchObject({ alias: 'laptop', algorithm: 'ml-dsa-65', createdAtMs: 1_700_000_000_000, path: join(dir, 'keys', 'laptop.key') })
    expect(info.peerId.equals(key.peerId)).toBe(true)
    clock.advance(5)
    await keystore.create('root', { algorithm: 'slh-dsa-sha2-128s', seed: seq(48) })
    const listing = await keystore.list()
    expect(listing.map((e) => [e.alias, e.ok && e.info.algorithm])).toEqual([['laptop', 'ml-dsa-65'], ['root', 'slh-dsa-sha2-128s']])
    const shown = await keystore.show('root')
    expect(shown.createdAtMs).toBe(1_700_000_000_005)
    const loaded = await keystore.loadIdentity('laptop')
    expect(loaded.peerId.equals(key.peerId)).toBe(true)
    expect((await keystore.load('root')).algorithm).toBe('slh-dsa-sha2-128s')
    await keystore.delete('laptop')
    expect((await keystore.list()).map((e) => e.alias)).toEqual(['root'])
    expect(await caught(() => keystore.show('laptop'))).toMatchObject({ name: 'AliasNotFoundError', alias: 'laptop' })
    expect(await caught(() => keystore.delete('laptop'))).toMatchObject({ name: 'AliasNotFoundError' })
    expect(await caught(() => keystore.load('laptop'))).toMatchObject({ name: 'AliasNotFoundError' })
  })

  it('lists nothing for a directory that does not exist yet and shows without a passphrase', async () => {
    expect(await keystore.list()).toEqual([])
    await keystore.create('a')
    const noPassphrase = createKeystore({ directory: join(dir, 'keys'), env: {} })
    expect((await noPassphrase.show('a')).alias).toBe('a')
    expect(await caught(() => noPassphrase.load('a'))).toMatchObject({ name: 'PassphraseRequiredError' })
  })

  it('creates the directory with mode 0700 and files with mode 0600', async () => {
    await keystore.create('perm')
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700)
    expect((await stat(join(dir, 'keys', 'perm.key'))).mode & 0o777).toBe(0o600)
  })

  it('refuses to replace an existing alias without force and keeps the stored key', async () => {
    const { key } = await keystore.create('main')
    const before = await readFile(keystore.pathOf('main'))
    expect(await caught(() => keystore.create('main'))).toMatchObject({ name: 'AliasExistsError', alias: 'main' })
    expect(await caught(() => keystore.save('main', Identity.generate()))).toMatchObject({ name: 'AliasExistsError' })
    expect(Buffer.compare(await readFile(keystore.pathOf('main')), before)).toBe(0)
    const replaced = await keystore.create('main', { force: true })
    expect(replaced.key.peerId.equals(key.peerId)).toBe(false)
    expect((await keystore.loadIdentity('main')).peerId.equals(replaced.key.peerId)).toBe(true)
    expect((await readdir(join(dir, 'keys'))).sort()).toEqual(['main.key'])
  })

  it('saves an existing identity under an alias', async () => {
    const identity = Identity.generate({ seed: seq(32, 50) })
    const info = await keystore.save('imported', identity)
    expect(info.peerId.equals(identity.peerId)).toBe(true)
    expect((await keystore.loadIdentity('imported')).peerId.equals(identity.peerId)).toBe(true)
  })

  it('rejects invalid aliases, including path traversal, with an error naming the alias', async () => {
    for (const alias of ['', '.', '..', '../x', 'a/b', 'a\\b', '.hidden', 'x'.repeat(65), 'sp ace', 'caf\u00e9', 'nul\u0000']) {
      expect(await caught(() => keystore.create(alias))).toMatchObject({ name: 'InvalidParametersError', message: expect.stringMatching(/^alias: /) })
      expect(await caught(() => keystore.show(alias))).toMatchObject({ name: 'InvalidParametersError' })
    }
    await keystore.create('x'.repeat(64))
    await keystore.create('A-b_c.9')
    expect((await keystore.list()).length).toBe(2)
  })

  it('reads the directory and passphrase from the environment, options taking precedence', async () => {
    const env = { SAORSA_GOSSIP_KEYSTORE: join(dir, 'from-env'), SAORSA_GOSSIP_PASSPHRASE: 'env passphrase' }
    const fromEnv = createKeystore({ env, kdf: INSECURE_TEST_KDF })
    expect(fromEnv.directory).toBe(join(dir, 'from-env'))
    await fromEnv.create('e')
    expect(await caught(() => fromEnv.load('e', { passphrase: 'other' }))).toMatchObject({ name: 'WrongPassphraseError' })
    expect((await fromEnv.load('e')).algorithm).toBe('ml-dsa-65')
    expect(createKeystore({ env, directory: join(dir, 'explicit') }).directory).toBe(join(dir, 'explicit'))
    expect(keystoreDirectory({ env: {} })).toBe(join(homedir(), '.saorsa-gossip', 'keystore'))
  })

  it('reports a wrong passphrase as WrongPassphraseError and loadIdentity of an SLH-DSA key as InvalidKeyError', async () => {
    await keystore.create('k')
    expect(await caught(() => keystore.load('k', { passphrase: 'nope' }))).toMatchObject({ name: 'WrongPassphraseError' })
    await keystore.create('slh', { algorithm: 'slh-dsa-sha2-128s', seed: seq(48, 1) })
    expect(await caught(() => keystore.loadIdentity('slh'))).toMatchObject({ name: 'InvalidKeyError' })
  })

  it('lists a damaged file with its error instead of failing or hiding it', async () => {
    await keystore.create('good')
    await keystore.create('bad')
    const bytes = await readFile(keystore.pathOf('bad'))
    bytes[100] = bytes[100]! ^ 1
    await writeFile(keystore.pathOf('bad'), bytes)
    const listing = await keystore.list()
    expect(listing.map((e) => [e.alias, e.ok])).toEqual([['bad', false], ['good', true]])
    expect(listing[0]).toMatchObject({ ok: false, error: { name: 'KeystoreCorruptError', field: 'checksum' } })
    expect(await caught(() => keystore.load('bad'))).toMatchObject({ name: 'KeystoreCorruptError' })
    await mkdir(join(dir, 'keys', 'folder.key'))
    expect((await keystore.list()).find((e) => e.alias === 'folder')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/not a regular file/) } })
  })

  it('lists a FIFO planted in the keystore as damaged at once instead of waiting for a writer', async () => {
    await keystore.create('good')
    execFileSync('mkfifo', [join(dir, 'keys', 'pipe.key')])
    const listing = await keystore.list()
    expect(listing.map((e) => [e.alias, e.ok])).toEqual([['good', true], ['pipe', false]])
    expect(listing[1]).toMatchObject({ ok: false, error: { name: 'KeystoreCorruptError', message: expect.stringMatching(/not a regular file/) } })
    expect(await caught(() => keystore.load('pipe'))).toMatchObject({ name: 'KeystoreCorruptError' })
  })

  it('refuses to read a file larger than the cap', async () => {
    await keystore.create('big')
    await writeFile(keystore.pathOf('big'), new Uint8Array(64 * 1024 + 1))
    expect(await caught(() => keystore.show('big'))).toMatchObject({ name: 'KeystoreCorruptError', message: expect.stringMatching(/cap/) })
  })

  it('ignores temp files and unrelated names when listing and removes stale temp files of an alias it writes', async () => {
    await keystore.create('t')
    const keys = join(dir, 'keys')
    const stale = join(keys, '.t.key.0123456789abcdef.tmp')
    const fresh = join(keys, '.t.key.fedcba9876543210.tmp')
    await writeFile(stale, 'partial')
    await writeFile(fresh, 'partial')
    await writeFile(join(keys, 'notes.txt'), 'hello')
    await writeFile(join(keys, '.hidden.key'), 'hello')
    expect((await keystore.list()).map((e) => e.alias)).toEqual(['t'])
    const old = new Date(Date.now() - STALE_TEMP_MS - 5_000)
    await utimes(stale, old, old)
    const realClock = createKeystore({ directory: keys, passphrase: PASSPHRASE, kdf: INSECURE_TEST_KDF, env: {} })
    await realClock.create('t', { force: true })
    expect((await readdir(keys)).sort()).toEqual(['.hidden.key', '.t.key.fedcba9876543210.tmp', 'notes.txt', 't.key'])
  })

  it('rejects a missing passphrase, invalid options and aborted signals with typed errors', async () => {
    const bare = createKeystore({ directory: join(dir, 'keys'), env: {}, kdf: INSECURE_TEST_KDF })
    expect(await caught(() => bare.create('x'))).toMatchObject({ name: 'PassphraseRequiredError' })
    expect(await caught(() => keystore.create('x', { algorithm: 'rsa' as 'ml-dsa-65' }))).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/^options\.algorithm:/) })
    expect(() => createKeystore({ kdf: { kdf: 'argon2id', m: 1, t: 1, p: 1 } })).toThrow(/^init\.kdf: argon2id m/)
    const controller = new AbortController()
    controller.abort()
    for (const call of [
      () => keystore.create('x', { signal: controller.signal }),
      () => keystore.list({ signal: controller.signal }),
      () => keystore.show('x', { signal: controller.signal }),
      () => keystore.load('x', { signal: controller.signal }),
      () => keystore.delete('x', { signal: controller.signal }),
    ]) {
      expect(await caught(call)).toMatchObject({ name: 'AbortError' })
    }
    expect(await readdir(dir)).toEqual([])
  })
})
