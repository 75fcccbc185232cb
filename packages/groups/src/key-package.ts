/**
 * Key packages (RFC 9420 section 10): what a node publishes so others can add it. Each binds the
 * node's PeerId through its credential (credential.ts), lives 30 days, and is checked on receipt
 * for signature, suite, lifetime and binding before anyone commits with it.
 */
import type { Identity } from '@saorsa-gossip/identity'
import type { PeerId } from '@saorsa-gossip/types'
import {
  generateKeyPackageWithKey, type Capabilities, type KeyPackage, type PrivateKeyPackage,
} from 'ts-mls'
import { verifyKeyPackage } from 'ts-mls/keyPackage.js'
import { credentialPeerId, makeCredential } from './credential.ts'
import { InvalidKeyPackageError } from './errors.ts'
import { decodeKeyPackageMessage, encodeKeyPackageMessage } from './mls-bytes.ts'
import type { GroupSuite } from './suite.ts'

/** 30 days: long enough to be fetched while the owner is offline, short enough to bound exposure of its init key. */
export const KEY_PACKAGE_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000
/** Clock skew tolerated on `notBefore` (the same 30 s future window as pubsub timestamps). */
export const KEY_PACKAGE_SKEW_MS = 30_000

/** A key package with its private keys (keep secret; consumed when a Welcome for it arrives). */
export interface KeyPackageBundle {
  readonly keyPackage: KeyPackage
  readonly privateKeys: PrivateKeyPackage
  /** The encoded MLSMessage (wire format `mls_key_package`) to publish. */
  readonly bytes: Uint8Array
}

/** The capabilities this node advertises: exactly one suite and basic credentials. */
export function capabilitiesFor(suite: GroupSuite): Capabilities {
  return { versions: ['mls10'], ciphersuites: [suite.impl.name], extensions: [], proposals: [], credentials: ['basic'] }
}

/** A fresh key package for `identity`, valid from `nowMs` for 30 days. */
export async function createKeyPackage(identity: Identity, suite: GroupSuite, nowMs: number): Promise<KeyPackageBundle> {
  const keyPair = suite.identityKeyIsLeafKey
    ? { publicKey: identity.publicKey.slice(), signKey: identity.exportSecretKey() }
    : await suite.impl.signature.keygen()
  const lifetime = {
    notBefore: BigInt(Math.floor(nowMs / 1000)),
    notAfter: BigInt(Math.floor((nowMs + KEY_PACKAGE_LIFETIME_MS) / 1000)),
  }
  const credential = makeCredential(identity, keyPair.publicKey, suite)
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
    credential, capabilitiesFor(suite), lifetime, [], keyPair, suite.impl,
  )
  return { keyPackage: publicPackage, privateKeys: privatePackage, bytes: encodeKeyPackageMessage(publicPackage) }
}

/**
 * Decodes and checks a key package received from `expectedPeer` (or anyone, when undefined):
 * suite, lifetime at `nowMs`, self-signature, and the PeerId binding. Throws `InvalidKeyPackageError`.
 */
export async function openKeyPackage(
  bytes: Uint8Array, suite: GroupSuite, nowMs: number, expectedPeer?: PeerId,
): Promise<{ keyPackage: KeyPackage; peerId: PeerId }> {
  const keyPackage = decodeKeyPackageMessage(bytes, InvalidKeyPackageError)
  if (keyPackage.cipherSuite !== suite.impl.name) {
    throw new InvalidKeyPackageError(`keyPackage: suite ${keyPackage.cipherSuite}, expected ${suite.impl.name}`)
  }
  const { lifetime } = keyPackage.leafNode
  const nowS = BigInt(Math.floor(nowMs / 1000))
  if (lifetime.notBefore > nowS + BigInt(KEY_PACKAGE_SKEW_MS / 1000) || lifetime.notAfter < nowS) {
    throw new InvalidKeyPackageError('keyPackage: outside its lifetime')
  }
  if (lifetime.notAfter - lifetime.notBefore > BigInt(KEY_PACKAGE_LIFETIME_MS / 1000)) {
    throw new InvalidKeyPackageError('keyPackage: lifetime longer than 30 days')
  }
  const peerId = credentialPeerId(keyPackage.leafNode.credential, keyPackage.leafNode.signaturePublicKey, suite)
  if (peerId === undefined) throw new InvalidKeyPackageError('keyPackage: credential does not bind a PeerId to the leaf key')
  if (expectedPeer !== undefined && !peerId.equals(expectedPeer)) {
    throw new InvalidKeyPackageError(`keyPackage: belongs to ${peerId.toShortString()}, expected ${expectedPeer.toShortString()}`)
  }
  if (!(await verifyKeyPackage(keyPackage, suite.impl.signature))) throw new InvalidKeyPackageError('keyPackage: bad signature')
  return { keyPackage, peerId }
}
