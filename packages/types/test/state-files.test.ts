import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileRefusedError, readRegularFile, removeStaleTempFiles, tempFilePattern, writeFileAtomic } from '../src/fs/index.ts'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'sg-state-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('state files', () => {
  it('reads back what an atomic write stored, with owner-only permissions and no temp file left', async () => {
    const path = join(dir, 'state.cbor')
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]))
    await writeFileAtomic(path, new Uint8Array([4, 5]))
    expect(await readRegularFile(path, { maxBytes: 10 })).toEqual(new Uint8Array([4, 5]))
    expect(await readdir(dir)).toEqual(['state.cbor'])
  })

  it('returns undefined for a missing file', async () => {
    expect(await readRegularFile(join(dir, 'absent'), { maxBytes: 10 })).toBeUndefined()
  })

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const path = join(dir, 'peers.cbor')
    execFileSync('mkfifo', [path])
    const error = await readRegularFile(path, { maxBytes: 1024 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FileRefusedError)
    expect((error as FileRefusedError).reason).toBe('not-regular')
  })

  it('refuses a directory and an oversized file before reading them', async () => {
    await mkdir(join(dir, 'sub'))
    await expect(readRegularFile(join(dir, 'sub'), { maxBytes: 1024 })).rejects.toMatchObject({ name: 'FileRefusedError', reason: 'not-regular' })
    await writeFile(join(dir, 'big'), new Uint8Array(2048))
    await expect(readRegularFile(join(dir, 'big'), { maxBytes: 1024 })).rejects.toMatchObject({ name: 'FileRefusedError', reason: 'too-large' })
  })

  it('removes only stale temp files of the named target', async () => {
    const path = join(dir, 'config.json')
    const stale = '.config.json.0123456789ab.tmp'
    const fresh = '.config.json.ba9876543210.tmp'
    const other = '.peers.cbor.0123456789ab.tmp'
    for (const name of [stale, fresh, other, 'config.json']) await writeFile(join(dir, name), 'x')
    const old = new Date(Date.now() - 3_600_000)
    await utimes(join(dir, stale), old, old)
    await utimes(join(dir, other), old, old)
    expect(await removeStaleTempFiles(path)).toBe(1)
    expect((await readdir(dir)).sort()).toEqual([other, fresh, 'config.json'].sort())
    expect(tempFilePattern('config.json').test(fresh)).toBe(true)
    expect(tempFilePattern('config.json').test('.config.jsonX0123456789ab.tmp')).toBe(false)
    expect(await readFile(join(dir, 'config.json'), 'utf8')).toBe('x')
  })
})
