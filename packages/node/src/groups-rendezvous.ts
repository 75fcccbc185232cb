/**
 * Key packages through rendezvous (SPEC.md 10.3 and 11): a node provides the name
 * `saorsa-gossip/key-package/v1/<PeerId>` (capability KEYPACKAGE, its addresses as hints); a node that
 * must reach a peer it has no connection or address for (an invitee) seeks that name, keeps only
 * records the peer signed itself, connects to an address from one (the handshake proves the PeerId)
 * and then asks for the key package by the direct request, as it would a neighbour.
 */
import { keyPackageRendezvousName } from '@saorsa-gossip/groups/wire'
import { SUMMARY_LIMITS, targetFromName, type Rendezvous } from '@saorsa-gossip/rendezvous'
import { NoRouteError } from '@saorsa-gossip/transport'
import { AbortError, type PeerId } from '@saorsa-gossip/types'

/** The rendezvous target of `peer`'s key-package record: the name hashed as every rendezvous name (11.1). */
export function keyPackageTarget(peer: PeerId): Uint8Array {
  return targetFromName(keyPackageRendezvousName(peer))
}

/**
 * A lookup gives up after this long: a seek asks each of the shard's 3 servers (2 s query timeout on
 * a LAN, 5 s on a WAN) and may wait once after a refusal; 15 s covers that with room for a busy peer.
 */
export const KEY_PACKAGE_LOOKUP_MS = 15_000

type Reach = (peer: PeerId, addrs: readonly string[], options: { signal?: AbortSignal }) => Promise<void>

export interface RendezvousRoute {
  /** Runs `call`; when it finds no route to `peer`, finds `peer` through rendezvous, connects, and runs it once more. */
  via<T>(peer: PeerId, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T>
  readonly counters: { readonly lookups: number; readonly found: number; readonly impostors: number }
}

export function rendezvousRoute(parts: {
  readonly rendezvous: Pick<Rendezvous, 'seek' | 'isStarted'>
  /** Connects to `peer` at one of `addrs`, proving its PeerId (the node's `DirectMessaging.reach`). */
  readonly reach: Reach
  readonly lookupMs?: number
}): RendezvousRoute {
  const counters = { lookups: 0, found: 0, impostors: 0 }
  const find = async (peer: PeerId, signal: AbortSignal | undefined, noRoute: NoRouteError): Promise<void> => {
    counters.lookups++
    const timeout = AbortSignal.timeout(parts.lookupMs ?? KEY_PACKAGE_LOOKUP_MS)
    const bounded = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    let last: unknown
    try {
      for await (const record of parts.rendezvous.seek(keyPackageTarget(peer), { capability: 'KEYPACKAGE', signal: bounded })) {
        // Anyone may provide any name; only the peer can sign as itself, so only its own record says where it is.
        if (!record.provider.equals(peer)) {
          counters.impostors++
          continue
        }
        if (record.addressHints.length === 0) continue
        try {
          await parts.reach(peer, record.addressHints, { signal: bounded })
          counters.found++
          return
        } catch (error) {
          if (signal?.aborted === true) throw error
          last = error
        }
      }
    } catch (error) {
      if (signal?.aborted === true || !(error instanceof AbortError)) throw error
      last = error
    }
    throw new NoRouteError(`${noRoute.message}, and no key-package record of it through rendezvous led to it`, { cause: last ?? noRoute })
  }
  return {
    counters,
    async via(peer, signal, call) {
      try {
        return await call()
      } catch (error) {
        if (!(error instanceof NoRouteError) || !parts.rendezvous.isStarted) throw error
        await find(peer, signal, error)
      }
      return call()
    },
  }
}

/** Hints an inviter can dial: a wildcard bind address is none, and a summary holds 8 of at most 128 characters. */
export function hints(addrs: readonly string[]): string[] {
  return addrs.filter((a) => a.length <= SUMMARY_LIMITS.maxHintChars && !/\/\/(0\.0\.0\.0|\[::\])(:|\/|$)/.test(a)).slice(0, SUMMARY_LIMITS.maxAddressHints)
}

/**
 * Keeps this node's key-package record provided. Rendezvous republishes it before it expires; it is
 * provided again whenever the node gains a neighbour after having none (at start, after a partition),
 * because a registration sent before the node could reach any shard server reached nobody.
 */
export function provideKeyPackageRecord(parts: {
  readonly rendezvous: Pick<Rendezvous, 'provide' | 'unprovide' | 'isStarted'>
  readonly peer: PeerId
  /** The node's current addresses: the hints an inviter dials. */
  readonly addrs: () => readonly string[]
  /** The node's neighbour events (`peer:up`, `peer:down`). */
  readonly overlay?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
}): { readonly counters: { readonly provided: number; readonly failed: number }; stop(): void } {
  const counters = { provided: 0, failed: 0 }
  const target = keyPackageTarget(parts.peer)
  const provide = (): void => {
    if (!parts.rendezvous.isStarted) return
    try {
      parts.rendezvous.provide(target, { capabilities: ['KEYPACKAGE'], addressHints: hints(parts.addrs()) })
      counters.provided++
    } catch {
      // A node at its provider quota still answers key-package requests from peers that know its address.
      counters.failed++
    }
  }
  let neighbours = 0
  const up = (): void => {
    if (neighbours++ === 0) provide()
  }
  const down = (): void => {
    neighbours = Math.max(0, neighbours - 1)
  }
  parts.overlay?.addEventListener('peer:up', up)
  parts.overlay?.addEventListener('peer:down', down)
  provide()
  return {
    counters,
    stop() {
      parts.overlay?.removeEventListener('peer:up', up)
      parts.overlay?.removeEventListener('peer:down', down)
      if (parts.rendezvous.isStarted) parts.rendezvous.unprovide(target)
    },
  }
}
