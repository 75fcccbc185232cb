import { describe, it, expect } from 'vitest'
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// The runnable example of packages/rendezvous/README.md, run as written from this directory (where
// the packages resolve): a reader finds the provider and reaches the PeerId its summary names.
const run = promisify(execFile)
const dir = fileURLToPath(new URL('..', import.meta.url))

describe('packages/rendezvous/README.md', () => {
  it('the runnable example finds the provider at its hinted address and reaches it', async () => {
    const text = await readFile(join(dir, '../packages/rendezvous/README.md'), 'utf8')
    const section = text.slice(text.indexOf('## Runnable example'))
    const open = section.indexOf('```js\n') + 6
    const file = '.readme-rendezvous-example.mjs'
    await writeFile(join(dir, file), section.slice(open, section.indexOf('\n```', open)))
    try {
      const { stdout } = await run(process.execPath, [file], { cwd: dir, timeout: 60_000 })
      const match = stdout.match(/^found ([0-9a-f]+) at mem:\/\/site, reached ([0-9a-f]+)$/m)
      expect(match, stdout).not.toBeNull()
      expect(match![2]).toBe(match![1])
    } finally {
      await rm(join(dir, file), { force: true })
    }
  }, 70_000)
})
