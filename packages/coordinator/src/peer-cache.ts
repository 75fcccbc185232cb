/**
 * The peer cache: recently good peers (PeerId, addresses, last success), persisted so a restarted
 * node rejoins without a bootstrap flag and so a compromised bootstrap cannot eclipse a node that has
 * history (reliability anchor 16). It sits beside the advert cache because both answer the same
 * question, whom to dial first (SPEC.md section 9, bootstrap order). File format (SPEC.md section 8):
 * CBOR `{v: 1, peers: [...]}`, capped in bytes and entries, written atomically; a corrupt file is
 * reported and kept aside as `peers.cbor.corrupt`, a non-regular file refused; neither is fatal.
 */
import { rename } from 'node:fs/promises'
import { DecodeError, LIMITS, PeerId, decodeCbor, encodeCbor, schema } from '@saorsa-gossip/types'
import { FileRefusedError, readRegularFile, removeStaleTempFiles, writeFileAtomic } from '@saorsa-gossip/types/fs'

export const PEER_CACHE_VERSION = 1
/** Entries kept: far more than one active view (8) plus passive view (64) needs to rejoin. */
export const MAX_PEER_CACHE_ENTRIES = 128
/** 128 entries x (32-byte id + 8 addresses x 256 bytes + counters) stays under this cap. */
export const MAX_PEER_CACHE_FILE_BYTES = 512 * 1024
/** Entries without a success for this long are dropped (reference peer cache: prune after 7 days). */
export const PEER_CACHE_MAX_AGE_MS = 7 * 24 * 3600 * 1000
/** Consecutive failed dials after which an entry is forgotten. */
export const PEER_CACHE_MAX_FAILURES = 5

export interface PeerCacheEntry {
  peerId: PeerId
  addrs: string[]
  /** Wall-clock milliseconds of the last successful connection. */
  lastSuccessMs: number
  /** Failed dials since the last success. */
  failures: number
}

const entrySchema = schema.object({
  id: schema.peerId(),
  addrs: schema.array(schema.text({ max: LIMITS.maxAddressLength }), { max: LIMITS.maxAddressesPerPeer, min: 1 }),
  last: schema.uint(),
  fail: schema.uint({ max: 1_000_000 }),
})

const fileSchema = schema.object({
  v: schema.literal(PEER_CACHE_VERSION),
  peers: schema.array(entrySchema, { max: MAX_PEER_CACHE_ENTRIES }),
})

/** Encodes entries in the order given (callers pass most recent success first). */
export function encodePeerCache(entries: readonly PeerCacheEntry[]): Uint8Array {
  return encodeCbor({
    v: PEER_CACHE_VERSION,
    peers: entries.slice(0, MAX_PEER_CACHE_ENTRIES).map((e) => ({
      id: e.peerId.bytes,
      addrs: e.addrs.slice(0, LIMITS.maxAddressesPerPeer),
      last: e.lastSuccessMs,
      fail: e.failures,
    })),
  })
}

/** Decodes a peer cache file; throws only `DecodeError`. Duplicate peer ids are rejected. */
export function decodePeerCache(bytes: Uint8Array): PeerCacheEntry[] {
  const file = decodeCbor(bytes, fileSchema, { maxBytes: MAX_PEER_CACHE_FILE_BYTES })
  const seen = new Set<string>()
  return file.peers.map((p, i) => {
    const key = p.id.toHex()
    if (seen.has(key)) throw new DecodeError('duplicate peer id', `peers[${i}].id`)
    seen.add(key)
    return { peerId: p.id, addrs: p.addrs, lastSuccessMs: p.last, failures: p.fail }
  })
}

export type PeerCacheLoadProblem =
  /** The file did not decode; it was renamed to `keptAs` and the cache starts empty. */
  | { kind: 'corrupt'; message: string; keptAs: string }
  /** Not a regular file (a FIFO, a directory) or over the size cap: left in place, never read. */
  | { kind: 'refused'; message: string }

/** In-memory view of the cache file with the policy for adding, ranking and forgetting peers. */
export class PeerCache {
  readonly path: string
  private readonly entries = new Map<string, PeerCacheEntry>()
  private dirty = false

  private constructor(path: string, entries: PeerCacheEntry[]) {
    this.path = path
    for (const e of entries) this.entries.set(e.peerId.toHex(), e)
  }

  /**
   * Reads the cache at `path`. A missing file is an empty cache; a corrupt one is reported through
   * `onProblem` and treated as empty (it is rewritten on the next save).
   */
  static async load(path: string, options: { onProblem?: (problem: PeerCacheLoadProblem) => void } = {}): Promise<PeerCache> {
    await removeStaleTempFiles(path)
    let bytes: Uint8Array | undefined
    try {
      bytes = await readRegularFile(path, { maxBytes: MAX_PEER_CACHE_FILE_BYTES })
    } catch (err) {
      if (!(err instanceof FileRefusedError)) throw err
      options.onProblem?.({ kind: 'refused', message: err.message })
      return new PeerCache(path, [])
    }
    if (bytes === undefined) return new PeerCache(path, [])
    try {
      return new PeerCache(path, decodePeerCache(bytes))
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err
      const keptAs = `${path}.corrupt`
      await rename(path, keptAs)
      options.onProblem?.({ kind: 'corrupt', message: err.message, keptAs })
      return new PeerCache(path, [])
    }
  }

  /** Remembers a successful connection to `peerId` reachable at `addrs`. */
  recordSuccess(peerId: PeerId, addrs: readonly string[], nowMs: number): void {
    const usable = addrs.filter((a) => a.length > 0 && a.length <= LIMITS.maxAddressLength).slice(0, LIMITS.maxAddressesPerPeer)
    if (usable.length === 0) return
    this.entries.set(peerId.toHex(), { peerId, addrs: [...usable], lastSuccessMs: nowMs, failures: 0 })
    this.dirty = true
    this.trim(nowMs)
  }

  /** Counts a failed dial; an entry that keeps failing is forgotten. */
  recordFailure(peerId: PeerId): void {
    const entry = this.entries.get(peerId.toHex())
    if (entry === undefined) return
    entry.failures += 1
    if (entry.failures >= PEER_CACHE_MAX_FAILURES) this.entries.delete(peerId.toHex())
    this.dirty = true
  }

  remove(peerId: PeerId): void {
    if (this.entries.delete(peerId.toHex())) this.dirty = true
  }

  get size(): number {
    return this.entries.size
  }

  /** Entries ranked for rejoining: fewest failures, then most recent success first. */
  candidates(limit = MAX_PEER_CACHE_ENTRIES): PeerCacheEntry[] {
    return [...this.entries.values()]
      .sort((a, b) => a.failures - b.failures || b.lastSuccessMs - a.lastSuccessMs)
      .slice(0, limit)
      .map((e) => ({ ...e, addrs: [...e.addrs] }))
  }

  /** Writes the cache atomically if it changed since the last save. */
  async save(nowMs: number): Promise<void> {
    if (!this.dirty) return
    this.trim(nowMs)
    await writeFileAtomic(this.path, encodePeerCache(this.candidates()))
    this.dirty = false
  }

  private trim(nowMs: number): void {
    for (const [key, e] of this.entries) {
      if (nowMs - e.lastSuccessMs > PEER_CACHE_MAX_AGE_MS) this.entries.delete(key)
    }
    if (this.entries.size <= MAX_PEER_CACHE_ENTRIES) return
    const keep = new Set(this.candidates(MAX_PEER_CACHE_ENTRIES).map((e) => e.peerId.toHex()))
    for (const key of this.entries.keys()) if (!keep.has(key)) this.entries.delete(key)
  }
}
