/**
 * fs-shim tests of the atomic write sequence: write, fsync(file), rename or link, fsync(dir).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { INSECURE_TEST_KDF } from '../src/keystore-crypto.ts'
import { nodeKeystoreFs, writeFileAtomic, type KeystoreFileHandle, type KeystoreFs } from '../src/keystore-fs.ts'
import { createKeystore } from '../src/keystore.ts'
import { caught, tempDir } from './helpers.ts'

/** Wraps the real file system and records every durable step as a short string. */
function recordingFs(log: string[], overrides: Partial<KeystoreFs> = {}): KeystoreFs {
  const name = (path: string): string => (basename(path).endsWith('.tmp') ? 'temp' : basename(path).endsWith('.key') ? 'file' : 'dir')
  const wrap = (handle: KeystoreFileHandle, target: string): KeystoreFileHandle => ({
    writeFile: async (data) => { log.push(`write(${target})`); await handle.writeFile(data) },
    readFile: async () => handle.readFile(),
    stat: async () => handle.stat(),
    sync: async () => { log.push(`fsync(${target})`); await handle.sync() },
    close: async () => { log.push(`close(${target})`); await handle.close() },
  })
  return {
    ...nodeKeystoreFs,
    open: async (path, flags, mode) => wrap(await nodeKeystoreFs.open(path, flags, mode), name(path)),
    rename: async (from, to) => { log.push(`rename(${name(from)}->${name(to)})`); await nodeKeystoreFs.rename(from, to) },
    link: async (from, to) => { log.push(`link(${name(from)}->${name(to)})`); await nodeKeystoreFs.link(from, to) },
    unlink: async (path) => { log.push(`unlink(${name(path)})`); await nodeKeystoreFs.unlink(path) },
    ...overrides,
  }
}

const durableSteps = (log: string[]): string[] => log.filter((s) => !s.startsWith('close(dir') && !s.startsWith('close(file'))

describe('atomic keystore writes', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => ({ dir, cleanup } = await tempDir()))
  afterEach(async () => cleanup())

  it('replaces a key by write, fsync(file), rename, fsync(dir) in that order', async () => {
    const log: string[] = []
    const keystore = createKeystore({ directory: dir, passphrase: 'p', kdf: INSECURE_TEST_KDF, env: {}, fs: recordingFs(log) })
    await keystore.create('a')
    log.length = 0
    await keystore.create('a', { force: true })
    const writeSteps = durableSteps(log).filter((s) => !s.startsWith('close(temp'))
    expect(writeSteps.slice(0, 4)).toEqual(['write(temp)', 'fsync(temp)', 'rename(temp->file)', 'fsync(dir)'])
    expect(log.indexOf('close(temp)')).toBeLessThan(log.indexOf('rename(temp->file)'))
  })

  it('creates a key by write, fsync(file), link without overwrite, unlink(temp), fsync(dir)', async () => {
    const log: string[] = []
    const keystore = createKeystore({ directory: dir, passphrase: 'p', kdf: INSECURE_TEST_KDF, env: {}, fs: recordingFs(log) })
    await keystore.create('b')
    const steps = durableSteps(log).filter((s) => !s.startsWith('close(temp'))
    expect(steps.slice(0, 5)).toEqual(['write(temp)', 'fsync(temp)', 'link(temp->file)', 'unlink(temp)', 'fsync(dir)'])
    expect(await readdir(dir)).toEqual(['b.key'])
  })

  it('falls back to a checked rename where hard links are unsupported, still never overwriting', async () => {
    const log: string[] = []
    const noLinks = recordingFs(log, { link: async () => { throw Object.assign(new Error('no links'), { code: 'EPERM' }) } })
    expect(await writeFileAtomic(noLinks, dir, 'c.key', '.c.key.0000000000000000.tmp', new Uint8Array([1]), false)).toBe('written')
    expect(durableSteps(log).filter((s) => !s.startsWith('close(temp'))).toEqual(['write(temp)', 'fsync(temp)', 'rename(temp->file)', 'fsync(dir)'])
    expect(await writeFileAtomic(noLinks, dir, 'c.key', '.c.key.0000000000000001.tmp', new Uint8Array([2]), false)).toBe('exists')
    expect((await readdir(dir)).sort()).toEqual(['c.key'])
  })

  it('removes the temp file and leaves the old key when a write step fails', async () => {
    const keystore = createKeystore({ directory: dir, passphrase: 'p', kdf: INSECURE_TEST_KDF, env: {} })
    const { key } = await keystore.create('d')
    const failingSync = recordingFs([], {
      open: async (path, flags, mode) => {
        const handle = await nodeKeystoreFs.open(path, flags, mode)
        if (!basename(path).endsWith('.tmp')) return handle
        return {
          writeFile: (data: Uint8Array) => handle.writeFile(data),
          readFile: () => handle.readFile(),
          stat: () => handle.stat(),
          sync: async () => { throw Object.assign(new Error('disk full'), { code: 'ENOSPC' }) },
          close: () => handle.close(),
        }
      },
    })
    const broken = createKeystore({ directory: dir, passphrase: 'p', kdf: INSECURE_TEST_KDF, env: {}, fs: failingSync })
    expect(await caught(() => broken.create('d', { force: true }))).toMatchObject({ code: 'ENOSPC' })
    expect(await readdir(dir)).toEqual(['d.key'])
    expect((await keystore.loadIdentity('d')).peerId.equals(key.peerId)).toBe(true)
  })

  it('writes the file with mode 0600', async () => {
    await writeFileAtomic(nodeKeystoreFs, dir, 'e.key', '.e.key.0000000000000000.tmp', new Uint8Array([1]), true)
    expect((await stat(join(dir, 'e.key'))).mode & 0o777).toBe(0o600)
  })
})
