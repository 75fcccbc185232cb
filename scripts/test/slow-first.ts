/**
 * The order test files start in: longest first, so the long ones overlap with everything else and
 * the run does not end with one core busy on a 100 s simulation while the other idles. Vitest's own
 * order does this from its cache of last durations, but a fresh clone has no cache and falls back to
 * the largest file first, which started the longest simulation (a short file) near the end of a run.
 * Durations come from the cache when vitest has them, else from the table below, else the file is
 * treated as short (and larger files of those go first, as vitest does).
 */
import { statSync } from 'node:fs'
import { relative } from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Wall ms of the slowest files in a full run on 2 busy cores (README's `pnpm test`, 2026-12-07). The
 * simulator entries come from a later run of the simulations alone (after they moved to the
 * WebAssembly BLAKE3), scaled up by 1.4 for the other files beside them. Only the order matters: a stale figure
 * costs some idle time at the end, never a failure.
 */
const KNOWN_MS: Readonly<Record<string, number>> = {
  'packages/simulator/test/membership-composite.sim.test.ts': 88_000,
  'packages/groups/test/store-kill.test.ts': 88_000,
  'packages/simulator/test/presence.sim.test.ts': 72_000,
  'packages/simulator/test/presence-bandwidth.sim.test.ts': 64_000,
  'examples/test/examples.test.ts': 49_000,
  'packages/node/test/addressbook-processes.test.ts': 42_000,
  'packages/simulator/test/pubsub-broadcast.sim.test.ts': 39_000,
  'packages/simulator/test/coordinator.sim.test.ts': 37_000,
  'packages/simulator/test/crdt-sync.sim.test.ts': 36_000,
  'packages/node/test/coordinator-processes.test.ts': 36_000,
  'packages/simulator/test/pubsub-overload.sim.test.ts': 34_000,
  'packages/simulator/test/membership-partition.sim.test.ts': 33_000,
  'packages/simulator/test/membership-merge.sim.test.ts': 33_000,
  'packages/node/test/groups-processes.test.ts': 33_000,
  'packages/simulator/test/swim.sim.test.ts': 31_000,
  'packages/node/test/cli-daemons.test.ts': 31_000,
  'packages/simulator/test/hyparview-churn.sim.test.ts': 30_000,
  'packages/transport/test/hostile.test.ts': 29_000,
  'packages/crdt-sync/test/store-kill.test.ts': 28_000,
  'packages/simulator/test/rendezvous.sim.test.ts': 25_000,
  'packages/node/test/crdt-processes.test.ts': 25_000,
  'packages/node/test/packaging.test.ts': 25_000,
  'packages/simulator/test/pubsub-faults.sim.test.ts': 22_000,
  'packages/simulator/test/pubsub-anti-entropy.sim.test.ts': 22_000,
  'packages/simulator/test/pubsub-verify-pool.sim.test.ts': 21_000,
  'packages/simulator/test/hyparview-rejoin-mixing.sim.test.ts': 21_000,
  'packages/node/test/presence-processes.test.ts': 21_000,
  'packages/simulator/test/hyparview-kill.sim.test.ts': 18_000,
  'packages/transport/test/frames-fuzz.test.ts': 18_000,
  'packages/types/test/fuzz.test.ts': 16_000,
  'packages/transport/test/edge-flood.test.ts': 16_000,
  'examples/test/demo-steps.test.ts': 16_000,
  'packages/node/test/cli-late-bootstrap.test.ts': 16_000,
  'packages/identity/test/keystore-kill.test.ts': 13_000,
  'packages/node/test/rendezvous-processes.test.ts': 13_000,
  'packages/transport/test/webtransport-hostile.test.ts': 12_000,
  'scripts/test/event-loop-guard.test.ts': 11_000,
  'packages/transport/test/handshake.test.ts': 10_000,
  'packages/pubsub/test/signatures.test.ts': 10_000,
  'packages/coordinator/test/codec-fuzz.test.ts': 10_000,
  'packages/simulator/test/pubsub-keys.sim.test.ts': 9_000,
}

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root
    const cache = this.ctx.cache
    const weigh = (spec: TestSpecification): { ms: number; size: number } => {
      const path = relative(root, spec.moduleId).split('\\').join('/')
      const cached = cache.getFileTestResults(`${spec.project.name}:${path}`)
      const ms = cached?.duration ?? KNOWN_MS[path] ?? 0
      return { ms, size: cache.getFileStats(`${spec.project.name}:${path}`)?.size ?? sizeOf(spec.moduleId) }
    }
    const weights = new Map(files.map((spec) => [spec, weigh(spec)]))
    const sorted = [...files].sort((a, b) => {
      const wa = weights.get(a)!
      const wb = weights.get(b)!
      return wb.ms - wa.ms || wb.size - wa.size
    })
    return sorted
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
