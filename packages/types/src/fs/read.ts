/**
 * Bounded reads of state files. The file is opened non-blocking, so a FIFO or a device planted where
 * a state file should be cannot hang the reader (an ordinary open of a FIFO waits for a writer
 * forever); fstat of the opened handle then refuses anything that is not a regular file, and the
 * size is checked before any byte is read.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { SaorsaError } from '../errors.ts'

/** A state file that is not a regular file, or is larger than its cap. */
export class FileRefusedError extends SaorsaError {
  override readonly name = 'FileRefusedError'
  readonly path: string
  readonly reason: 'not-regular' | 'too-large'

  constructor(path: string, reason: 'not-regular' | 'too-large', detail: string) {
    super(`${path}: ${detail}`)
    this.path = path
    this.reason = reason
  }
}

export interface ReadRegularFileOptions {
  /** Larger files are refused with FileRefusedError('too-large') before they are read. */
  readonly maxBytes: number
}

const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0)

/** Reads `path`, or returns undefined when it does not exist. */
export async function readRegularFile(path: string, options: ReadRegularFileOptions): Promise<Uint8Array | undefined> {
  let handle
  try {
    handle = await open(path, READ_FLAGS)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new FileRefusedError(path, 'not-regular', 'not a regular file (refused; move it away)')
    if (stats.size > options.maxBytes) {
      throw new FileRefusedError(path, 'too-large', `${stats.size} bytes exceeds the ${options.maxBytes}-byte cap`)
    }
    return new Uint8Array(await handle.readFile())
  } finally {
    await handle.close()
  }
}
