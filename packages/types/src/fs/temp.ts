/**
 * Clean-up of temp files left by writers that were killed between creating their temp file and
 * renaming it (see `writeFileAtomic`). Only names of the exact temp shape for one target are
 * touched, and only once they are older than any live writer could be.
 */
import { readdir, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export interface StaleTempOptions {
  /** Temp files younger than this may belong to a live writer and are kept (default 60 s). */
  readonly olderThanMs?: number
  /** Wall clock in ms (default Date.now). */
  readonly nowMs?: number
}

/** A writer finishes a small state file in well under a second; a minute leaves a wide margin. */
const DEFAULT_STALE_MS = 60_000

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Matches the temp names `writeFileAtomic` uses for a target named `base`. */
export function tempFilePattern(base: string): RegExp {
  return new RegExp(`^\\.${escapeRegExp(base)}\\.[0-9a-f]{12}\\.tmp$`)
}

/** Removes stale temp files of `path`; returns how many were removed. */
export async function removeStaleTempFiles(path: string, options: StaleTempOptions = {}): Promise<number> {
  const dir = dirname(path)
  const pattern = tempFilePattern(basename(path))
  const olderThan = options.olderThanMs ?? DEFAULT_STALE_MS
  const now = options.nowMs ?? Date.now()
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }
  let removed = 0
  for (const name of names) {
    if (!pattern.test(name)) continue
    const full = join(dir, name)
    try {
      const stats = await stat(full)
      if (!stats.isFile() || now - stats.mtimeMs < olderThan) continue
      await unlink(full)
      removed++
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return removed
}
