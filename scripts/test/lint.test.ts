/**
 * The package rule of scripts/lint.mjs on small fixture trees: imports follow the layer DAG, are
 * declared in package.json, and stay inside their package. One run goes through the command line.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { lintTree } from '../lint.mjs'

const lintScript = fileURLToPath(new URL('../lint.mjs', import.meta.url))
const roots: string[] = []

/** A tree of packages: each gets a package.json declaring `deps` and the given source files. */
function tree(packages: Record<string, { deps?: string[]; files: Record<string, string> }>): string {
  const root = mkdtempSync(join(tmpdir(), 'lint-dag-'))
  roots.push(root)
  for (const [name, { deps = [], files }] of Object.entries(packages)) {
    const dependencies = Object.fromEntries(deps.map((d) => [d, 'workspace:^']))
    mkdirSync(join(root, 'packages', name), { recursive: true })
    writeFileSync(join(root, 'packages', name, 'package.json'), JSON.stringify({ name: `@saorsa-gossip/${name}`, dependencies }))
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, 'packages', name, path)), { recursive: true })
      writeFileSync(join(root, 'packages', name, path), text)
    }
  }
  return root
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})

describe('lint: the package layer DAG', () => {
  it('passes a tree whose imports all point down the layers and are declared', () => {
    const root = tree({
      types: { files: { 'src/index.ts': 'export const x = 1\n' } },
      identity: { deps: ['@saorsa-gossip/types'], files: { 'src/index.ts': "import { x } from '@saorsa-gossip/types'\nexport const y = x\n" } },
      pubsub: {
        deps: ['@saorsa-gossip/types', '@saorsa-gossip/identity'],
        files: { 'src/index.ts': "export { y } from '@saorsa-gossip/identity'\nimport type { x } from '@saorsa-gossip/types'\nimport './local.ts'\n", 'src/local.ts': '' },
      },
      simulator: { deps: ['@saorsa-gossip/node'], files: { 'src/index.ts': "import { stack } from '@saorsa-gossip/node/stack'\n" } },
    })
    expect(lintTree(root)).toEqual([])
  })

  it('fails an upward import from the command line, naming both packages', async () => {
    const root = tree({
      membership: { files: { 'src/index.ts': 'export const view = []\n' } },
      pubsub: { deps: ['@saorsa-gossip/membership'], files: { 'src/driver.ts': "\nimport { view } from '@saorsa-gossip/membership'\n" } },
    })
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [lintScript, root], (error, _stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stderr }))
    })
    expect(code).toBe(1)
    expect(stderr).toContain("packages/pubsub/src/driver.ts:2:1 layer DAG: 'pubsub' must not import 'membership' ('@saorsa-gossip/membership'); 'pubsub' may import types, identity")
    expect(stderr).toContain('lint: 1 problem(s)')
  })

  it('catches export-from and dynamic imports, and the simulator reaching past node/stack', () => {
    const root = tree({
      types: { files: { 'src/index.ts': "export { z } from '@saorsa-gossip/identity'\n" } },
      transport: { deps: ['@saorsa-gossip/membership'], files: { 'src/index.ts': "export const m = () => import('@saorsa-gossip/membership')\n" } },
      simulator: { deps: ['@saorsa-gossip/node'], files: { 'src/index.ts': "import { createNode } from '@saorsa-gossip/node'\n" } },
    })
    const problems = lintTree(root)
    expect(problems).toHaveLength(3)
    expect(problems).toContain("packages/types/src/index.ts:1:1 layer DAG: 'types' must not import 'identity' ('@saorsa-gossip/identity'); 'types' may import no other package")
    expect(problems).toContain("packages/transport/src/index.ts:1:24 layer DAG: 'transport' must not import 'membership' ('@saorsa-gossip/membership'); 'transport' may import types, identity")
    expect(problems).toContain("packages/simulator/src/index.ts:1:1 layer DAG: 'simulator' must not import 'node' ('@saorsa-gossip/node'); of 'node' it may import only @saorsa-gossip/node/stack")
  })

  it('keeps the test helpers of types/testing out of every source file', () => {
    const root = tree({
      types: { files: { 'src/index.ts': 'export const x = 1\n' } },
      identity: { deps: ['@saorsa-gossip/types'], files: { 'src/index.ts': "import { mutate } from '@saorsa-gossip/types/testing'\nexport const m = mutate\n" } },
    })
    expect(lintTree(root)).toEqual(["packages/identity/src/index.ts:1:1 'identity' imports the test helpers '@saorsa-gossip/types/testing' from a source file; they are for tests only"])
  })

  it('fails a tsconfig whose project references differ from the workspace dependencies', () => {
    const root = tree({
      membership: { deps: ['@saorsa-gossip/types', '@saorsa-gossip/transport'], files: { 'tsconfig.json': JSON.stringify({ references: [{ path: '../types' }, { path: '../identity' }] }) } },
    })
    expect(lintTree(root)).toEqual([
      "packages/membership/tsconfig.json does not reference '../transport', a dependency in its package.json",
      "packages/membership/tsconfig.json references '../identity', which its package.json does not depend on",
    ])
  })

  it('fails an undeclared dependency, a relative import into another package, and a package missing from the table', () => {
    const root = tree({
      identity: { files: { 'src/index.ts': "import { x } from '@saorsa-gossip/types'\nimport { blake3 } from '@noble/hashes/blake3.js'\nimport { readFile } from 'node:fs'\n" } },
      transport: { deps: ['@saorsa-gossip/identity'], files: { 'src/index.ts': "import { y } from '../../identity/src/index.ts'\n" } },
      gateway: { deps: ['@saorsa-gossip/types'], files: { 'src/index.ts': "import { x } from '@saorsa-gossip/types'\n" } },
    })
    expect(lintTree(root)).toEqual([
      "packages/gateway/src/index.ts:1:1 package 'gateway' has no row in the layer table of scripts/lint.mjs",
      "packages/identity/src/index.ts:1:1 'identity' imports '@saorsa-gossip/types' but packages/identity/package.json does not declare it in dependencies",
      "packages/identity/src/index.ts:2:1 'identity' imports '@noble/hashes' but packages/identity/package.json does not declare it in dependencies",
      "packages/transport/src/index.ts:1:1 'transport' reaches outside its package by path: '../../identity/src/index.ts'",
    ])
  })
})
