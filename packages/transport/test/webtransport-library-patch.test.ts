/**
 * Patching @fails-components/webtransport in memory (src/webtransport/library-patch.ts): the shipped
 * patch turns the registry's 1.6.8 files into exactly the files pnpm patches in this workspace, every
 * input and output is pinned by hash, anything else is refused with the command that fixes it, and the
 * loader hooks serve the patched source. (The whole path from a plain `npm install` is proven by
 * packages/node/test/packaging.test.ts.)
 */
import { execFile, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  findLibraryDir, LIBRARY_VERSION, PATCH_URL, PATCHED_FILES, patchOnDiskCommand, preparePatchedSources,
} from '../src/webtransport/library-patch.ts'
import { applyHunks, parseUnifiedDiff, type DiffHunk } from '../src/webtransport/unified-diff.ts'

const run = promisify(execFile)
/** GNU patch, for the on-disk fallback the error messages name; not every machine has it. */
const hasPatchCommand = spawnSync('patch', ['--version']).status === 0
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')
const reversed = (hunks: readonly DiffHunk[]): DiffHunk[] =>
  hunks.map((h) => ({ oldStart: h.newStart, oldLines: h.newLines, newStart: h.oldStart, newLines: h.oldLines }))

let patchText: string
let installed: string
let work: string
/** A copy of the library's patched files and package.json, turned back into the 1.6.8 release. */
let released: string

beforeAll(async () => {
  patchText = await readFile(PATCH_URL, 'utf8')
  installed = findLibraryDir()!
  work = await mkdtemp(join(tmpdir(), 'sg-wt-patch-'))
  released = join(work, 'webtransport')
  const diffs = new Map(parseUnifiedDiff(patchText).map((f) => [f.path, f.hunks]))
  for (const path of PATCHED_FILES.keys()) {
    const source = applyHunks(await readFile(join(installed, path), 'utf8'), reversed(diffs.get(path)!), path)
    await mkdir(dirname(join(released, path)), { recursive: true })
    await writeFile(join(released, path), source)
  }
  await writeFile(join(released, 'package.json'), await readFile(join(installed, 'package.json')))
})
afterAll(async () => { await rm(work, { recursive: true, force: true }) })

describe('WebTransport library patch, in memory', () => {
  it('covers exactly the files the shipped patch changes', () => {
    expect(parseUnifiedDiff(patchText).map((f) => f.path).sort()).toEqual([...PATCHED_FILES.keys()].sort())
  })

  it('finds the workspace copy patched on disk by pnpm, so nothing is served from memory', async () => {
    for (const [path, { patched }] of PATCHED_FILES) expect(sha256(await readFile(join(installed, path), 'utf8'))).toBe(patched)
    expect(preparePatchedSources(installed, patchText).size).toBe(0)
  })

  it('patches the released files into the workspace files, keyed by the URLs Node loads them from', async () => {
    for (const [path, { release }] of PATCHED_FILES) expect(sha256(await readFile(join(released, path), 'utf8'))).toBe(release)
    const sources = preparePatchedSources(released, patchText)
    expect(sources.size).toBe(PATCHED_FILES.size)
    for (const path of PATCHED_FILES.keys()) {
      expect(sources.get(pathToFileURL(join(released, path)).href)).toBe(await readFile(join(installed, path), 'utf8'))
    }
    // Nothing on disk changed.
    for (const [path, { release }] of PATCHED_FILES) expect(sha256(await readFile(join(released, path), 'utf8'))).toBe(release)
  })

  it('patches only the files still as released when some are already patched', async () => {
    const mixed = join(work, 'mixed')
    for (const path of PATCHED_FILES.keys()) {
      await mkdir(dirname(join(mixed, path)), { recursive: true })
      await writeFile(join(mixed, path), await readFile(join(path === 'lib/index.node.js' ? installed : released, path)))
    }
    await writeFile(join(mixed, 'package.json'), await readFile(join(installed, 'package.json')))
    const sources = preparePatchedSources(mixed, patchText)
    expect(sources.size).toBe(PATCHED_FILES.size - 1)
    expect(sources.has(pathToFileURL(join(mixed, 'lib/index.node.js')).href)).toBe(false)
  })

  it('refuses a file changed after install, naming it and the reinstall command', async () => {
    const file = join(released, 'lib/session.js')
    const original = await readFile(file, 'utf8')
    await writeFile(file, original + '\n')
    try {
      expect(() => preparePatchedSources(released, patchText)).toThrow(expect.objectContaining({
        name: 'WebTransportUnavailableError',
        message: expect.stringMatching(new RegExp(`lib/session\\.js is neither .* reinstall with \`rm -rf '${released}' && npm install\`$`)),
      }))
    } finally {
      await writeFile(file, original)
    }
  })

  it('refuses another release of the library with the install command', async () => {
    const other = join(work, 'other')
    await mkdir(other)
    await writeFile(join(other, 'package.json'), JSON.stringify({ name: '@fails-components/webtransport', version: '1.6.7' }))
    expect(() => preparePatchedSources(other, patchText)).toThrow(expect.objectContaining({
      name: 'WebTransportUnavailableError',
      message: expect.stringMatching(new RegExp(`is @fails-components/webtransport 1\\.6\\.7, .* \`npm install @fails-components/webtransport@${LIBRARY_VERSION}\`$`)),
    }))
  })

  it('refuses a patch that does not produce the pinned output', () => {
    const tampered = patchText.replace('+    // saorsa patch: idempotent', '+    // tampered: idempotent')
    expect(tampered).not.toBe(patchText)
    expect(() => preparePatchedSources(released, tampered)).toThrow(expect.objectContaining({
      name: 'WebTransportUnavailableError', message: expect.stringMatching(/does not produce the expected/),
    }))
  })

  it('refuses a patch that is not a diff, or that does not fit the released files', () => {
    for (const broken of ['not a diff', patchText.replace('@@ -2,11 +2,14 @@', '@@ -3,11 +3,14 @@')]) {
      expect(broken === patchText).toBe(false)
      expect(() => preparePatchedSources(released, broken)).toThrow(expect.objectContaining({
        name: 'WebTransportUnavailableError', message: expect.stringMatching(/the shipped patch (is unreadable|does not apply to)/),
      }))
    }
  })

  it.skipIf(!hasPatchCommand)('applies on disk with the command the errors name, and the result is recognised as patched', async () => {
    const copy = join(work, 'on-disk')
    for (const path of [...PATCHED_FILES.keys(), 'package.json']) {
      await mkdir(dirname(join(copy, path)), { recursive: true })
      await writeFile(join(copy, path), await readFile(join(released, path)))
    }
    await run('sh', ['-c', patchOnDiskCommand(copy)])
    for (const [path, { patched }] of PATCHED_FILES) expect(sha256(await readFile(join(copy, path), 'utf8'))).toBe(patched)
    expect(preparePatchedSources(copy, patchText).size).toBe(0)
  })

  it('serves patched sources through the module loader hooks of this Node version (built package)', async () => {
    const module = join(work, 'served.mjs')
    await writeFile(module, 'export const value = "on disk"\n')
    const script = `
      const { servePatchedSources } = await import(${JSON.stringify(new URL('../dist/webtransport/library-patch.js', import.meta.url).href)})
      const url = ${JSON.stringify(pathToFileURL(module).href)}
      servePatchedSources(new Map([[url, 'export const value = "patched"\\n']]))
      servePatchedSources(new Map([[url, 'export const value = "second registration"\\n']]))
      console.log((await import(url)).value)`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)) })
    expect(stdout.trim()).toBe('patched')
  })
})

