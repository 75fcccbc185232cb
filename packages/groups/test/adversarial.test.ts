/**
 * Forged, malformed and replayed commits, Welcomes and key packages: each is rejected with a typed
 * error and the receiver's group state is unchanged (same epoch, same exporter, and the genuine
 * commit still applies afterwards).
 */
import { describe, expect, it } from 'vitest'
import { SeededRng, toHex } from '@saorsa-gossip/types'
import { createCommit, encodeMlsMessage, generateKeyPackageWithKey } from 'ts-mls'
import { GroupError } from '../src/errors.ts'
import type { MlsGroup } from '../src/group.ts'
import { capabilitiesFor, createKeyPackage, openKeyPackage } from '../src/key-package.ts'
import { MlsGroup as Group } from '../src/group.ts'
import { buildGroup, identity, NOW, suiteFor } from './helpers.ts'

async function fingerprint(g: MlsGroup): Promise<string> {
  return `${g.epoch}:${toHex(await g.exportSecret('fingerprint', 16))}`
}

async function rejects(g: MlsGroup, bytes: Uint8Array, name?: string): Promise<void> {
  const before = await fingerprint(g)
  const err = await g.processCommit(bytes).then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(GroupError)
  if (name !== undefined) expect(err).toMatchObject({ name })
  expect(await fingerprint(g)).toBe(before)
}

describe('a member receiving hostile group traffic', () => {
  it('rejects replayed, foreign, truncated and mutated commits and stays where it was', async () => {
    const suite = await suiteFor('saorsa')
    const { groups } = await buildGroup(suite, 3, 60)
    const [a, b] = groups as [MlsGroup, MlsGroup]
    const update = await a.prepareCommit()
    a.merge(update)
    // Malformed first: the genuine commit must still apply afterwards.
    await rejects(b, update.commit.subarray(0, update.commit.length - 1), 'InvalidCommitError')
    const rng = new SeededRng('commit-mutations')
    for (let i = 0; i < 150; i++) {
      const mutated = update.commit.slice()
      const at = rng.nextInt(mutated.length)
      mutated[at] = mutated[at]! ^ (1 << rng.nextInt(8))
      await rejects(b, mutated)
    }
    await b.processCommit(update.commit)
    expect(b.epoch).toBe(2)
    await rejects(b, update.commit, 'StaleEpochError')
    // A commit made in a look-alike group with the same id by a non-member.
    const { groups: [impostor] } = await buildGroup(suite, 1, 66)
    const fake = await impostor!.prepareCommit()
    await rejects(b, fake.commit)
  })

  it('rejects a commit adding a key package whose credential claims another PeerId', async () => {
    const suite = await suiteFor('saorsa')
    const { ids, groups } = await buildGroup(suite, 2, 70)
    const [a, b] = groups as [MlsGroup, MlsGroup]
    const mallory = identity(79)
    // Mallory's leaf key with a credential naming member b.
    const forged = await generateKeyPackageWithKey(
      { credentialType: 'basic', identity: ids[1]!.peerId.bytes.slice() }, capabilitiesFor(suite),
      { notBefore: BigInt(Math.floor(NOW / 1000)), notAfter: BigInt(Math.floor(NOW / 1000) + 86_400) }, [],
      { publicKey: mallory.publicKey, signKey: mallory.exportSecretKey() }, suite.impl,
    )
    const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: forged.publicPackage })
    await expect(openKeyPackage(bytes, suite, NOW)).rejects.toMatchObject({ name: 'InvalidKeyPackageError' })
    await expect(a.prepareCommit({ add: [forged.publicPackage] })).rejects.toThrow()
    // A committer whose own checks are switched off still cannot get it past the other members.
    const lax = { ...a.state, clientConfig: { ...a.state.clientConfig, authService: { validateCredential: async () => true } } }
    const { commit } = await createCommit({ state: lax, cipherSuite: suite.impl }, { extraProposals: [{ proposalType: 'add', add: { keyPackage: forged.publicPackage } }] })
    await rejects(b, encodeMlsMessage(commit), 'InvalidCommitError')
  })

  it('rejects mutated Welcomes, a tree that does not match, and a Welcome for someone else', async () => {
    const suite = await suiteFor('saorsa')
    const { groups: [a] } = await buildGroup(suite, 1, 80)
    const joiner = identity(81)
    const bundle = await createKeyPackage(joiner, suite, NOW)
    const other = await createKeyPackage(identity(82), suite, NOW)
    const pending = await a!.prepareCommit({ add: [(await openKeyPackage(bundle.bytes, suite, NOW)).keyPackage] })
    const { welcome, ratchetTree } = pending.welcome!
    const join = (w: Uint8Array, t: Uint8Array, b = bundle) => Group.join(joiner, suite, b, w, t)
    await expect(join(welcome.subarray(1), ratchetTree)).rejects.toMatchObject({ name: 'InvalidWelcomeError' })
    await expect(join(welcome, ratchetTree.subarray(0, ratchetTree.length - 2))).rejects.toMatchObject({ name: 'InvalidWelcomeError' })
    const rng = new SeededRng('welcome-mutations')
    for (let i = 0; i < 60; i++) {
      const w = welcome.slice()
      const wAt = rng.nextInt(w.length)
      w[wAt] = w[wAt]! ^ (1 << rng.nextInt(8))
      await expect(join(w, ratchetTree)).rejects.toBeInstanceOf(GroupError)
      const t = ratchetTree.slice()
      const tAt = rng.nextInt(t.length)
      t[tAt] = t[tAt]! ^ (1 << rng.nextInt(8))
      await expect(join(welcome, t)).rejects.toBeInstanceOf(GroupError)
    }
    await expect(join(welcome, ratchetTree, other)).rejects.toMatchObject({ name: 'InvalidWelcomeError' })
    // The genuine pair still works.
    a!.merge(pending)
    const joined = await join(welcome, ratchetTree)
    expect(toHex(await joined.exportSecret('x', 8))).toBe(toHex(await a!.exportSecret('x', 8)))
  })
})
