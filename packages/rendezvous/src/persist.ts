/**
 * The shard store on disk (docs/architecture.md section 8): one CBOR file, a list of the signed
 * summaries as received, replaced atomically (temp file, fsync, rename, fsync of the directory).
 * A whole-file snapshot rather than an append log because the store is bounded (4,096 entries by
 * default) and soft state: providers republish within the hour, so the file is rewritten at most
 * every `persistIntervalMs` and a crash loses at most that window, never the file.
 */
import { decodeCbor, DecodeError, encodeCbor, schema as s } from '@saorsa-gossip/types'
import { readRegularFile, removeStaleTempFiles, writeFileAtomic } from '@saorsa-gossip/types/fs'
import { MAX_SUMMARY_BYTES } from './codec.ts'
import { StoreFileError } from './errors.ts'

export const STORE_FILE_VERSION = 1

const fileSchema = (maxEntries: number) => s.object({
  v: s.literal(STORE_FILE_VERSION),
  s: s.array(s.bytes({ min: 1, max: MAX_SUMMARY_BYTES }), { max: maxEntries }),
})

export function encodeStoreFile(summaries: readonly Uint8Array[]): Uint8Array {
  return encodeCbor({ v: STORE_FILE_VERSION, s: [...summaries] })
}

/** The summaries in a store file; each is validated again by the core before it is used. */
export function decodeStoreFile(bytes: Uint8Array, maxEntries: number): Uint8Array[] {
  return decodeCbor(bytes, fileSchema(maxEntries), { maxBytes: maxEntries * (MAX_SUMMARY_BYTES + 5) + 16 }).s
}

export async function readStoreFile(path: string, maxEntries: number): Promise<Uint8Array[]> {
  await removeStaleTempFiles(path)
  const bytes = await readRegularFile(path, { maxBytes: maxEntries * (MAX_SUMMARY_BYTES + 5) + 16 })
  if (bytes === undefined) return []
  try {
    return decodeStoreFile(bytes, maxEntries)
  } catch (err) {
    if (err instanceof DecodeError) throw new StoreFileError(`${path}: not a rendezvous store file (${err.message})`, { cause: err })
    throw err
  }
}

export async function writeStoreFile(path: string, summaries: readonly Uint8Array[]): Promise<void> {
  await writeFileAtomic(path, encodeStoreFile(summaries))
}
