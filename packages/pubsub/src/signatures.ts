/**
 * ML-DSA-65 capabilities for the core and the publisher (docs/architecture.md section 4): the origin
 * signs `signingInput(DOMAIN.pubsubMessage, headerBytes)` (`DOMAIN.pubsubNeighbor` for a neighbour
 * broadcast), every receiver verifies exactly those bytes. The core receives only the pure `verify`
 * function, so it stays sans-IO and backend-agnostic.
 */
import { signingInput, type Identity, type SignatureBackend } from '@saorsa-gossip/identity'
import { DOMAIN, type Domain } from '@saorsa-gossip/types'
import type { VerifyHeader } from './proto/pubsub.ts'
import type { SignHeader } from './publisher.ts'

export function verifyHeaderWith(backend: SignatureBackend): VerifyHeader {
  return (publicKey, headerBytes, signature, neighborsOnly) => backend.verify(publicKey, headerSigningInput(headerBytes, neighborsOnly), signature)
}

/** The bytes an origin signs for a message header (what a verification pool is handed). */
export function headerSigningInput(headerBytes: Uint8Array, neighborsOnly: boolean): Uint8Array {
  return signingInput(domainOf(neighborsOnly), headerBytes)
}

export function signHeaderWith(identity: Identity): SignHeader {
  return (headerBytes, neighborsOnly) => identity.sign(domainOf(neighborsOnly), headerBytes)
}

function domainOf(neighborsOnly: boolean): Domain {
  return neighborsOnly ? DOMAIN.pubsubNeighbor : DOMAIN.pubsubMessage
}