describe('unified diff reader', () => {
  const diff = (body: string): string => `diff --git a/lib/x.js b/lib/x.js\nindex 1..2 100644\n--- a/lib/x.js\n+++ b/lib/x.js\n${body}`

  it('applies hunks at exactly their line and refuses a file that does not match', () => {
    const [file] = parseUnifiedDiff(diff('@@ -2,2 +2,3 @@\n b\n+inserted\n c\n'))
    expect(applyHunks('a\nb\nc\nd\n', file!.hunks, 'lib/x.js')).toBe('a\nb\ninserted\nc\nd\n')
    expect(() => applyHunks('a\nB\nc\nd\n', file!.hunks, 'lib/x.js')).toThrow(expect.objectContaining({ name: 'PatchError', message: 'lib/x.js: line 2 does not match the patch' }))
    expect(() => applyHunks('b\nc\nd\n', file!.hunks, 'lib/x.js')).toThrow(expect.objectContaining({ name: 'PatchError' }))
  })

  it.each([
    ['a rename', 'diff --git a/lib/x.js b/lib/y.js\n--- a/lib/x.js\n+++ b/lib/y.js\n@@ -1 +1 @@\n-a\n+b\n', /renames/],
    ['a new file', 'diff --git a/lib/x.js b/lib/x.js\nnew file mode 100644\n--- /dev/null\n+++ b/lib/x.js\n@@ -0,0 +1 @@\n+a\n', /only modified text files/],
    ['a path leaving the package', 'diff --git a/../x.js b/../x.js\n--- a/../x.js\n+++ b/../x.js\n@@ -1 +1 @@\n-a\n+b\n', /unsafe path/],
    ['a missing newline marker', diff('@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n'), /No newline/],
    ['a hunk longer than its header', diff('@@ -1,1 +1,1 @@\n-a\n-b\n+c\n'), /longer than its header/],
    ['a hunk cut short', diff('@@ -1,3 +1,3 @@\n a\n'), /hunk ends early/],
    ['a header without hunks', diff(''), /no hunks/],
    ['no diff at all', 'just text\n', /no file diffs/],
  ])('refuses %s with PatchError', (_, text, message) => {
    expect(() => parseUnifiedDiff(text)).toThrow(expect.objectContaining({ name: 'PatchError', message: expect.stringMatching(message) }))
  })
})
