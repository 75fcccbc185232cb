/**
 * Deterministic peer ids for simulations: node `n` gets the 32-byte id whose first four bytes
 * are `n` big-endian and the rest a fixed pattern, so ids are stable across runs and readable.
 */
import { PeerId } from '@saorsa-gossip/types'

export function simPeerId(n: number): PeerId {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`simPeerId: n must be a u32, got ${n}`)
  const bytes = new Uint8Array(32).fill(0x5a)
  new DataView(bytes.buffer).setUint32(0, n)
  return PeerId.fromBytes(bytes)
}
