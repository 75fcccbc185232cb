/**
 * Setup file of the simulations project: loads the WebAssembly BLAKE3 before a scenario starts.
 * Every identifier in a simulated network (message ids, key ids, payload hashes) is a BLAKE3 hash,
 * and the pure JavaScript one took a fifth of a 1,000-node run; both give the same bytes.
 */
import { beforeAll } from 'vitest'
import { loadBlake3Backend } from '@saorsa-gossip/types'

beforeAll(async () => {
  if ((await loadBlake3Backend()) !== 'wasm') throw new Error('the WebAssembly BLAKE3 did not load')
})
