import { describe, it, expect } from 'vitest'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

// The README's way to run `saorsa-gossip` from a clone works as written (after the build).

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

describe('README: running the CLI from a clone', () => {
  it('the alias line prints the version from the repository root', async () => {
    const readme = await readFile(new URL('README.md', `file://${ROOT}`), 'utf8')
    const alias = readme.split('\n').find((l) => l.startsWith('alias saorsa-gossip='))
    expect(alias).toBeDefined()
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('bash', ['-O', 'expand_aliases', '-c', `${alias!}\nsaorsa-gossip --version`], { cwd: ROOT }, (err, out, errOut) => {
        if (err !== null) reject(new Error(`${err.message}\n${errOut}`))
        else resolve(out)
      })
    })
    expect(stdout).toBe(`saorsa-gossip ${version}\n`)
  })
})
