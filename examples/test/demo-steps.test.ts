import { describe, it, expect } from 'vitest'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { STEPS } from '../demo-steps/index.mjs'

// Each upper-layer step of the demo runs alone, as `node demo-step.mjs <name>`, and must hold every check.
const run = promisify(execFile)
const dir = fileURLToPath(new URL('..', import.meta.url))

describe('demo steps', () => {
  it('every step has a unique name and a title', () => {
    const names = STEPS.map((s: { name: string }) => s.name)
    expect(new Set(names).size).toBe(names.length)
  })
  for (const step of STEPS as Array<{ name: string; title: string }>) {
    it(`${step.name}: ${step.title}`, async () => {
      let stdout = ''
      try {
        ({ stdout } = await run(process.execPath, ['demo-step.mjs', step.name], { cwd: dir, timeout: 90_000 }))
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string }
        throw new Error(`demo step ${step.name} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: err })
      }
      expect(stdout).not.toContain('FAIL')
      expect(stdout).toMatch(/all checks held/)
    }, 100_000)
  }
})
