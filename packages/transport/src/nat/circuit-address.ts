/**
 * Relayed addresses (SPEC.md section 5.1): `circuit://<relay PeerId hex>/<target PeerId hex>/<relay address>`,
 * e.g. `circuit://ab..ef/01..23/tcp://198.51.100.10:4000`. The target is reached through the relay at
 * that address, on the model of libp2p's `/p2p/<relay>/p2p-circuit/p2p/<target>`.
 */
import { PeerId } from '@saorsa-gossip/types'
import { addressScheme } from '../address.ts'
import { InvalidAddressError } from '../errors.ts'

export const CIRCUIT_SCHEME = 'circuit'

export interface CircuitAddress {
  readonly relay: PeerId
  readonly target: PeerId
  /** Where the relay listens; never itself a circuit (no nested relaying). */
  readonly relayAddr: string
}

export function parseCircuitAddress(addr: string): CircuitAddress {
  if (addressScheme(addr) !== CIRCUIT_SCHEME) throw new InvalidAddressError(`address "${addr}" is not a circuit:// address`)
  const match = /^circuit:\/\/([0-9a-f]{64})\/([0-9a-f]{64})\/(.+)$/.exec(addr)
  if (match === null) throw new InvalidAddressError(`address "${addr}" must look like circuit://<relay hex>/<target hex>/<relay address>`)
  const relayAddr = match[3]!
  if (addressScheme(relayAddr) === CIRCUIT_SCHEME) throw new InvalidAddressError(`address "${addr}" nests a circuit inside a circuit`)
  return { relay: PeerId.fromHex(match[1]!), target: PeerId.fromHex(match[2]!), relayAddr }
}

export function formatCircuitAddress(address: CircuitAddress): string {
  return `${CIRCUIT_SCHEME}://${address.relay.toHex()}/${address.target.toHex()}/${address.relayAddr}`
}
