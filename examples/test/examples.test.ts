import { describe, it, expect } from 'vitest'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// Every example runs as its own process, exactly as a user would start it, and must exit 0.
const run = promisify(execFile)
const dir = fileURLToPath(new URL('..', import.meta.url))
const example = (file: string) => run(process.execPath, [file], { cwd: dir, timeout: 110_000 })

describe('examples', () => {
  it('the identity part of the demo signs, verifies across backends and rejects tampering', async () => {
    const { stdout } = await example('identity.mjs')
    expect(stdout).toContain('all checks held')
    expect(stdout).not.toContain('FAIL')
  })
})
