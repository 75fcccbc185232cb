/**
 * The advert cache on disk (SPEC.md section 9.3): `coordinators.cbor` in the node's home directory, a
 * CBOR list of the signed adverts as received plus our dial history, written atomically. Loading
 * re-validates every advert (signature, key binding, window), so a tampered or stale file can only
 * shrink the cache; a corrupt file is reported, counted and replaced by an empty cache.
 */
import { lstat } from 'node:fs/promises'
import { DecodeError, decodeCbor, encodeCbor, schema } from '@saorsa-gossip/types'
import { FileRefusedError, readRegularFile, removeStaleTempFiles, writeFileAtomic } from '@saorsa-gossip/types/fs'
import { MAX_ADVERT_BYTES } from './advert.ts'
import { validateAdvert, type AdvertRejectReason } from './advert-validate.ts'
import { CacheFileError } from './errors.ts'
import type { VerifyFn } from './domains.ts'
import { AdvertCache, MAX_DIAL_COUNT } from './proto/advert-cache.ts'
import type { AdvertPolicy } from './proto/config.ts'
import type { ScoreWeights } from './proto/score.ts'

export const ADVERT_CACHE_FILE = 'coordinators.cbor'
/** A temp file older than this belongs to a writer that died (a live write takes milliseconds). */
export const STALE_TEMP_MS = 60_000
export const ADVERT_CACHE_VERSION = 1
/** Entries in the file: the cache's own bound (design: 1,000). */
export const MAX_ADVERT_CACHE_ENTRIES = 1_000
/** 1,000 adverts of at most 6 KiB plus 32 bytes of counters each, and the file's heads. */
export const MAX_ADVERT_CACHE_FILE_BYTES = MAX_ADVERT_CACHE_ENTRIES * (MAX_ADVERT_BYTES + 32) + 64

const fileSchema = schema.object({
  v: schema.literal(ADVERT_CACHE_VERSION),
  adverts: schema.array(schema.object({
    e: schema.bytes({ min: 1, max: MAX_ADVERT_BYTES }),
    t: schema.uint(),
    s: schema.uint({ max: MAX_DIAL_COUNT }),
    f: schema.uint({ max: MAX_DIAL_COUNT }),
  }), { max: MAX_ADVERT_CACHE_ENTRIES }),
})

export function encodeAdvertCacheFile(cache: AdvertCache): Uint8Array {
  return encodeCbor({
    v: ADVERT_CACHE_VERSION,
    adverts: cache.entries().slice(0, MAX_ADVERT_CACHE_ENTRIES).map((e) => ({
      e: e.bytes, t: e.acceptedAtMs, s: e.dialSuccesses, f: e.dialFailures,
    })),
  })
}

export interface AdvertCacheFileEntry {
  /** The advert envelope as received (validated again on load). */
  readonly bytes: Uint8Array
  readonly acceptedAtMs: number
  readonly dialSuccesses: number
  readonly dialFailures: number
}

/** Decodes a cache file; throws only DecodeError. The adverts inside are not validated here. */
export function decodeAdvertCacheFile(bytes: Uint8Array): AdvertCacheFileEntry[] {
  const file = decodeCbor(bytes, fileSchema, { maxBytes: MAX_ADVERT_CACHE_FILE_BYTES })
  return file.adverts.map((a) => ({ bytes: a.e, acceptedAtMs: a.t, dialSuccesses: a.s, dialFailures: a.f }))
}

export interface AdvertCacheLoadReport {
  /** Adverts restored into the cache. */
  loaded: number
  /** Entries dropped, by reason (expired ones are the usual case after a long shutdown). */
  dropped: Partial<Record<AdvertRejectReason | 'not-better', number>>
  /** Stale temp files of crashed writers removed. */
  staleTempsRemoved: number
  /** Set when the file could not be decoded: the cache starts empty and the file is rewritten on save. */
  corrupt?: string
}

export interface LoadAdvertCacheOptions {
  readonly capacity: number
  readonly wallMs: number
  readonly policy: AdvertPolicy
  readonly weights?: ScoreWeights
  readonly verify?: VerifyFn
}

/**
 * Loads the cache at `path`: a missing file gives an empty cache, a corrupt one an empty cache and a
 * report with `corrupt` set. Throws CacheFileError if `path` is not a regular file.
 */
export async function loadAdvertCache(path: string, options: LoadAdvertCacheOptions): Promise<{ cache: AdvertCache; report: AdvertCacheLoadReport }> {
  const cache = new AdvertCache({ capacity: options.capacity, ...(options.weights === undefined ? {} : { weights: options.weights }) })
  await refuseNonRegular(path)
  const staleTempsRemoved = await removeStaleTempFiles(path, { olderThanMs: STALE_TEMP_MS, nowMs: options.wallMs })
  const report: AdvertCacheLoadReport = { loaded: 0, dropped: {}, staleTempsRemoved }
  let entries: AdvertCacheFileEntry[]
  try {
    const bytes = await readRegularFile(path, { maxBytes: MAX_ADVERT_CACHE_FILE_BYTES })
    if (bytes === undefined) return { cache, report }
    entries = decodeAdvertCacheFile(bytes)
  } catch (err) {
    if (err instanceof FileRefusedError && err.reason === 'not-regular') throw new CacheFileError(`${path}: not a regular file; refusing to read or replace it`)
    if (!(err instanceof DecodeError) && !(err instanceof FileRefusedError)) throw err
    report.corrupt = err.message
    return { cache, report }
  }
  for (const entry of entries) {
    // The rate limit and sequence rules guard the network path; on load only authenticity and time matter.
    const verdict = validateAdvert(entry.bytes, {
      nowMs: options.wallMs, policy: options.policy, ...(options.verify === undefined ? {} : { verify: options.verify }),
    })
    if (!verdict.ok) {
      report.dropped[verdict.reason] = (report.dropped[verdict.reason] ?? 0) + 1
      continue
    }
    const outcome = cache.insert(verdict.advert, Math.min(entry.acceptedAtMs, options.wallMs), entry)
    if (outcome === 'added' || outcome === 'replaced') report.loaded++
    else {
      const reason = outcome === 'stale' ? 'stale-sequence' : outcome === 'expired' ? 'expired' : 'not-better'
      report.dropped[reason] = (report.dropped[reason] ?? 0) + 1
    }
  }
  return { cache, report }
}

/** Writes the cache to `path` atomically. Throws CacheFileError if `path` is not a regular file. */
export async function saveAdvertCache(path: string, cache: AdvertCache): Promise<void> {
  await refuseNonRegular(path)
  await writeFileAtomic(path, encodeAdvertCacheFile(cache))
}

/** A symlink or directory in place of the cache is refused, never followed or replaced. */
async function refuseNonRegular(path: string): Promise<void> {
  let isFile
  try {
    isFile = (await lstat(path)).isFile()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!isFile) throw new CacheFileError(`${path}: not a regular file; refusing to read or replace it`)
}
