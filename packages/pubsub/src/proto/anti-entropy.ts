/**
 * Anti-entropy by set reconciliation (Eppstein, Goodrich, Uyeda, Varghese, "What's the Difference?
 * Efficient Set Reconciliation without Prior Context", SIGCOMM 2011): a node periodically sends one
 * random topic neighbour an IBLT of the message ids it holds; the receiver subtracts its own table,
 * peels the difference, fetches what it lacks (IWANT) and offers what the sender lacks (HAVE).
 * When peeling fails (difference too large for the table) the receiver answers with a table four
 * times larger, up to `MAX_SKETCH_CELLS` (the usual doubling of IBLT size estimation, in two steps),
 * and past that falls back to plain lists of every id it holds, so no difference is too large to heal.
 */
import { MessageId } from '@saorsa-gossip/types'
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
