/**
 * NAT traversal of a node (SPEC.md section 5.10), wired beside the other services: every node can
 * dial `circuit://` addresses and answer hole punches; `nat.roles` makes it a reflector or relay for
 * others, `nat.reflectors` lets it learn its public address and NAT class, and `nat.relays` keeps
 * reservations so peers reach it through a relay. Its addresses go into what the node announces.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import {
  createCircuitCarrier, createNatTraversal, NAT_ROLES, type CircuitCarrier, type NatTraversal, type NatTraversalInit, type Transport,
} from '@saorsa-gossip/transport'
import { InvalidParametersError, type AbortOptions } from '@saorsa-gossip/types'

/** The `nat` option of `createNode`: roles served, reflectors to probe, relays to reserve at. */
export type NodeNatOptions = NatTraversalInit

/** Membership announces at most this many addresses (SPEC.md section 6.2). */
const MAX_ANNOUNCED = 8

export function validateNatOptions(options: NodeNatOptions | undefined): void {
  if (options === undefined) return
  if (options === null || typeof options !== 'object') throw new InvalidParametersError('createNode: nat must be an object')
  for (const role of options.roles ?? []) {
    if (!NAT_ROLES.includes(role)) throw new InvalidParametersError(`createNode: nat.roles has unknown role "${String(role)}" (expected ${NAT_ROLES.join(', ')})`)
  }
  for (const key of ['reflectors', 'relays'] as const) {
    const list = options[key]
    if (list !== undefined && (!Array.isArray(list) || list.some((a) => typeof a !== 'string'))) {
      throw new InvalidParametersError(`createNode: nat.${key} must be an array of address strings`)
    }
  }
}

/** The circuit carrier every node carries, so `circuit://` addresses of NATed peers are dialable. */
export function natCarrier(): CircuitCarrier {
  return createCircuitCarrier()
}

export async function startNodeNat(options: NodeNatOptions | undefined, parts: {
  transport: Transport; identity: Identity; circuit: CircuitCarrier; backend: SignatureBackend
}, abort: AbortOptions): Promise<NatTraversal> {
  parts.circuit.attach(parts.transport)
  const nat = createNatTraversal(options ?? {}, parts)
  await nat.start(abort)
  return nat
}

/** What the node announces when not told: relayed and reflexive addresses first, then the bound ones. */
export function announcedAddrs(nat: NatTraversal, transport: Transport): string[] {
  return [...new Set([...nat.addresses(), ...transport.listenAddrs()])].slice(0, MAX_ANNOUNCED)
}
