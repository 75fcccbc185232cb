/**
 * The membership service behind `createMembership`: SWIM with Lifeguard (DSN 2002; arXiv:1707.00788)
 * watching every peer this node holds a connection with, run by the driver over the Transport's
 * 'mship' stream class, with typed `peer:*` events, start/stop/join and AbortSignal support.
 */
import type { Clock, PeerId, Rng } from '@saorsa-gossip/types'
import { NotStartedError, cryptoRng, systemClock, throwIfAborted } from '@saorsa-gossip/types'
import type { Transport } from '@saorsa-gossip/transport'
import { decodeMembershipMessage, encodeMembershipMessage } from './codec.ts'
import { MEMBERSHIP_LAN, validateMembershipConfig, type MembershipConfig } from './config.ts'
import { MembershipDriver, type DriverMetrics } from './driver.ts'
import { JoinError } from './errors.ts'
import { Swim, type SwimCommand, type SwimEvent, type SwimMember, type SwimTimer } from './proto/swim.ts'
import type { SwimMessage } from './proto/swim-messages.ts'

export interface MembershipInit {
  /** A transport this service shares; it handles the 'mship' class and never closes the transport. */
  transport: Transport
  /** Presets MEMBERSHIP_LAN (default), MEMBERSHIP_WAN, MEMBERSHIP_LOCAL, or your own. */
  config?: MembershipConfig
  /** Randomness for probe order and helper choice (default: the platform CSPRNG). */
  rng?: Rng
  /** Monotonic clock (default: `performance.now()`). */
  clock?: Clock
}

export interface PeerEventDetail { readonly peer: PeerId }
export interface PeerHealthEventDetail { readonly peer: PeerId; readonly incarnation: number }

export interface MembershipEvents {
  /** A peer became a member, or a suspected or dead member proved alive. */
  'peer:up': CustomEvent<PeerEventDetail>
  /** A member was declared dead (sent right after `peer:dead`). */
  'peer:down': CustomEvent<PeerEventDetail>
  'peer:suspect': CustomEvent<PeerHealthEventDetail>
  'peer:dead': CustomEvent<PeerHealthEventDetail>
}

export interface MembershipMetrics extends DriverMetrics {
  readonly members: number
  readonly suspect: number
  readonly dead: number
  /** Lifeguard's Local Health Multiplier: 0 when this node keeps up. */
  readonly localHealth: number
  readonly incarnation: number
}

export interface AbortOptions { signal?: AbortSignal }

type Listener<K extends keyof MembershipEvents> = (event: MembershipEvents[K]) => void
type ListenerOptions = { once?: boolean; signal?: AbortSignal }

export interface Membership extends Omit<EventTarget, 'addEventListener' | 'removeEventListener'> {
  readonly peerId: PeerId
  readonly isStarted: boolean
  start(options?: AbortOptions): Promise<void>
  stop(options?: AbortOptions): Promise<void>
  /** Dials the bootstrap addresses (each at most once); resolves after the first succeeds, else throws JoinError. */
  join(bootstrapAddrs: readonly string[], options?: AbortOptions): Promise<void>
  members(): SwimMember[]
  metrics(): MembershipMetrics
  addEventListener<K extends keyof MembershipEvents>(type: K, listener: Listener<K>, options?: ListenerOptions): void
  removeEventListener<K extends keyof MembershipEvents>(type: K, listener: Listener<K>): void
}

export class MembershipService extends EventTarget implements Membership {
  readonly #transport: Transport
  readonly #swim: Swim
  readonly #driver: MembershipDriver<SwimMessage, SwimTimer, SwimCommand, SwimEvent>

  constructor(init: MembershipInit) {
    super()
    const config = validateMembershipConfig(init.config ?? MEMBERSHIP_LAN)
    this.#transport = init.transport
    this.#swim = new Swim(init.transport.peerId, config.swim, init.rng ?? cryptoRng())
    this.#driver = new MembershipDriver(init.transport, {
      core: this.#swim,
      encode: (msg) => encodeMembershipMessage({ layer: 'swim', msg }),
      decode: (bytes) => {
        const decoded = decodeMembershipMessage(bytes)
        // HyParView traffic is not this service's to handle; the driver counts it as undecodable.
        if (decoded.layer !== 'swim') throw new TypeError('not a SWIM message')
        return decoded.msg
      },
      connectionOpened: (peer) => {
        const known = this.#swim.member(peer)
        if (known === undefined || known.state === 'dead') this.#dispatch('peer:up', { peer })
        return [{ type: 'command', command: { type: 'add-member', peer } }]
      },
      // SWIM judges liveness by probing: a closed connection is redialled on the next probe.
      connectionClosed: () => [],
      onEvent: (event) => this.#onSwimEvent(event),
    }, init.clock ?? systemClock)
  }

  override addEventListener<K extends keyof MembershipEvents>(type: K, listener: Listener<K>, options?: ListenerOptions): void
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void
  override addEventListener(...args: unknown[]): void {
    super.addEventListener(...(args as Parameters<EventTarget['addEventListener']>))
  }

  override removeEventListener<K extends keyof MembershipEvents>(type: K, listener: Listener<K>): void
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void
  override removeEventListener(...args: unknown[]): void {
    super.removeEventListener(...(args as Parameters<EventTarget['removeEventListener']>))
  }

  get peerId(): PeerId {
    return this.#transport.peerId
  }

  get isStarted(): boolean {
    return this.#driver.running
  }

  async start(options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    this.#driver.start()
  }

  async stop(options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    this.#driver.stop()
  }

  async join(bootstrapAddrs: readonly string[], options: AbortOptions = {}): Promise<void> {
    if (!this.isStarted) throw new NotStartedError('membership is not started')
    if (bootstrapAddrs.length === 0) throw new JoinError('join: bootstrapAddrs is empty')
    let lastError: unknown
    for (const addr of new Set(bootstrapAddrs)) {
      throwIfAborted(options.signal)
      try {
        // The connection:open event adds the peer as a member.
        await this.#transport.dial(addr, options.signal === undefined ? {} : { signal: options.signal })
        return
      } catch (err) {
        if (options.signal?.aborted === true) throw err
        lastError = err
      }
    }
    throw new JoinError(`join: none of ${bootstrapAddrs.length} bootstrap addresses answered`, { cause: lastError })
  }

  members(): SwimMember[] {
    return this.#swim.members()
  }

  metrics(): MembershipMetrics {
    const members = this.#swim.members()
    return {
      ...this.#driver.metrics(),
      members: members.length,
      suspect: members.filter((m) => m.state === 'suspect').length,
      dead: members.filter((m) => m.state === 'dead').length,
      localHealth: this.#swim.health,
      incarnation: this.#swim.incarnation,
    }
  }

  #onSwimEvent(event: SwimEvent): void {
    switch (event.type) {
      case 'member-suspect':
        this.#dispatch('peer:suspect', { peer: event.peer, incarnation: event.incarnation })
        return
      case 'member-alive':
        this.#dispatch('peer:up', { peer: event.peer })
        return
      case 'member-dead':
        this.#dispatch('peer:dead', { peer: event.peer, incarnation: event.incarnation })
        this.#dispatch('peer:down', { peer: event.peer })
        return
    }
  }

  #dispatch<K extends keyof MembershipEvents>(type: K, detail: MembershipEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
