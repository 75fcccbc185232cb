/**
 * Tunables of the sync core. Presets live in `../config.ts`; this file holds the type and the checks,
 * so the core never runs with a value that would make it misbehave.
 */

export interface SyncConfig {
  /** Period of anti-entropy with one random neighbour. */
  readonly antiEntropyIntervalMs: number
  /** A causal gap asks the same peer again only after this long (the first answer may be lost). */
  readonly gapRetryMs: number
  /** Bundles parked while their causal past is missing, at most. */
  readonly maxPendingBundles: number
  readonly maxPendingBytes: number
  /** Consecutive log entries merged into one delta group. */
  readonly logGroupSize: number
  /** Payload bytes kept in the log; older deltas are served as a snapshot. */
  readonly logBudgetBytes: number
  /** A reply of missing deltas larger than this goes as a snapshot instead. */
  readonly maxBundleBytes: number
  /** Neighbours a replica opens an extra round with at once after anti-entropy taught it something. */
  readonly spreadFanout: number
}

export function checkSyncConfig(c: SyncConfig): SyncConfig {
  const positive = (name: keyof SyncConfig) => {
    const v = c[name]
    if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`SyncConfig.${name} must be a positive integer, got ${v}`)
  }
  for (const name of Object.keys(c) as Array<keyof SyncConfig>) positive(name)
  if (c.maxBundleBytes > c.logBudgetBytes) throw new RangeError('SyncConfig.maxBundleBytes must not exceed logBudgetBytes')
  return c
}
