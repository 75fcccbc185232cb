/**
 * A presence group keyed by a secret shared out of band instead of an MLS exporter (SPEC.md section
 * 13.5): the exporter for `label` is BLAKE3-keyed(secret, label) in XOF mode to `length` bytes (BLAKE3
 * paper section 2.3), so one shared secret keys each label independently. No roster: every holder of
 * the secret is a member; each beacon is still bound to its sender by the pubsub origin signature.
 */
import { blake3 } from '@noble/hashes/blake3.js'
import { InvalidParametersError, utf8 } from '@saorsa-gossip/types'
import type { PresenceGroup } from './service.ts'

export const SHARED_SECRET_BYTES = 32

/** The group of everyone holding `secret` (32 bytes, e.g. `openssl rand -hex 32`); its epoch never moves. */
export function sharedSecretGroup(secret: Uint8Array): PresenceGroup {
  if (!(secret instanceof Uint8Array) || secret.length !== SHARED_SECRET_BYTES) {
    throw new InvalidParametersError(`secret: expected ${SHARED_SECRET_BYTES} bytes`)
  }
  const key = secret.slice()
  return {
    epoch: 0,
    exportSecret(label: string, length: number): Uint8Array {
      if (typeof label !== 'string' || label.length === 0) throw new InvalidParametersError('label: expected a non-empty string')
      if (!Number.isSafeInteger(length) || length < 1 || length > 1024) throw new InvalidParametersError('length: expected 1..1024')
      return blake3(utf8(label), { key, dkLen: length })
    },
  }
}
