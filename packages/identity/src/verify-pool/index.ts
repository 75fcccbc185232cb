/**
 * @packageDocumentation
 * `@saorsa-gossip/identity/verify-pool`: ML-DSA-65 verification on worker threads (Node.js only,
 * hence its own entry point: the main entry stays free of `node:worker_threads`).
 *
 * @example
 * ```ts
 * import { Identity, signingInput } from '@saorsa-gossip/identity'
 * import { DOMAIN } from '@saorsa-gossip/types'
 * import { createVerifyPool } from '@saorsa-gossip/identity/verify-pool'
 *
 * const me = Identity.generate()
 * const body = new TextEncoder().encode('hello')
 * const signature = me.sign(DOMAIN.test, body)
 * const pool = createVerifyPool()
 * console.log(await pool.verify(me.publicKey, signingInput(DOMAIN.test, body), signature)) // true
 * await pool.close()
 * ```
 */
export { createVerifyPool, type VerifyPool, type VerifyPoolInit } from './pool.ts'
