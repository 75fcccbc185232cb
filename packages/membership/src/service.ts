/**
 * The membership service behind `createMembership`: the composite core (HyParView active/passive
 * views, DSN 2007, watched by SWIM with Lifeguard, DSN 2002 and arXiv:1707.00788) run by the driver
 * over the Transport's 'mship' stream class, with typed `peer:*` events (neighbours up and down,
 * suspicion and death), start/stop/join/leave and AbortSignal support.
 */
import type { AbortOptions, Clock, PeerId, Rng } from '@saorsa-gossip/types'
import { NotStartedError, cryptoRng, systemClock, throwIfAborted } from '@saorsa-gossip/types'
import { LagMonitor } from '@saorsa-gossip/types/runtime'
import type { Transport } from '@saorsa-gossip/transport'
import { decodeMembershipMessage, encodeMembershipMessage } from './codec.ts'
import { MEMBERSHIP_LAN, validateMembershipConfig, type MembershipConfig } from './config.ts'
import { MembershipDriver, type CoreBinding, type DriverMetrics } from './driver.ts'
import { JoinError } from './errors.ts'
import { IDLE_CONNECTIONS_LAN, IdleConnectionReaper } from './idle-connections.ts'
import {
  MembershipCore, type MembershipCommand, type MembershipEvent, type MembershipMessage, type MembershipTimer,
} from './proto/membership.ts'
import type { SwimMember } from './proto/swim.ts'

export interface MembershipInit {
  /** A transport this service shares; it handles the 'mship' class and never closes the transport. */
  transport: Transport
  /** Presets MEMBERSHIP_LAN (default), MEMBERSHIP_WAN, MEMBERSHIP_LOCAL, or your own. */
  config?: MembershipConfig
  /**
   * Addresses other peers should dial to reach this node, announced in JOIN and NEIGHBOR messages
   * (at most 8). Default: the transport's listen addresses when `start()` is first called.
   */
  addrs?: readonly string[]
  /** Randomness for view sampling, probe order and helper choice (default: the platform CSPRNG). */
  rng?: Rng
  /** Monotonic clock (default: `performance.now()`). */
  clock?: Clock
  /**
   * How often the event loop's lag is sampled for SWIM (ms; 0 turns sampling off). Default 100: a lag
   * spike widens the probe and suspicion timeouts within a tenth of a second, at the cost of ten
   * timer callbacks a second.
   */
  lagSampleMs?: number
}

/** A neighbour (active-view peer) and the addresses this node knows for it. */
export interface PeerEventDetail { readonly peer: PeerId; readonly addrs: readonly string[] }
export interface PeerHealthEventDetail { readonly peer: PeerId; readonly incarnation: number }

export interface MembershipEvents {
  /** A peer entered the active view: a neighbour that gossip should broadcast to. */
  'peer:up': CustomEvent<PeerEventDetail>
  /** A peer left the active view (DISCONNECT, lost connection, eviction, or declared dead by SWIM). */
  'peer:down': CustomEvent<PeerEventDetail>
  /** SWIM suspects a neighbour (missed probes, or another member's suspicion). */
  'peer:suspect': CustomEvent<PeerHealthEventDetail>
  /** A suspected neighbour refuted the suspicion with a higher incarnation. */
  'peer:alive': CustomEvent<PeerHealthEventDetail>
  /** SWIM declared a neighbour dead; `peer:down` follows and the connection is closed. */
  'peer:dead': CustomEvent<PeerHealthEventDetail>
}

export interface MembershipMetrics extends DriverMetrics {
  /** Active view size (neighbours). */
  readonly neighbors: number
  readonly passive: number
  /** SWIM members: the neighbours, plus dead ones kept briefly so their death spreads. */
  readonly members: number
  readonly suspect: number
  readonly dead: number
  /** Lifeguard's Local Health Multiplier: 0 when this node keeps up. */
  readonly localHealth: number
  readonly incarnation: number
  /** Remote inputs the core ignored, by reason (rate limits, caps, non-neighbours, after leave). */
  readonly ignored: Readonly<Record<string, number>>
  /** How late this node's event loop runs, as last sampled and decayed (ms). */
  readonly lagMs: number
  /** How much SWIM widens each timeout for that lag right now (ms, at most `swim.maxLagWideningMs`). */
  readonly lagWideningMs: number
  /** Connections to non-neighbours this node closed after they went idle (`idleConnections`). */
  readonly idleConnectionsClosed: number
}

/** The shared options bag of `@saorsa-gossip/types`, re-exported for existing imports. */
export type { AbortOptions } from '@saorsa-gossip/types'

type Listener<K extends keyof MembershipEvents> = (event: MembershipEvents[K]) => void
type ListenerOptions = { once?: boolean; signal?: AbortSignal }

