/**
 * Vitest workspace: one project per package (unit tests, `test/**\/*.test.ts`) plus one
 * project for the deterministic simulator suites (`*.sim.test.ts`), which run in forked
 * workers so a 1,000-node scenario never shares a heap with the unit tests.
 */
import { readdirSync, existsSync } from 'node:fs'
import { defineWorkspace } from 'vitest/config'

const packages = readdirSync('packages').filter((name) => existsSync(`packages/${name}/package.json`))

export default defineWorkspace([
  ...packages.map((name) => ({
    test: {
      name,
      root: `packages/${name}`,
      include: ['test/**/*.test.ts'],
      exclude: ['test/**/*.sim.test.ts'],
      testTimeout: 60_000,
    },
  })),
  {
    test: {
      name: 'simulations',
      include: ['packages/*/test/**/*.sim.test.ts'],
      pool: 'forks',
      testTimeout: 300_000,
    },
  },
  {
    test: {
      name: 'examples',
      root: 'examples',
      include: ['test/**/*.test.ts'],
      testTimeout: 120_000,
    },
  },
])
