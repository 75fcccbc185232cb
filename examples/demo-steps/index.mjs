/**
 * The upper-layer steps of `npx pnpm@10 demo`, run in this order after the overlay part. Each module
 * exports `name`, `title` and `run({ check, log, home })`: it starts its own nodes over loopback TCP (with
 * `createNode` from @saorsa-gossip/node, in temporary homes under `home`), shows its layer working,
 * calls `check(label, ok)` for every claim, and stops its nodes before it returns. Run one alone with
 * `node examples/demo-step.mjs <name>`; each has a test in ../test/demo-steps.test.ts.
 */
import * as coordinator from './coordinator.mjs'
import * as crdt from './crdt.mjs'
import * as groups from './groups.mjs'
import * as presence from './presence.mjs'
import * as rendezvous from './rendezvous.mjs'

export const STEPS = [
  coordinator,
  rendezvous,
  groups,
  presence,
  crdt,
]
