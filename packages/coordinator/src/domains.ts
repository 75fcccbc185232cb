/**
 * Signing domain tags of this layer (SPEC.md section 9, signing input of section 4.3). The advert tag
 * predates this package and lives in the shared `DOMAIN` table; the FOAF query tag is this layer's own,
 * so a signature for one purpose never verifies for another.
 */
import { DOMAIN } from '@saorsa-gossip/types'

export const COORDINATOR_DOMAIN = Object.freeze({
  /** Coordinator advert body. */
  advert: DOMAIN.coordinatorAdvert,
  /** FOAF query body, signed by the requester. */
  foafQuery: 'saorsa-gossip/foaf-query/v1',
})

/** Anything that can sign with a domain tag: an `Identity` from @saorsa-gossip/identity fits. */
export interface Signer {
  readonly publicKey: Uint8Array
  sign(domain: string, body: Uint8Array): Uint8Array
}

/** Checks an ML-DSA-65 signature over `signingInput(domain, body)`; returns false, never throws, on bad input. */
export type VerifyFn = (publicKey: Uint8Array, domain: string, body: Uint8Array, signature: Uint8Array) => boolean
