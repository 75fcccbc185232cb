/**
 * Who commits a removal (RFC 9420 sections 7.7, 7.9 and 12.4). Removing a member blanks its direct
 * path; a committer whose own path climbs through those nodes refills them, and every copath node it
 * encrypts to still resolves to one key. A committer far from the removed leaf encrypts to the
 * blanked subtree's children instead: one more HPKE ciphertext (about 1.2 KB with ML-KEM-768) for
 * every tree level below the point where the two paths meet.
 */

/**
 * The member that commits the removal of `removed` (leaf indices): the remaining member nearest the
 * lowest removed leaf, i.e. the one whose leaf index XOR that leaf is smallest. The XOR's bit length
 * is the height of the subtree the two leaves share, so the smallest XOR is the member with the
 * lowest common ancestor, and it is unique, so every member picks the same one. Undefined when no
 * member remains.
 */
export function removalCommitter(removed: readonly number[], members: readonly number[]): number | undefined {
  if (removed.length === 0) return undefined
  const target = Math.min(...removed)
  const gone = new Set(removed)
  let best: number | undefined
  for (const leaf of members) {
    if (gone.has(leaf)) continue
    if (best === undefined || (leaf ^ target) < (best ^ target)) best = leaf
  }
  return best
}

/**
 * The member that commits a removal when the chosen committer stays silent: the proposer, unless it
 * is itself leaving; then the lowest-indexed remaining member other than the chosen committer.
 */
export function fallbackCommitter(removed: readonly number[], members: readonly number[], proposer: number | undefined): number | undefined {
  const gone = new Set(removed)
  if (proposer !== undefined && !gone.has(proposer) && members.includes(proposer)) return proposer
  const chosen = removalCommitter(removed, members)
  return [...members].sort((a, b) => a - b).find((leaf) => !gone.has(leaf) && leaf !== chosen)
}
