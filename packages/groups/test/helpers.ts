/** Shared fixtures: deterministic identities, a fixed clock and a small group built through the public API. */
import { Identity, loadMlDsa65Backend } from '@saorsa-gossip/identity'
import { MlsGroup } from '../src/group.ts'
import { createKeyPackage, openKeyPackage } from '../src/key-package.ts'
import { loadSuite, type GroupSuite, type SuiteChoice } from '../src/suite.ts'

/** ts-mls checks key package lifetimes against the real clock when committing, so the anchor is now. */
export const NOW = Date.now()

export function identity(n: number): Identity {
  return Identity.generate({ seed: new Uint8Array(32).fill(n) })
}

export async function suiteFor(choice: SuiteChoice): Promise<GroupSuite> {
  await loadMlDsa65Backend()
  return loadSuite(choice)
}

/** A group of `count` members (member 0 created it and added the others in one commit). */
export async function buildGroup(suite: GroupSuite, count: number, seedBase = 1): Promise<{ ids: Identity[]; groups: MlsGroup[] }> {
  const ids = Array.from({ length: count }, (_, i) => identity(seedBase + i))
  const creator = await MlsGroup.create(ids[0]!, suite, { nowMs: NOW, groupId: new Uint8Array(32).fill(7) })
  const bundles = await Promise.all(ids.slice(1).map((id) => createKeyPackage(id, suite, NOW)))
  const opened = await Promise.all(bundles.map(async (b) => (await openKeyPackage(b.bytes, suite, NOW)).keyPackage))
  const groups = [creator]
  if (opened.length > 0) {
    const pending = await creator.prepareCommit({ add: opened })
    creator.merge(pending)
    for (let i = 0; i < bundles.length; i++) {
      groups.push(await MlsGroup.join(ids[i + 1]!, suite, bundles[i]!, pending.welcome!.welcome, pending.welcome!.ratchetTree))
    }
  }
  return { ids, groups }
}
