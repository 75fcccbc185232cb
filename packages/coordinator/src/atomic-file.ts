/**
 * Crash-safe small-file state (docs/architecture.md sections 6 and 8): write `.<name>.<hex>.tmp` next to the
 * target, fsync it, rename it over the target, fsync the directory. Readers see the old or the new
 * content, never a torn file. Paths that name anything but a regular file are refused, and temp files
 * left by a crashed writer are removed at start.
 */
import { lstat, open, readdir, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { DecodeError } from '@saorsa-gossip/types'
import { CacheFileError } from './errors.ts'

/** A temp file older than this belongs to a writer that died (a live write takes milliseconds). */
export const STALE_TEMP_MS = 60_000

/**
 * Reads `path`; `undefined` if absent. Throws CacheFileError for a non-regular file and DecodeError for
 * one over `maxBytes` (checked on the size before reading, so a huge file is never loaded).
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
  let stats
  try {
    stats = await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (!stats.isFile()) throw new CacheFileError(`${path}: not a regular file; refusing to read or replace it`)
  if (stats.size > maxBytes) throw new DecodeError(`file of ${stats.size} bytes exceeds cap ${maxBytes}`)
  const handle = await open(path, 'r')
  try {
    const buffer = await handle.readFile()
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  } finally {
    await handle.close()
  }
}

/** Replaces `path` with `data` atomically and durably (mode 0600: node state is private). */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  try {
    if (!(await lstat(path)).isFile()) throw new CacheFileError(`${path}: not a regular file; refusing to replace it`)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await rm(temp, { force: true })
    throw err
  }
  await handle.close()
  try {
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  const dirHandle = await open(dir, 'r')
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
}

/** Removes `.<name>.<16 hex>.tmp` files of `path` older than STALE_TEMP_MS; returns how many. */
export async function removeStaleTemps(path: string, wallMs: number): Promise<number> {
  const dir = dirname(path)
  const prefix = `.${basename(path)}.`
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
  let removed = 0
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^[0-9a-f]{16}\.tmp$/.test(name.slice(prefix.length))) continue
    const temp = join(dir, name)
    try {
      const stats = await lstat(temp)
      if (stats.isFile() && wallMs - stats.mtimeMs > STALE_TEMP_MS) {
        await rm(temp, { force: true })
        removed++
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return removed
}
