/**
 * Restart-safe publish sequence numbers. Receivers keep a per-origin anti-replay window, so an
 * origin that reuses a sequence number after a restart (a clock stepped back, a wiped counter) is
 * silenced as "replayed". The file holds a high-water mark above every number this origin has
 * used: numbers are reserved in blocks, as database sequences cache values, and the next block is
 * written (atomically: temp file, fsync, rename, fsync of the directory) before any number of it is
 * handed out. A crash skips at most the rest of a block; it never reuses a number.
 */
import { DecodeError, decodeCbor, encodeCbor, schema as s } from '@saorsa-gossip/types'
import { readRegularFile, writeFileAtomic } from '@saorsa-gossip/types/fs'

/** Numbers reserved per write: one fsync per 65,536 publishes; a crash skips fewer than that. */
export const SEQUENCE_BLOCK = 65_536
/** The largest sequence number a header may carry (SPEC section 2: below 2^53). */
const MAX_SEQ = Number.MAX_SAFE_INTEGER
const FILE_SCHEMA = s.object({ v: s.literal(1), next: s.uint() })
const MAX_FILE_BYTES = 64

export class SequenceFile {
  readonly path: string
  /** Every number below this is covered by what the file says. */
  #reserved: number
  #writing: Promise<void> | undefined

  private constructor(path: string, reserved: number) {
    this.path = path
    this.#reserved = reserved
  }

  /**
   * Reads the mark at `path` (absent on a first start) and reserves the first block. Returns the
   * store and the first number to use: the stored mark or `floor`, whichever is higher.
   * A file that is not a sequence mark is refused with DecodeError naming the path.
   */
  static async open(path: string, floor: number): Promise<{ file: SequenceFile; first: number }> {
    const bytes = await readRegularFile(path, { maxBytes: MAX_FILE_BYTES })
    let stored = 0
    if (bytes !== undefined) {
      try {
        stored = decodeCbor(bytes, FILE_SCHEMA, { maxBytes: MAX_FILE_BYTES }).next
      } catch (err) {
        throw new DecodeError(`${path}: not a publish sequence file (${(err as Error).message}); move it away only if this key never published elsewhere`)
      }
    }
    const first = Math.max(stored, Math.floor(floor))
    const file = new SequenceFile(path, 0)
    await file.reserve(first)
    return { file, first }
  }

  /** Whether `seq` may be handed out now. */
  covers(seq: number): boolean {
    return seq < this.#reserved
  }

  /**
   * Makes the file cover `seq` and a block beyond it; resolves once it is durable. Starts the next
   * block early when `seq` is past half of the current one, so publishes rarely wait for a write.
   */
  async reserve(seq: number): Promise<void> {
    if (this.#writing !== undefined) await this.#writing
    if (seq + SEQUENCE_BLOCK / 2 < this.#reserved) return
    const next = Math.min(MAX_SEQ, seq + SEQUENCE_BLOCK)
    if (next <= seq) throw new RangeError(`${this.path}: publish sequence numbers exhausted`)
    const writing = writeFileAtomic(this.path, encodeCbor({ v: 1, next }))
    this.#writing = writing.then(() => { this.#reserved = Math.max(this.#reserved, next) }).finally(() => { this.#writing = undefined })
    await this.#writing
  }
}
