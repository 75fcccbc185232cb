/**
 * Control methods of the coordinator layer (SPEC.md sections 8.1.1 and 9.7): `coordinator.list` (the
 * verified adverts the node caches) and `coordinator.addressbook` (the peers whose origin-signed
 * records it heard). Both read the running node; nothing here changes state.
 */
import { ROLES, type Role } from '@saorsa-gossip/coordinator'
import type { SaorsaNode } from '../../node.ts'
import { BadRequestError } from '../protocol.ts'
import { exactKeys, intParam, stringParam } from './params.ts'
import type { ControlMethodsFactory } from './types.ts'

/** One cached advert as JSON (the CLI's `network coordinators --json` prints a list of these). */
export interface AdvertJson {
  peerId: string
  roles: Role[]
  addresses: string[]
  nat: string
  sequence: number
  /** Unix milliseconds of the advert's validity window. */
  notBeforeMs: number
  expiresMs: number
  dialSuccesses: number
  dialFailures: number
}

export interface AddressBookJson {
  peerId: string
  addresses: string[]
  counter: number
  /** Milliseconds since the peer's latest record. */
  lastHeardAgoMs: number
}

/** More than the cache holds (1,000): the whole cache fits one reply of a few hundred KB. */
const MAX_LIST = 1_000

export const coordinatorControlMethods: ControlMethodsFactory = (node: SaorsaNode) => ({
  'coordinator.list': {
    parse(params, id) {
      exactKeys(params, ['role', 'limit'], id)
      const role = stringParam(params, 'role', id, 16, true)
      if (role !== undefined && !(ROLES as readonly string[]).includes(role)) throw new BadRequestError(`params.role must be one of ${ROLES.join(', ')}`, id)
      return { role, limit: intParam(params, 'limit', id, 1, MAX_LIST, true) ?? MAX_LIST }
    },
    run(params): AdvertJson[] {
      const role = params.role as Role | undefined
      return node.coordinator.adverts({ limit: params.limit as number, ...(role === undefined ? {} : { role }) }).map(({ advert: a, dialSuccesses, dialFailures }) => ({
        peerId: a.peerId.toHex(), roles: [...a.roles], addresses: [...a.addresses], nat: a.nat, sequence: a.sequence,
        notBeforeMs: a.notBeforeMs, expiresMs: a.notAfterMs, dialSuccesses, dialFailures,
      }))
    },
  },
  'coordinator.addressbook': {
    parse(params, id) {
      exactKeys(params, [], id)
      return {}
    },
    run(): AddressBookJson[] {
      const now = performance.now()
      return node.coordinator.addressBook()
        .map((e) => ({ peerId: e.peerId.toHex(), addresses: [...e.addresses], counter: e.counter, lastHeardAgoMs: Math.max(0, Math.round(now - e.lastHeardMs)) }))
        .sort((a, b) => (a.peerId < b.peerId ? -1 : 1))
    },
  },
})
