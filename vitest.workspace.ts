/**
 * Vitest workspace: one project per package (unit tests, `test/**\/*.test.ts`), one project for
 * the deterministic simulator suites (`*.sim.test.ts`), which run in forked workers so a
 * 1,000-node scenario never shares a heap with the unit tests, one for the examples and one for
 * the repository scripts (lint, test guard), and the NAT lab, alone after all of them. Every
 * project runs the event-loop guard: a test file that keeps its worker's loop busy for more than
 * 10 s at a stretch fails, because vitest's worker RPC times out after 60 s without a turn of the
 * loop (scripts/test/event-loop-guard.ts). The simulations also load the WebAssembly BLAKE3 first
 * (packages/simulator/test/fast-hash.setup.ts). The order files start in is set in vitest.config.ts.
 */
import { readdirSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineWorkspace } from 'vitest/config'

const packages = readdirSync('packages').filter((name) => existsSync(`packages/${name}/package.json`))
const setupFiles = [fileURLToPath(new URL('./scripts/test/event-loop-guard.ts', import.meta.url))]

export default defineWorkspace([
  ...packages.map((name) => ({
    test: {
      name,
      root: `packages/${name}`,
      include: ['test/**/*.test.ts'],
      exclude: ['test/**/*.sim.test.ts', 'test/nat-lab.test.ts'],
      setupFiles,
      testTimeout: 60_000,
    },
  })),
  {
    // The network-namespace NAT lab measures hole punching, whose success depends on both ends
    // running at the same moment: it runs after every other project, alone on the machine.
    test: {
      name: 'nat-lab',
      root: 'packages/node',
      include: ['test/nat-lab.test.ts'],
      setupFiles,
      testTimeout: 240_000,
      sequence: { groupOrder: 1 },
    },
  },
  {
    test: {
      name: 'simulations',
      include: ['packages/*/test/**/*.sim.test.ts'],
      pool: 'forks',
      setupFiles: [...setupFiles, fileURLToPath(new URL('./packages/simulator/test/fast-hash.setup.ts', import.meta.url))],
      testTimeout: 300_000,
    },
  },
  {
    test: {
      name: 'examples',
      root: 'examples',
      include: ['test/**/*.test.ts'],
      setupFiles,
      testTimeout: 120_000,
    },
  },
  {
    test: {
      name: 'scripts',
      root: 'scripts',
      include: ['test/**/*.test.ts'],
      setupFiles,
      testTimeout: 60_000,
    },
  },
])
