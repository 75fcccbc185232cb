#!/usr/bin/env node
/**
 * Runs one upper-layer step of the demo on its own: `node examples/demo-step.mjs <name>` (names in
 * ./demo-steps/index.mjs). Prints the same check lines as the full demo; exits 0 only if all held.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { STEPS } from './demo-steps/index.mjs'

const name = process.argv[2]
const step = STEPS.find((s) => s.name === name)
if (step === undefined) {
  console.error(`usage: demo-step.mjs <${STEPS.map((s) => s.name).join('|')}>`)
  process.exit(2)
}
const failures = []
const check = (label, ok) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}`)
  if (!ok) failures.push(label)
}
console.log(step.title)
const home = await mkdtemp(join(tmpdir(), 'saorsa-demo-'))
try {
  await step.run({ check, log: (line) => console.log(`       ${line}`), home })
} catch (err) {
  check(`${step.title}: ran to the end (${err instanceof Error ? err.message : String(err)})`, false)
} finally {
  await rm(home, { recursive: true, force: true })
}
console.log(failures.length === 0 ? '\nall checks held' : `\n${failures.length} check(s) failed`)
process.exit(failures.length === 0 ? 0 : 1)
