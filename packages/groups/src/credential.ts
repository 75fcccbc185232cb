/**
 * The MLS credential that binds a leaf to a member's PeerId (RFC 9420 section 5.3, "basic"
 * credential). On the Saorsa suite the leaf signature key is the member's ML-DSA-65 identity key,
 * so the credential is just the PeerId and binds when BLAKE3(leaf key) equals it. On a standard suite
 * the leaf key is a separate classical key, and the credential carries the ML-DSA-65 public key and
 * its signature over that leaf key (SPEC.md 10.2).
 */
import { verifySignature, type Identity } from '@saorsa-gossip/identity'
import { bytesEqual, concatBytes, ID_LENGTH, PeerId } from '@saorsa-gossip/types'
import type { AuthenticationService, Credential } from 'ts-mls'
import type { GroupSuite } from './suite.ts'

/** Domain tag of the identity key's signature over a classical leaf key. */
export const CREDENTIAL_BINDING_DOMAIN = 'saorsa-gossip/mls-credential/v1'
const PUBLIC_KEY_BYTES = 1952
const SIGNATURE_BYTES = 3309

const keyPeerIds = new WeakMap<Uint8Array, PeerId>()

/**
 * BLAKE3 of a leaf key, once per key object: ts-mls shares unchanged leaves between epoch states,
 * and listing 1,000 members would otherwise hash 2 MB of keys on every commit. Leaf keys are never
 * mutated in place (states are immutable), so the object identifies its bytes.
 */
function peerIdOfKey(publicKey: Uint8Array): PeerId {
  let peerId = keyPeerIds.get(publicKey)
  if (peerId === undefined) {
    peerId = PeerId.fromPublicKey(publicKey)
    keyPeerIds.set(publicKey, peerId)
  }
  return peerId
}

/** The credential for `identity` with leaf signature key `leafPublicKey` under `suite`. */
export function makeCredential(identity: Identity, leafPublicKey: Uint8Array, suite: GroupSuite): Credential {
  if (suite.identityKeyIsLeafKey) return { credentialType: 'basic', identity: identity.peerId.bytes.slice() }
  const proof = identity.sign(CREDENTIAL_BINDING_DOMAIN, leafPublicKey)
  return { credentialType: 'basic', identity: concatBytes(identity.publicKey, proof) }
}

/**
 * The PeerId a credential proves for `leafPublicKey`, or undefined when it proves none. Called by
 * ts-mls for every leaf it accepts (key packages in adds, Welcome trees, update paths).
 */
export function credentialPeerId(credential: Credential, leafPublicKey: Uint8Array, suite: GroupSuite): PeerId | undefined {
  if (credential.credentialType !== 'basic') return undefined
  const id = credential.identity
  if (suite.identityKeyIsLeafKey) {
    if (id.length !== ID_LENGTH || leafPublicKey.length !== PUBLIC_KEY_BYTES) return undefined
    const peerId = peerIdOfKey(leafPublicKey)
    return bytesEqual(peerId.bytes, id) ? peerId : undefined
  }
  if (id.length !== PUBLIC_KEY_BYTES + SIGNATURE_BYTES) return undefined
  const identityKey = id.subarray(0, PUBLIC_KEY_BYTES)
  const proof = id.subarray(PUBLIC_KEY_BYTES)
  return verifySignature(identityKey, CREDENTIAL_BINDING_DOMAIN, leafPublicKey, proof) ? PeerId.fromPublicKey(identityKey) : undefined
}

/** The authentication service handed to ts-mls: accepts exactly the credentials that bind. */
export function peerIdAuthService(suite: GroupSuite): AuthenticationService {
  return {
    async validateCredential(credential, signaturePublicKey) {
      return credentialPeerId(credential, signaturePublicKey, suite) !== undefined
    },
  }
}
