/**
 * Anti-entropy by set reconciliation (Eppstein, Goodrich, Uyeda, Varghese, "What's the Difference?
 * Efficient Set Reconciliation without Prior Context", SIGCOMM 2011): a node periodically sends one
 * random topic neighbour an IBLT of the message ids it holds; the receiver subtracts its own table,
 * peels the difference, fetches what it lacks (IWANT) and offers what the sender lacks (HAVE).
 * When peeling fails (difference too large for the table) the receiver answers with a table four
 * times larger, up to `MAX_SKETCH_CELLS` (the usual doubling of IBLT size estimation, in two steps),
 * and past that falls back to plain lists of every id it holds, so no difference is too large to heal.
 * A periodic round opens with a digest of the ids in a settled time window, a new topic link with one
 * of the whole cache, and only a receiver whose ids differ starts that exchange: two nodes in sync
 * spend one 93-byte message.
 */
import { blake3, MessageId, utf8 } from '@saorsa-gossip/types'
import { Iblt, IBLT_CELL_BYTES } from './iblt.ts'

/** Largest IBLT sketch: 1,536 cells of 40 bytes (60 KiB), which peel about 1,000 differences. */
export const MAX_SKETCH_CELLS = 1_536

/** The table size to answer a sketch of `cells` that did not peel with, or undefined past the largest. */
export function largerSketch(cells: number): number | undefined {
  if (cells >= MAX_SKETCH_CELLS) return undefined
  return Math.min(MAX_SKETCH_CELLS, cells * 4)
}

export function buildSketch(ids: Iterable<MessageId>, cells: number): Uint8Array {
  const table = new Iblt(cells)
  for (const id of ids) table.insert(id.bytes)
  return table.toBytes()
}

export type SketchDiff =
  | { readonly ok: true; readonly theyHave: MessageId[]; readonly weHave: MessageId[] }
  | { readonly ok: false }

/**
 * Compares a received sketch with our ids. `weHave` is filtered through `holds` because a hostile
 * table can peel into ids that exist nowhere; `theyHave` needs no filter (a bogus id just goes unanswered).
 */
export function diffSketch(cells: Uint8Array, ours: Iterable<MessageId>, holds: (idHex: string) => boolean): SketchDiff {
  if (cells.length === 0 || cells.length % (IBLT_CELL_BYTES * 3) !== 0) return { ok: false }
  const theirs = Iblt.fromBytes(cells)
  const mine = new Iblt(theirs.cellCount)
  for (const id of ours) mine.insert(id.bytes)
  const diff = theirs.subtract(mine).decode()
  if (!diff.ok) return { ok: false }
  const theyHave = diff.onlyLeft.map((b) => MessageId.fromBytes(b))
  const weHave = diff.onlyRight.map((b) => MessageId.fromBytes(b)).filter((id) => holds(id.toHex()))
  return { ok: true, theyHave, weHave }
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Length of a window digest (BLAKE3-256). */
export const DIGEST_BYTES = 32
/** Largest id count a digest may claim: far above any message cache, and only ever compared. */
export const MAX_DIGEST_IDS = 1 << 24
/** Longest digest window: an hour, far above any message cache's lifetime. */
export const MAX_DIGEST_WINDOW_MS = 3_600_000
/**
 * A message's digest time is its origin timestamp, clamped to within 10 s of our wall clock when it
 * arrived: a skewed origin clock cannot place a message outside every window of the cache's life.
 */
export const DIGEST_CLAMP_MS = 10_000
/** A window ends this long before the wall clock, so messages still spreading stay out of it. */
export const DIGEST_SETTLE_MS = 5_000

const DIGEST_DOMAIN = utf8('saorsa-gossip/ae-digest/v1')

/** The digest time of a message stamped `timestampMs` that arrived at wall clock `receivedWallMs`. */
export function digestTimeMs(timestampMs: number, receivedWallMs: number): number {
  return Math.min(Math.max(timestampMs, receivedWallMs - DIGEST_CLAMP_MS), receivedWallMs + DIGEST_CLAMP_MS)
}

/**
 * What a digest covers at wall clock `wallMs`. 'settled' (the periodic round): from where every
 * holder still caches an id (receipt up to DIGEST_CLAMP_MS after its digest time, and as much again
 * for clocks that differ) to DIGEST_SETTLE_MS ago. 'whole' (a new topic link): every digest time a
 * cache of `cacheMs` can hold, up to the present. Undefined when the cache is too short for a
 * settled window, or too long for a digest's longest window.
 */
export function digestWindow(wallMs: number, cacheMs: number, scope: 'settled' | 'whole' = 'settled'): { readonly fromMs: number; readonly toMs: number } | undefined {
  const fromMs = scope === 'settled' ? wallMs - cacheMs + 2 * DIGEST_CLAMP_MS : wallMs - cacheMs - DIGEST_CLAMP_MS
  const toMs = scope === 'settled' ? wallMs - DIGEST_SETTLE_MS : wallMs + DIGEST_CLAMP_MS + 1
  return fromMs < toMs && toMs - fromMs <= MAX_DIGEST_WINDOW_MS ? { fromMs, toMs } : undefined
}

/** BLAKE3 over the domain and the ids whose digest time lies in [fromMs, toMs), in byte order. */
export function windowDigest(
  entries: Iterable<{ readonly id: MessageId; readonly digestMs: number }>, fromMs: number, toMs: number,
): { readonly count: number; readonly hash: Uint8Array } {
  const inWindow: Array<{ readonly hex: string; readonly bytes: Uint8Array }> = []
  for (const { id, digestMs } of entries) if (digestMs >= fromMs && digestMs < toMs) inWindow.push({ hex: id.toHex(), bytes: id.bytes })
  // Lowercase hex sorts as the bytes do.
  inWindow.sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0))
  const input = new Uint8Array(DIGEST_DOMAIN.length + inWindow.length * 32)
  input.set(DIGEST_DOMAIN)
  inWindow.forEach((e, i) => input.set(e.bytes, DIGEST_DOMAIN.length + i * 32))
  return { count: inWindow.length, hash: blake3(input) }
}
