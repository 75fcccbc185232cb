/**
 * The runnable example of packages/presence/README.md ("Run it") runs as written on full nodes and
 * prints what its comments promise: members online, an outsider blind, FIND_USER via FOAF, a clean
 * stop seen as 'left'. The script runs from a directory inside this package, where both packages resolve.
 */
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const PACKAGE = fileURLToPath(new URL('..', import.meta.url))

describe('presence README', () => {
  it('the "Run it" example runs and shows presence working', async () => {
    const readme = await readFile(new URL('../../presence/README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('## Run it'))
    const script = /```js\n([\s\S]*?)```/.exec(section)?.[1]
    expect(script).toBeDefined()
    const dir = await mkdtemp(join(PACKAGE, '.readme-'))
    try {
      await writeFile(join(dir, 'presence-demo.mjs'), script!)
      const { stdout } = await run(process.execPath, [join(dir, 'presence-demo.mjs')], { cwd: dir, timeout: 60_000 })
      expect(stdout).toMatch(/^ann sees \S+ online tcp:\/\/127\.0\.0\.1:\d+, \S+ online tcp:\/\/127\.0\.0\.1:\d+$/m)
      expect(stdout).toContain('the outsider sees 0 members')
      expect(stdout).toMatch(/^FIND_USER cy: foaf tcp:\/\/127\.0\.0\.1:\d+$/m)
      expect(stdout).toMatch(/^offline: \S+ left$/m)
      expect(stdout).toContain('after the stop: UserNotFoundError')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 70_000)
})
