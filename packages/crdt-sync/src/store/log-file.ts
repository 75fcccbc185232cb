/**
 * Durable replica storage: one append-only file per document, records framed as
 * `u32be length | u32be CRC-32 | CBOR record` (SPEC.md section 12.5). Appends are group-committed:
 * every record written in the same tick shares one fsync, and each append's promise resolves only
 * after that fsync. Loading stops at the first torn or corrupt record and truncates it away, so a
 * kill at any instant leaves a loadable prefix. Compaction writes a snapshot and the records after it
 * to a temporary file, fsyncs it, renames it over the log and fsyncs the directory.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, existsSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { crc32 } from 'node:zlib'
import { DecodeError, throwIfAborted } from '@saorsa-gossip/types'
import { decodeStoreRecord, encodeStoreRecord, type StoreRecord } from '../codec.ts'
import { CRDT_LIMITS } from '../limits.ts'
import { StoreError } from '../errors.ts'

const HEADER_BYTES = 8

interface Pending { readonly bytes: Uint8Array; readonly resolve: () => void; readonly reject: (err: Error) => void }

export interface LoadedLog {
  readonly records: StoreRecord[]
  /** Bytes of a torn or corrupt tail that loading cut off (0 after a clean shutdown). */
  readonly truncatedBytes: number
}

function frame(record: StoreRecord): Uint8Array {
  const body = encodeStoreRecord(record)
  const out = new Uint8Array(HEADER_BYTES + body.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, body.length)
  view.setUint32(4, crc32(body))
  out.set(body, HEADER_BYTES)
  return out
}

/** Parses the valid prefix of a log file's bytes. */
export function parseLog(bytes: Uint8Array): { records: StoreRecord[]; validBytes: number } {
  const records: StoreRecord[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  while (at + HEADER_BYTES <= bytes.length) {
    const length = view.getUint32(at)
    if (length > CRDT_LIMITS.maxSnapshotBytes + 1024 * 1024 || at + HEADER_BYTES + length > bytes.length) break
    const body = bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length)
    if (crc32(body) !== view.getUint32(at + 4)) break
    try {
      records.push(decodeStoreRecord(body))
    } catch (err) {
      if (err instanceof DecodeError) break
      throw err
    }
    at += HEADER_BYTES + length
  }
  return { records, validBytes: at }
}

export class LogFile {
  readonly path: string
  #handle: FileHandle
  #size: number
  #queue: Pending[] = []
  #flushing: Promise<void> | null = null
  #writing: Promise<void> | null = null
  #compacting: Promise<void> | null = null
  #closed = false

  private constructor(path: string, handle: FileHandle, size: number) {
    this.path = path
    this.#handle = handle
    this.#size = size
  }

  /** Opens (creating if absent) the log at `path`, cutting off a torn tail; returns its records. */
  static async open(path: string, options: { signal?: AbortSignal } = {}): Promise<{ log: LogFile; loaded: LoadedLog }> {
    throwIfAborted(options.signal)
    rmSync(`${path}.tmp`, { force: true })
    if (existsSync(path) && !statSync(path).isFile()) throw new StoreError(`${path} is not a regular file`)
    const bytes = existsSync(path) ? new Uint8Array(readFileSync(path)) : new Uint8Array()
    const { records, validBytes } = parseLog(bytes)
    const handle = await open(path, 'a+')
    if (validBytes < bytes.length) {
      await handle.truncate(validBytes)
      await handle.sync()
    }
    return { log: new LogFile(path, handle, validBytes), loaded: { records, truncatedBytes: bytes.length - validBytes } }
  }

  get size(): number {
    return this.#size
  }

  /** Appends `record`; resolves once it is on disk (fsync), together with every record of the same tick. */
  append(record: StoreRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreError('log is closed'))
    const bytes = frame(record)
    this.#size += bytes.length
    return new Promise((resolve, reject) => {
      this.#queue.push({ bytes, resolve, reject })
      this.#flushing ??= this.#flush()
    })
  }

  async #flush(): Promise<void> {
    // Let every append of the current tick join this batch.
    await new Promise<void>((r) => setImmediate(r))
    while (this.#queue.length > 0) {
      if (this.#compacting !== null) {
        await this.#compacting.catch(() => {})
        continue
      }
      const batch = this.#queue.splice(0, this.#queue.length)
      this.#writing = this.#writeBatch(batch)
      await this.#writing
      this.#writing = null
    }
    this.#flushing = null
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    try {
      const all = new Uint8Array(batch.reduce((n, b) => n + b.bytes.length, 0))
      let at = 0
      for (const b of batch) {
        all.set(b.bytes, at)
        at += b.bytes.length
      }
      await this.#handle.write(all)
      await this.#handle.sync()
      for (const b of batch) b.resolve()
    } catch (err) {
      const e = new StoreError(`append to ${this.path} failed`, { cause: err })
      for (const b of batch) b.reject(e)
    }
  }

  /** Waits for every pending append and compaction. */
  async flushed(): Promise<void> {
    while (this.#flushing !== null || this.#compacting !== null) {
      await (this.#compacting ?? Promise.resolve()).catch(() => {})
      if (this.#flushing !== null) await this.#flushing
    }
  }

  /**
   * Replaces the log with `records`, atomically and durably. `records` must reflect the state at the
   * moment of the call: appends queued before it are covered and resolve when the new file is
   * durable; appends made after it go to the new file.
   */
  compact(records: readonly StoreRecord[]): Promise<void> {
    const covered = this.#queue.splice(0, this.#queue.length)
    const frames = records.map(frame)
    const previous = this.#compacting
    const run = async () => {
      if (previous !== null) await previous.catch(() => {})
      if (this.#writing !== null) await this.#writing
      const tmp = `${this.path}.tmp`
      const fd = openSync(tmp, 'w')
      let size = 0
      try {
        for (const bytes of frames) {
          writeSync(fd, bytes)
          size += bytes.length
        }
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      await this.#handle.close()
      renameSync(tmp, this.path)
      const dir = openSync(dirname(this.path), 'r')
      try { fsyncSync(dir) } finally { closeSync(dir) }
      this.#handle = await open(this.path, 'a+')
      this.#size = size + this.#queue.reduce((n, b) => n + b.bytes.length, 0)
    }
    const done = run().then(
      () => { for (const b of covered) b.resolve() },
      (err: unknown) => {
        const e = new StoreError(`compaction of ${this.path} failed`, { cause: err })
        for (const b of covered) b.reject(e)
        throw e
      },
    )
    this.#compacting = done.finally(() => { this.#compacting = null })
    return this.#compacting
  }

  async close(): Promise<void> {
    if (this.#closed) return
    await this.flushed()
    this.#closed = true
    await this.#handle.close()
  }
}

/** File name of a document's log inside a store directory. */
export const logPathFor = (dir: string, docHex: string): string => join(dir, `${basename(docHex)}.crdt`)
