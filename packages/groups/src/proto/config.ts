/**
 * Commit-ordering presets (commit-log.ts). The settle window trades commit latency for fewer
 * rollbacks: it should cover the time a commit takes to reach every member (Plumtree's eager tree
 * plus one graft round, SPEC.md 7.3).
 */
export interface CommitLogConfig {
  /** Wait after the first commit on an epoch before choosing among its competitors. */
  readonly settleMs: number
  /** Epochs a member can roll back when a lower-hash commit arrives late (snapshots kept). */
  readonly maxReorgDepth: number
  /** Applied commits kept to answer catch-up fetches from members that missed them. */
  readonly servedCommits: number
  /** Competing commits accepted per epoch; more is a flood, not a race. */
  readonly maxCandidatesPerEpoch: number
  /** Commits held in total (across epochs, including ones we cannot place yet). */
  readonly maxCandidates: number
  /** Distinct parent epochs tracked at once. */
  readonly maxParents: number
  /** Wait for a catch-up answer before asking again. */
  readonly fetchRetryMs: number
  readonly maxFetchRetries: number
  /**
   * A member removing another that is not the nearest to it (committer.ts) proposes the removal and
   * commits it itself if the peer is still a member this long after: the proposal's delivery, the
   * nearer member's commit and its settle window must fit inside.
   */
  readonly removalFallbackMs: number
}

/** LAN: Plumtree delivers in tens of milliseconds, so 300 ms covers an eager push plus a graft (80 ms) round. */
export const COMMIT_LOG_LAN: CommitLogConfig = Object.freeze({
  settleMs: 300,
  maxReorgDepth: 3,
  servedCommits: 64,
  maxCandidatesPerEpoch: 16,
  maxCandidates: 256,
  maxParents: 64,
  fetchRetryMs: 2_000,
  maxFetchRetries: 5,
  // An eager push each way (tens of ms), a commit made at 1,000 members (about 0.3 s) and the 300 ms settle window, doubled.
  removalFallbackMs: 1_500,
})

/**
 * WAN: paths of several hundred milliseconds and occasional loss; 1.5 s keeps rollbacks rare. A
 * removal's fallback waits two such paths, a commit and the settle window, with room for one graft.
 */
export const COMMIT_LOG_WAN: CommitLogConfig = Object.freeze({ ...COMMIT_LOG_LAN, settleMs: 1_500, fetchRetryMs: 5_000, removalFallbackMs: 5_000 })

/**
 * LOCAL: one machine, in-memory or loopback links. The removal fallback still leaves a loaded
 * machine time to make a 1,000-member commit, so a test does not see two commits race.
 */
export const COMMIT_LOG_LOCAL: CommitLogConfig = Object.freeze({ ...COMMIT_LOG_LAN, settleMs: 50, fetchRetryMs: 500, removalFallbackMs: 1_000 })
