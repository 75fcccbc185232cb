/**
 * Version vectors over origins (PeerId hex -> highest sequence number applied), and their digest:
 * BLAKE3 over the entries in origin order, so two replicas in sync compare 16 bytes instead of the
 * whole vector (an in-sync anti-entropy round stays far below 1 KB however many writers there are).
 */
import { blake3, fromHex } from '@saorsa-gossip/types'
import type { VvEntry } from './messages.ts'

export const VV_DIGEST_BYTES = 16

export type VersionVector = Map<string, number>

export function sortedEntries(vv: ReadonlyMap<string, number>): VvEntry[] {
  return [...vv].filter(([, n]) => n > 0).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

export function vvDigest(vv: ReadonlyMap<string, number>): Uint8Array {
  const entries = sortedEntries(vv)
  const buf = new Uint8Array(entries.length * 40)
  const view = new DataView(buf.buffer)
  entries.forEach(([origin, seq], i) => {
    buf.set(fromHex(origin), i * 40)
    view.setUint32(i * 40 + 32, Math.floor(seq / 2 ** 32))
    view.setUint32(i * 40 + 36, seq >>> 0)
  })
  return blake3(buf).subarray(0, VV_DIGEST_BYTES)
}

/** True when `vv` has reached every entry. */
export function satisfies(vv: ReadonlyMap<string, number>, entries: Iterable<VvEntry>): boolean {
  for (const [origin, seq] of entries) if ((vv.get(origin) ?? 0) < seq) return false
  return true
}
