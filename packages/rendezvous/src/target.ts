/**
 * Rendezvous targets (SPEC.md section 11.1): 32 bytes. Applications name them with bytes, 64 hex
 * digits, or a UTF-8 name hashed as BLAKE3("saorsa-rendezvous/name" || name) so names and raw
 * hashes never collide by construction.
 */
import { blake3, concatBytes, fromHex, InvalidParametersError, utf8 } from '@saorsa-gossip/types'

const NAME_DOMAIN = utf8('saorsa-rendezvous/name')

export function targetFromName(name: string): Uint8Array {
  return blake3(concatBytes(NAME_DOMAIN, utf8(name)))
}

/** 32 bytes as given, 64 hex digits decoded, anything else hashed as a name. */
export function parseTarget(target: Uint8Array | string, argument: string): Uint8Array {
  if (target instanceof Uint8Array) {
    if (target.length !== 32) throw new InvalidParametersError(`${argument}: expected 32 bytes, got ${target.length}`)
    return Uint8Array.from(target)
  }
  if (typeof target !== 'string' || target.length === 0 || target.length > 1024) {
    throw new InvalidParametersError(`${argument}: expected 32 bytes, 64 hex digits or a name of 1 to 1,024 characters`)
  }
  return /^[0-9a-f]{64}$/i.test(target) ? fromHex(target.toLowerCase()) : targetFromName(target)
}
