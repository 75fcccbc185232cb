/**
 * The contacts a HyParView node was given out of band (join contacts, bootstrap and cached
 * addresses), kept for two repairs the paper (DSN 2007) leaves out: redialling them with capped
 * exponential backoff and equal jitter while the node is isolated, and the merge check after
 * Dynamo's seeds (DeCandia et al., SOSP 2007, section 4.8.2: every node keeps reconciling with the
 * seeds it knows, so overlays that formed apart cannot stay apart).
 */
import type { PeerId, Rng } from '@saorsa-gossip/types'
import type { HyParViewConfig } from './hyparview-config.ts'
import type { PeerInfo } from './hyparview-messages.ts'
import { capAddrs } from './hyparview-messages.ts'

/** A contact by id (the simulator, a peer already dialled) or by address (nobody dialled it yet). */
export interface ContactRef {
  readonly id?: PeerId
  readonly addrs: readonly string[]
}

/**
 * Contacts kept at once: a node joins through at most 16 cached peers and 16 bootstrap addresses
 * (`@saorsa-gossip/node`), and one more learned later pushes the oldest out.
 */
export const MAX_CONTACTS = 32

/**
 * A contact probed by the merge check is probed again after mergeIntervalMs doubled per probe, at
 * most 2^4 = 16 intervals later: a contact in our own component costs ever less, while a contact
 * learned anew is probed at the next merge tick.
 */
export const MERGE_BACKOFF_MAX_DOUBLINGS = 4

interface Contact {
  id: PeerId | undefined
  readonly addrs: readonly string[]
  probes: number
  /** Probes that asked the contact (not those skipped because it was in our passive view). */
  asks: number
  nextProbeMs: number
  /** It has been our neighbour, so it was in our overlay: the merge check leaves it alone. */
  met: boolean
}

/**
 * The next action of the merge check: ask a known peer, or dial an address to learn who is there.
 * The second ask of a contact has high priority: a peer with a full view refuses low priority, and
 * would keep two overlays apart. Only that one: each high-priority ask accepted by a full peer
 * evicts one of its neighbours, so a contact known to every node (a seed) is not churned for good.
 */
export type MergeProbe =
  | { readonly type: 'ask'; readonly peer: PeerInfo; readonly priority: 'low' | 'high' }
  | { readonly type: 'dial'; readonly addr: string }

/** `min(redialMaxMs, redialMinMs * 2^attempt)`, then equal jitter: uniform in [half of it, all of it]. */
export function redialDelayMs(config: HyParViewConfig, attempt: number, rng: Rng): number {
  const ceiling = Math.min(config.redialMaxMs, config.redialMinMs * 2 ** Math.min(attempt, 30))
  const half = Math.floor(ceiling / 2)
  return ceiling - half + rng.nextInt(half + 1)
}

export class ContactBook {
  readonly #contacts = new Map<string, Contact>()
  readonly #selfKey: string
  readonly #config: HyParViewConfig

  constructor(selfKey: string, config: HyParViewConfig) {
    this.#selfKey = selfKey
    this.#config = config
  }

  get size(): number {
    return this.#contacts.size
  }

  /** Addresses to redial while isolated (contacts known only by id have none; the core rejoins them). */
  addresses(): string[] {
    return [...new Set([...this.#contacts.values()].flatMap((c) => c.addrs))]
  }

  /** Contacts known by id (a stuck node's way out when its passive view is empty). */
  known(): PeerInfo[] {
    return [...this.#contacts.values()].flatMap((c) => (c.id === undefined ? [] : [{ id: c.id, addrs: c.addrs }]))
  }

  /** Remembers contacts, newest last; an address already known by id is not added twice. */
  add(refs: readonly ContactRef[]): void {
    for (const ref of refs) {
      const addrs = capAddrs(ref.addrs)
      if (ref.id?.toHex() === this.#selfKey) continue
      const key = ref.id?.toHex() ?? addrs[0]
      if (key === undefined || this.#contacts.has(key) || (ref.id === undefined && this.#byAddress(key) !== undefined)) continue
      this.#contacts.set(key, { id: ref.id, addrs, probes: 0, asks: 0, nextProbeMs: 0, met: false })
      if (this.#contacts.size > MAX_CONTACTS) this.#contacts.delete(this.#contacts.keys().next().value!)
    }
  }

  /** `peer` entered our active view: if it is a contact, it is in our overlay. */
  met(peer: PeerId): void {
    const key = peer.toHex()
    const contact = this.#contacts.get(key) ?? [...this.#contacts.values()].find((c) => c.id?.equals(peer) === true)
    if (contact !== undefined) contact.met = true
  }

  /** A dial of `addr` reached `peer`: the contact is now known by id (dialling oneself forgets it). */
  resolve(addr: string, peer: PeerId): void {
    const contact = this.#byAddress(addr)
    if (contact === undefined) return
    if (peer.toHex() === this.#selfKey) this.#contacts.delete(this.#keyOf(contact))
    else contact.id = peer
  }

  /**
   * The merge check's next probe: of the due contacts never met, the least probed one (a contact
   * learned anew goes first) that is not in our passive view (`skip`); it then waits its backoff.
   * One in our passive view is likely in our overlay: it waits its backoff too.
   */
  nextMergeProbe(nowMs: number, skip: (id: PeerId) => boolean): MergeProbe | undefined {
    const due = [...this.#contacts.values()].filter((c) => !c.met && c.nextProbeMs <= nowMs).sort((x, y) => x.probes - y.probes)
    for (const contact of due) {
      contact.nextProbeMs = nowMs + this.#config.mergeIntervalMs * 2 ** Math.min(contact.probes, MERGE_BACKOFF_MAX_DOUBLINGS)
      contact.probes++
      if (contact.id !== undefined) {
        if (skip(contact.id)) continue
        contact.asks++
        return { type: 'ask', peer: { id: contact.id, addrs: contact.addrs }, priority: contact.asks === 2 ? 'high' : 'low' }
      }
      const addr = contact.addrs[0]
      if (addr !== undefined) return { type: 'dial', addr }
    }
    return undefined
  }

  #byAddress(addr: string): Contact | undefined {
    for (const contact of this.#contacts.values()) if (contact.addrs.includes(addr)) return contact
    return undefined
  }

  #keyOf(contact: Contact): string {
    for (const [key, c] of this.#contacts) if (c === contact) return key
    return ''
  }
}
