/**
 * Signed envelope `{ body: bstr, sig: bstr }` (docs/architecture.md section 3). The signer signs the
 * exact body bytes under a domain tag; the verifier checks those same bytes and decodes the body only
 * afterwards (or before, to learn the signer, but never re-encodes it). SPEC.md "Signed envelope".
 */
import { decodeCbor, encodeCbor } from './codec.ts'
import { LIMITS } from './limits.ts'
import { bytes, object } from './schema.ts'

export interface SignedEnvelope {
  /** The signed bytes, usually a CBOR-encoded structure. */
  readonly body: Uint8Array
  /** Signature over `domainTag || body` (see `signingInput` in @saorsa-gossip/identity). */
  readonly sig: Uint8Array
}

export interface EnvelopeLimits {
  /** Largest accepted body. */
  maxBodyBytes: number
  /** Largest accepted signature; defaults to an ML-DSA-65 signature. */
  maxSigBytes?: number
}

export function encodeSignedEnvelope(envelope: SignedEnvelope): Uint8Array {
  return encodeCbor({ body: envelope.body, sig: envelope.sig })
}

export function decodeSignedEnvelope(input: Uint8Array, limits: EnvelopeLimits): SignedEnvelope {
  const maxSig = limits.maxSigBytes ?? LIMITS.mldsa65SignatureBytes
  const schema = object({ body: bytes({ max: limits.maxBodyBytes }), sig: bytes({ min: 1, max: maxSig }) })
  // CBOR overhead of the two-key map with two byte-string headers is under 32 bytes.
  return decodeCbor(input, schema, { maxBytes: limits.maxBodyBytes + maxSig + 32 })
}
