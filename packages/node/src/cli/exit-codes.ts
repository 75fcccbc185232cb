/**
 * Exit codes of `saorsa-gossip` (documented in the package README): distinct codes let scripts tell
 * a usage mistake from "no node is running" from a network failure without parsing text.
 */
export const EXIT = Object.freeze({
  ok: 0,
  /** Any failure not listed below. */
  failure: 1,
  /** Bad command line (unknown command or flag, missing argument). */
  usage: 2,
  /** The command needs a running node and there is none for this home directory. */
  noNode: 3,
  /** A named thing (identity, topic) does not exist. */
  notFound: 4,
  /** Another node already runs with this home directory. */
  alreadyRunning: 6,
  /** Interrupted by SIGINT (128 + 2, the shell convention). */
  interrupted: 130,
})

const BY_ERROR_NAME: Record<string, number> = {
  UsageError: EXIT.usage,
  NoNodeRunningError: EXIT.noNode,
  IdentityNotFoundError: EXIT.notFound,
  NodeAlreadyRunningError: EXIT.alreadyRunning,
  AbortError: EXIT.interrupted,
}

/** Maps an error to the process exit code. */
export function exitCodeFor(err: unknown): number {
  const name = err instanceof Error ? err.name : ''
  return BY_ERROR_NAME[name] ?? EXIT.failure
}
