/**
 * The one signature verification pool of the process (`@saorsa-gossip/identity/verify-pool`): every
 * node started in it with `verifier: 'pool'` checks pubsub origin signatures on the same worker
 * threads, so a hundred nodes in one process share one thread per spare core instead of starting a
 * hundred. Never closed: its idle workers hold the event loop open no longer than their last request.
 */
import { availableParallelism } from 'node:os'
import { createVerifyPool, type VerifyPool } from '@saorsa-gossip/identity/verify-pool'

let shared: VerifyPool | undefined

/** The process's pool, created on first use; undefined on one core, where a worker would only compete with the event loop. */
export function sharedVerifyPool(): VerifyPool | undefined {
  if (availableParallelism() < 2) return undefined
  shared ??= createVerifyPool()
  return shared
}