export interface Membership extends Omit<EventTarget, 'addEventListener' | 'removeEventListener'> {
  readonly peerId: PeerId
  readonly isStarted: boolean
  start(options?: AbortOptions): Promise<void>
  /** Detaches from the transport without telling anyone (use `leave()` first for a graceful exit). */
  stop(options?: AbortOptions): Promise<void>
  /**
   * Dials the bootstrap addresses in order (each at most once) and sends JOIN to the first that
   * answers; resolves once it is sent. Throws JoinError if none answers. Either way every address
   * is kept (see `addContacts`): while isolated the node keeps redialling them with capped
   * exponential backoff, and once joined the merge check asks the others too.
   */
  join(bootstrapAddrs: readonly string[], options?: AbortOptions): Promise<void>
  /**
   * Keeps contact addresses learned out of band (at most 32, the oldest forgotten first): redialled
   * while the node has no neighbour, and probed by the merge check so overlays that formed apart join.
   */
  addContacts(addrs: readonly string[]): void
  /** Sends DISCONNECT (leaving) to every neighbour; the service stays silent until stopped. */
  leave(options?: AbortOptions): Promise<void>
  /** The active view: the neighbour set, as announced by `peer:up` and `peer:down`. */
  neighbors(): PeerId[]
  members(): SwimMember[]
  metrics(): MembershipMetrics
  addEventListener<K extends keyof MembershipEvents>(type: K, listener: Listener<K>, options?: ListenerOptions): void
  removeEventListener<K extends keyof MembershipEvents>(type: K, listener: Listener<K>): void
}

type Driver = MembershipDriver<MembershipMessage, MembershipTimer, MembershipCommand, MembershipEvent>

interface Running {
  readonly core: MembershipCore
  readonly driver: Driver
  readonly reaper: IdleConnectionReaper
  readonly lag: LagMonitor
}

const IDLE_DRIVER_METRICS: DriverMetrics = Object.freeze({
  messagesReceived: 0, messagesSent: 0, bytesReceived: 0, bytesSent: 0, dials: 0, timersFired: 0,
  dropped: Object.freeze({ decode: 0, encode: 0, 'no-address': 0, 'no-connection': 0, 'dial-failed': 0, 'send-failed': 0, 'core-error': 0 }),
})

export class MembershipService extends EventTarget implements Membership {
  readonly #transport: Transport
  readonly #config: MembershipConfig
  readonly #rng: Rng
  readonly #clock: Clock
  readonly #addrs: readonly string[] | undefined
  /** Contact addresses being dialled for the core (redial or merge check), so a slow dial is not doubled. */
  readonly #contactDials = new Set<string>()
  /** Created on the first start, when the transport's listen addresses are known. */
  #running: Running | undefined
  readonly #lagSampleMs: number

  constructor(init: MembershipInit) {
    super()
    this.#config = validateMembershipConfig(init.config ?? MEMBERSHIP_LAN)
    this.#transport = init.transport
    this.#rng = init.rng ?? cryptoRng()
    this.#clock = init.clock ?? systemClock
    this.#addrs = init.addrs
    const lagSampleMs = init.lagSampleMs ?? 100
    if (!Number.isInteger(lagSampleMs) || lagSampleMs < 0) throw new RangeError(`lagSampleMs must be a non-negative integer, got ${String(lagSampleMs)}`)
    this.#lagSampleMs = lagSampleMs
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
    return this.#running?.driver.running === true
  }

  async start(options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    this.#running ??= this.#create()
    this.#running.driver.start()
    this.#running.reaper.start()
    this.#running.lag.start()
  }

  async stop(options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    this.#running?.lag.stop()
    this.#running?.reaper.stop()
    this.#running?.driver.stop()
  }

  async join(bootstrapAddrs: readonly string[], options: AbortOptions = {}): Promise<void> {
    const driver = this.#started()
    if (bootstrapAddrs.length === 0) throw new JoinError('join: bootstrapAddrs is empty')
    this.addContacts(bootstrapAddrs)
    let lastError: unknown
    for (const addr of new Set(bootstrapAddrs)) {
      throwIfAborted(options.signal)
      try {
        const connection = await this.#transport.dial(addr, options.signal === undefined ? {} : { signal: options.signal })
        driver.input({ type: 'command', command: { type: 'contact-reached', addr, peer: { id: connection.remotePeer, addrs: [addr] } } })
        return
      } catch (err) {
        if (options.signal?.aborted === true) throw err
        lastError = err
      }
    }
    throw new JoinError(`join: none of ${bootstrapAddrs.length} bootstrap addresses answered; redialling them in the background`, { cause: lastError })
  }

  addContacts(addrs: readonly string[]): void {
    if (!Array.isArray(addrs) || addrs.some((a) => typeof a !== 'string')) throw new TypeError('addContacts: addrs must be an array of strings')
    this.#started().input({ type: 'command', command: { type: 'add-contacts', contacts: addrs.map((addr) => ({ addrs: [addr] })) } })
  }

