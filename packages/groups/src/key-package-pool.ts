/**
 * This node's key packages waiting for a Welcome (RFC 9420 section 12.4.3.1): each handed out is kept,
 * sealed in the store, until a Welcome naming it arrives, so a restart in between loses no invitation.
 * The oldest are dropped past MAX_STORED_KEY_PACKAGES.
 */
import type { Identity } from '@saorsa-gossip/identity'
import { toHex } from '@saorsa-gossip/types'
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js'
import { createKeyPackage, type KeyPackageBundle } from './key-package.ts'
import { MAX_STORED_KEY_PACKAGES, type GroupStore } from './store.ts'
import { loadSuite, suiteChoiceOfName, type GroupSuite } from './suite.ts'

export class KeyPackagePool {
  readonly #identity: Identity
  readonly #store: GroupStore
  #bundles: KeyPackageBundle[] = []

  constructor(identity: Identity, store: GroupStore) {
    this.#identity = identity
    this.#store = store
  }

  async load(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#bundles = await this.#store.loadKeyPackages(options)
  }

  /** A fresh key package on `suite`, saved before it is returned so its Welcome can always be opened. */
  async issue(suite: GroupSuite, nowMs: number, options: { signal?: AbortSignal } = {}): Promise<KeyPackageBundle> {
    const bundle = await createKeyPackage(this.#identity, suite, nowMs)
    const bundles = [...this.#bundles, bundle].slice(-MAX_STORED_KEY_PACKAGES)
    await this.#store.saveKeyPackages(bundles, options)
    this.#bundles = bundles
    return bundle
  }

  /** The waiting key package a Welcome is encrypted to (its `newMember` references), with its suite. */
  async find(newMemberRefs: readonly Uint8Array[]): Promise<{ bundle: KeyPackageBundle; suite: GroupSuite } | undefined> {
    const refs = new Set(newMemberRefs.map(toHex))
    for (const bundle of this.#bundles) {
      const suite = await loadSuite(suiteChoiceOfName(bundle.keyPackage.cipherSuite))
      if (refs.has(toHex(await makeKeyPackageRef(bundle.keyPackage, suite.impl.hash)))) return { bundle, suite }
    }
    return undefined
  }

  /** Forgets a key package a Welcome consumed: its init key must not open a second one. */
  async consume(bundle: KeyPackageBundle): Promise<void> {
    const bundles = this.#bundles.filter((b) => b !== bundle)
    await this.#store.saveKeyPackages(bundles)
    this.#bundles = bundles
  }
}
