#!/usr/bin/env node
/**
 * `saorsa-sim <scenario> [--seed N]`: runs a named simulator scenario and prints its result as
 * JSON on stdout, so runs can be diffed (same seed, same bytes). Wall time goes to stderr.
 */
import { loadBlake3Backend } from '@saorsa-gossip/types'
import { SCENARIOS } from './scenarios/index.ts'

async function main(argv: readonly string[]): Promise<number> {
  const name = argv.find((a) => !a.startsWith('--'))
  const seedIndex = argv.indexOf('--seed')
  const seed = seedIndex >= 0 ? Number(argv[seedIndex + 1]) : 1
  const scenario = name === undefined ? undefined : SCENARIOS[name]
  if (scenario === undefined || !Number.isSafeInteger(seed)) {
    console.error(`usage: saorsa-sim <scenario> [--seed N]\nscenarios: ${Object.keys(SCENARIOS).join(', ')}`)
    return 2
  }
  // Every simulated identifier is a BLAKE3 hash: the WebAssembly one gives the same bytes, faster.
  await loadBlake3Backend()
  const started = performance.now()
  const result = await scenario(seed)
  console.log(JSON.stringify(result, null, 2))
  console.error(`${name} seed ${seed}: ${((performance.now() - started) / 1000).toFixed(1)} s wall`)
  return 0
}

process.exitCode = await main(process.argv.slice(2))