  async leave(options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal)
    this.#started().input({ type: 'command', command: { type: 'leave' } })
  }

  neighbors(): PeerId[] {
    return this.#running?.core.activeView() ?? []
  }

  members(): SwimMember[] {
    return this.#running?.core.members() ?? []
  }

  metrics(): MembershipMetrics {
    const core = this.#running?.core
    const members = core?.members() ?? []
    return {
      ...(this.#running?.driver.metrics() ?? IDLE_DRIVER_METRICS),
      neighbors: core?.activeView().length ?? 0,
      passive: core?.passiveView().length ?? 0,
      members: members.length,
      suspect: members.filter((m) => m.state === 'suspect').length,
      dead: members.filter((m) => m.state === 'dead').length,
      localHealth: core?.health ?? 0,
      incarnation: core?.incarnation ?? 0,
      ignored: core?.drops() ?? {},
      lagMs: core?.lagMs(this.#clock.now()) ?? 0,
      lagWideningMs: core?.lagWideningMs(this.#clock.now()) ?? 0,
      idleConnectionsClosed: this.#running?.reaper.closed ?? 0,
    }
  }

  #started(): Driver {
    const driver = this.#running?.driver
    if (driver === undefined || !driver.running) throw new NotStartedError('membership is not started')
    return driver
  }

  #create(): Running {
    const self = { id: this.#transport.peerId, addrs: this.#addrs ?? this.#transport.listenAddrs() }
    const core = new MembershipCore({ self, rng: this.#rng, config: this.#config })
    const binding: CoreBinding<MembershipMessage, MembershipTimer, MembershipCommand, MembershipEvent> = {
      core,
      encode: encodeMembershipMessage,
      decode: decodeMembershipMessage,
      connectionOpened: (peer) => [{ type: 'peer-up', peer }],
      // A closed or reset connection is a failed neighbour for HyParView (it promotes from the passive view).
      connectionClosed: (peer) => [{ type: 'peer-down', peer }],
      onEvent: (event) => this.#onEvent(event),
      // A DISCONNECT is not worth a handshake: a peer we hold no connection to has seen ours close
      // (or never had one) and already counts us out of its active view.
      worthDialling: (msg) => !(msg.layer === 'hyparview' && msg.msg.type === 'disconnect'),
      addressesIn: (from, msg, remember) => rememberAddresses(core, from, msg, remember),
    }
    const driver = new MembershipDriver(this.#transport, binding, this.#clock)
    // Neighbours stay connected whatever their traffic; everything else closes once idle.
    const reaper = new IdleConnectionReaper(this.#transport, this.#config.idleConnections ?? IDLE_CONNECTIONS_LAN, this.#clock, (peer) => core.isActive(peer))
    const lag = new LagMonitor(this.#lagSampleMs, (lagMs) => driver.input({ type: 'command', command: { type: 'local-lag', lagMs } }), () => this.#clock.now())
    return { core, driver, reaper, lag }
  }

  /** Dials a contact address for the core (a redial while isolated, or the merge check) and reports who answered. */
  async #dialContact(addr: string): Promise<void> {
    if (this.#contactDials.has(addr)) return
    this.#contactDials.add(addr)
    try {
      const connection = await this.#transport.dial(addr)
      this.#running?.driver.input({ type: 'command', command: { type: 'contact-reached', addr, peer: { id: connection.remotePeer, addrs: [addr] } } })
    } catch {
      // Nobody there yet: the core's backoff decides when to try again.
    } finally {
      this.#contactDials.delete(addr)
    }
  }

  #onEvent(event: MembershipEvent): void {
    switch (event.type) {
      case 'dial': void this.#dialContact(event.addr); return
      case 'neighbor-up': this.#dispatch('peer:up', { peer: event.peer, addrs: event.addrs }); return
      case 'neighbor-down': this.#dispatch('peer:down', { peer: event.peer, addrs: event.addrs }); return
      case 'member-suspect': this.#dispatch('peer:suspect', { peer: event.peer, incarnation: event.incarnation }); return
      case 'member-alive': this.#dispatch('peer:alive', { peer: event.peer, incarnation: event.incarnation }); return
      case 'member-dead': this.#dispatch('peer:dead', { peer: event.peer, incarnation: event.incarnation }); return
    }
  }

  #dispatch<K extends keyof MembershipEvents>(type: K, detail: MembershipEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}

/**
 * Feeds the driver's address book: HyParView messages carry the dialable addresses of the peers
 * they name (the sender's own in JOIN and NEIGHBOR). A PING-REQ names only its target's id, so the
 * helper looks the target up in its own views; without any address the relay's ping is dropped
 * ('no-address') and the helper answers NACK when its relay timer fires.
 */
function rememberAddresses(
  core: MembershipCore, from: PeerId, message: MembershipMessage, remember: (peer: PeerId, addrs: readonly string[]) => void,
): void {
  if (message.layer === 'swim') {
    if (message.msg.type !== 'ping-req') return
    const addrs = core.addrsOf(message.msg.target)
    if (addrs !== undefined) remember(message.msg.target, addrs)
    return
  }
  const msg = message.msg
  switch (msg.type) {
    case 'join': case 'neighbor': remember(from, msg.addrs); return
    case 'forward-join': remember(msg.peer.id, msg.peer.addrs); return
    case 'shuffle': for (const p of [msg.origin, ...msg.peers]) remember(p.id, p.addrs); return
    case 'shuffle-reply': for (const p of msg.peers) remember(p.id, p.addrs); return
    case 'neighbor-reply': case 'disconnect': return
  }
}
