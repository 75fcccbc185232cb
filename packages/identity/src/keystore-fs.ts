/**
 * Crash-safe file writes for the keystore (docs/architecture.md section 6): write a temp file in the same
 * directory, fsync it, move it into place (rename to replace; link to create without overwriting),
 * then fsync the directory so the new name survives a crash. The file system is injectable so a
 * test can check the order of these steps.
 */
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'

/** An open file, as returned by `KeystoreFs.open` (a subset of node's `FileHandle`). */
export interface KeystoreFileHandle {
  writeFile(data: Uint8Array): Promise<void>
  readFile(): Promise<Uint8Array>
  stat(): Promise<{ size: number; isFile(): boolean }>
  sync(): Promise<void>
  close(): Promise<void>
}

/** The file operations the keystore uses (a subset of `node:fs/promises`). */
export interface KeystoreFs {
  open(path: string, flags: string | number, mode?: number): Promise<KeystoreFileHandle>
  rename(oldPath: string, newPath: string): Promise<void>
  link(existingPath: string, newPath: string): Promise<void>
  unlink(path: string): Promise<void>
  readdir(path: string): Promise<string[]>
  mkdir(path: string, options: { recursive: true; mode: number }): Promise<string | undefined>
  chmod(path: string, mode: number): Promise<void>
  stat(path: string): Promise<{ mtimeMs: number }>
}

export const nodeKeystoreFs: KeystoreFs = {
  open: async (path, flags, mode) => nodeFs.open(path, flags, mode),
  rename: async (oldPath, newPath) => nodeFs.rename(oldPath, newPath),
  link: async (existingPath, newPath) => nodeFs.link(existingPath, newPath),
  unlink: async (path) => nodeFs.unlink(path),
  readdir: async (path) => nodeFs.readdir(path),
  mkdir: async (path, options) => nodeFs.mkdir(path, options),
  chmod: async (path, mode) => nodeFs.chmod(path, mode),
  stat: async (path) => nodeFs.stat(path),
}

/** The error's `code` (`ENOENT`, `EEXIST`, ...), if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** fsync of a directory, so a rename or link inside it is durable. Windows cannot open directories: skipped there. */
export async function syncDirectory(fs: KeystoreFs, dir: string): Promise<void> {
  let handle: KeystoreFileHandle
  try {
    handle = await fs.open(dir, 'r')
  } catch (err) {
    if (process.platform === 'win32') return
    throw err
  }
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Link is missing on some file systems (FAT, some network mounts); creation then falls back to a checked rename. */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'])

/**
 * Writes `data` to `dir/name` atomically with file mode 0600: afterwards the name holds either the old
 * complete contents or the new ones. With `overwrite: false` an existing file is never replaced and
 * the result is `'exists'`.
 */
export async function writeFileAtomic(
  fs: KeystoreFs,
  dir: string,
  name: string,
  tempName: string,
  data: Uint8Array,
  overwrite: boolean,
): Promise<'written' | 'exists'> {
  const finalPath = join(dir, name)
  const tempPath = join(dir, tempName)
  const handle = await fs.open(tempPath, 'wx', 0o600)
  let moved = false
  try {
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (overwrite) {
      await fs.rename(tempPath, finalPath)
      moved = true
    } else {
      try {
        await fs.link(tempPath, finalPath)
      } catch (err) {
        const code = errorCode(err)
        if (code === 'EEXIST') return 'exists'
        if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw err
        if (await exists(fs, finalPath)) return 'exists'
        await fs.rename(tempPath, finalPath)
        moved = true
      }
    }
  } finally {
    if (!moved) await fs.unlink(tempPath).catch(() => undefined)
  }
  await syncDirectory(fs, dir)
  return 'written'
}

async function exists(fs: KeystoreFs, path: string): Promise<boolean> {
  try {
    await fs.stat(path)
    return true
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false
    throw err
  }
}
