/**
 * The order in which a seek yields providers (SPEC.md section 11.5): score (descending), then
 * reachability (address hints present), then freshness (later issue time).
 */
import type { PeerId } from '@saorsa-gossip/types'
import type { SignedSummary } from '../codec.ts'

export function rankProviders(summaries: readonly SignedSummary[], score: (peer: PeerId) => number = () => 0): SignedSummary[] {
  return summaries
    .map((s) => ({ s, score: score(s.summary.provider) }))
    .sort((a, b) => b.score - a.score
      || Number(b.s.summary.addressHints.length > 0) - Number(a.s.summary.addressHints.length > 0)
      || b.s.summary.issuedAtMs - a.s.summary.issuedAtMs)
    .map((x) => x.s)
}
