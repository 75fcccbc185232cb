/**
 * NAT traversal for one transport (SPEC.md section 5.10): serves the reflector and relay roles when
 * asked; as a client, learns its reflexive address and NAT class from reflectors, holds reservations
 * at relays (so `circuit://` addresses reach it), and upgrades relayed connections to direct ones by
 * hole punching, closing the circuit afterwards. When punching fails the relayed connection stays.
 */
import type { Identity, SignatureBackend } from '@saorsa-gossip/identity'
import { createServer } from 'node:net'
import { networkInterfaces } from 'node:os'
import { AbortError, InvalidParametersError, NotStartedError, type AbortOptions, type PeerId } from '@saorsa-gossip/types'
import { parseHostPort } from '../address.ts'
import { PUNCH_DEFAULTS, REFLECT_DEFAULTS, RELAY_DEFAULTS, type NatClass, type PunchConfig, type ReflectConfig, type RelayLimits } from '../proto/nat-config.ts'
import { ReflexiveCore, type ReflexiveOutput } from '../proto/reflexive.ts'
import type { Connection, Transport } from '../types.ts'
import { formatCircuitAddress } from './circuit-address.ts'
import type { CircuitCarrier } from './circuit-carrier.ts'
import { createPuncher, mappingAddr, type Puncher } from './punch.ts'
import { REDIAL_DEFAULTS, validateRedialPolicy, type RedialPolicy } from './punch-redial.ts'
import { queryReflector, serveReflector } from './reflector.ts'
import { serveRelay, type RelayService } from './relay.ts'

/** Rounds of probing and reserving at start, and the pause before the second (doubling after). */
const START_ROUNDS = 3
const START_RETRY_MS = 500

function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(new AbortError(undefined, { cause: signal?.reason })) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export type NatRole = 'reflector' | 'relay'
export const NAT_ROLES: readonly NatRole[] = ['reflector', 'relay']

export interface NatTraversalInit {
  /** Roles this node serves to others: 'reflector' answers address probes, 'relay' relays circuits. */
  roles?: NatRole[]
  /** Reflector addresses to probe (two or more, on two hosts, to adopt an address and classify the NAT). */
  reflectors?: string[]
  /** Relay addresses to hold reservations at; this node is then reachable at `circuit://` addresses. */
  relays?: string[]
  /** Upgrade inbound relayed connections by hole punching (default true). */
  punch?: boolean
  relayLimits?: Partial<RelayLimits>
  reflect?: Partial<ReflectConfig>
  /** Attempts and their timing; the re-dials after a refused SYN follow `REDIAL_DEFAULTS` unless set here. */
  punchConfig?: Partial<PunchConfig & RedialPolicy>
  /** How often the reflectors are asked again (default 5 minutes: half an observation's lifetime, so the address never lapses). */
  probeIntervalMs?: number
}

export interface NatTraversalComponents {
  transport: Transport
  identity: Identity
  /** Needed for `relays` (reservations) and to dial `circuit://` addresses; attached by the caller. */
  circuit?: CircuitCarrier
  backend?: SignatureBackend
}

export type PeerPath = 'direct' | 'punched' | 'relayed'

export interface NatStatus {
  roles: NatRole[]
  /** Our public address as at least two reflectors agree (`tcp://host:port`), if known. */
  reflexiveAddr?: string
  /** True when reflectors see us at an address that is not one of our interfaces' (a NAT in between). */
  behindNat?: boolean
  nat: NatClass
  /** The `circuit://` addresses this node holds reservations for. */
  relayedAddrs: string[]
  /** How each connected peer is reached (the newest connection counts). */
  peers: Array<{ peerId: string; path: PeerPath; addr: string }>
  punches: { succeeded: number; failed: number }
  /** Reflector probes so far; `lastError` says why the latest failure failed (unreachable, refused, bad signature). */
  probes: { answered: number; failed: number; lastError?: string }
  relay?: {
    reservations: number; circuits: number; forwardingStreams: number; bytesForwarded: number; refused: number
    closedOverBytes: number; closedOverTime: number
  }
}

export interface NatTraversalEvents {
  'nat:changed': CustomEvent<{ reflexiveAddr: string | undefined; nat: NatClass }>
  'punch': CustomEvent<{ peer: PeerId; outcome: 'punched' | 'failed'; attempts: number }>
}

export interface NatTraversal {
  start(options?: AbortOptions): Promise<void>
  /** Stops the roles and punching and closes the circuit carrier's reservations and pipes. */
  stop(): void
  status(): NatStatus
  /**
   * Addresses worth announcing: relayed ones first (they always work), then the reflexive one (behind
   * a NAT), or our listeners at the address reflectors see (without one).
   */
  addresses(): string[]
  /** Asks every reflector again now. */
  probe(options?: AbortOptions): Promise<void>
  /** Punches a direct connection to the peer of a relayed connection and retires the circuit. */
  punch(peer: PeerId, options?: AbortOptions): Promise<Connection>
  addEventListener<K extends keyof NatTraversalEvents>(type: K, listener: (event: NatTraversalEvents[K]) => void, options?: { once?: boolean; signal?: AbortSignal }): void
  removeEventListener<K extends keyof NatTraversalEvents>(type: K, listener: (event: NatTraversalEvents[K]) => void): void
}

class Traversal extends EventTarget implements NatTraversal {
  readonly #init: NatTraversalInit
  readonly #c: NatTraversalComponents
  readonly #core: ReflexiveCore
  readonly #punchConfig: PunchConfig & RedialPolicy
  #puncher: Puncher | undefined
  #relay: RelayService | undefined
  #stopReflector: (() => void) | undefined
  #probePort: number | undefined
  #probeTimer: ReturnType<typeof setTimeout> | undefined
  #running = false
  readonly #counts = { succeeded: 0, failed: 0, answered: 0, probeFailed: 0 }
  #lastProbeError: string | undefined
  readonly #onOpen = (e: CustomEvent<{ connection: Connection }>): void => this.#maybePunch(e.detail.connection)

  constructor(init: NatTraversalInit, components: NatTraversalComponents) {
    super()
    for (const role of init.roles ?? []) if (!NAT_ROLES.includes(role)) throw new InvalidParametersError(`nat: unknown role "${String(role)}" (expected ${NAT_ROLES.join(', ')})`)
    if ((init.relays?.length ?? 0) > 0 && components.circuit === undefined) throw new InvalidParametersError('nat: relays need components.circuit (a circuit carrier)')
    this.#init = init
    this.#c = components
    this.#core = new ReflexiveCore({ ...REFLECT_DEFAULTS, ...init.reflect })
    this.#punchConfig = { ...PUNCH_DEFAULTS, ...REDIAL_DEFAULTS, ...init.punchConfig }
    validateRedialPolicy(this.#punchConfig)
  }

  override addEventListener<K extends keyof NatTraversalEvents>(type: K, listener: (event: NatTraversalEvents[K]) => void, options?: { once?: boolean; signal?: AbortSignal }): void
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void
  override addEventListener(...args: unknown[]): void {
    super.addEventListener(...(args as Parameters<EventTarget['addEventListener']>))
  }

  override removeEventListener<K extends keyof NatTraversalEvents>(type: K, listener: (event: NatTraversalEvents[K]) => void): void
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void
  override removeEventListener(...args: unknown[]): void {
    super.removeEventListener(...(args as Parameters<EventTarget['removeEventListener']>))
  }

  async start(options: AbortOptions = {}): Promise<void> {
    if (this.#running) return
    this.#running = true
    const { transport, identity } = this.#c
    const roles = this.#init.roles ?? []
    if (roles.includes('reflector')) this.#stopReflector = serveReflector(transport, identity).stop
    if (roles.includes('relay')) this.#relay = serveRelay(transport, { ...RELAY_DEFAULTS, ...this.#init.relayLimits })
    if (this.#init.punch !== false) {
      this.#puncher = createPuncher({ transport, config: this.#punchConfig, endpoint: () => this.#endpoint() })
      transport.addEventListener('connection:open', this.#onOpen)
    }
    // A reflector or relay that misses the first round (busy, restarting) gets two more, 0.5 s and 1 s later.
    let probing = [...(this.#init.reflectors ?? [])]
    let reserving = [...(this.#init.relays ?? [])]
    for (let round = 0; round < START_ROUNDS && (probing.length > 0 || reserving.length > 0); round++) {
      if (round > 0) await abortableDelay(START_RETRY_MS << (round - 1), options.signal)
      probing = await this.#probeAll(probing, options)
      reserving = await this.#reserveAll(reserving, options)
    }
    this.#scheduleProbe()
  }

  #scheduleProbe(): void {
    if (!this.#running || (this.#init.reflectors?.length ?? 0) === 0) return
    this.#probeTimer = setTimeout(() => { void this.probe().finally(() => this.#scheduleProbe()) }, this.#init.probeIntervalMs ?? 300_000)
    this.#probeTimer.unref?.()
  }

  /**
   * Dials from the probe port, or reuses a connection already on it. Every socket on that port must be
   * bound explicitly (libuv then sets SO_REUSEADDR), so the port is picked once, up front.
   */
  async #dialFromProbePort(addr: string, options: AbortOptions = {}): Promise<Connection> {
    const { transport } = this.#c
    const port = this.#probePort ??= await freeTcpPort()
    const existing = transport.connections().find((c) => c.remoteAddr === addr && localPortOf(c) === port)
    if (existing !== undefined) return existing
    return transport.dial(addr, { ...options, localPort: port })
  }

  async #reserveAll(relays: readonly string[], options: AbortOptions): Promise<string[]> {
    const failed: string[] = []
    for (const relayAddr of relays) {
      try {
        const relay = await this.#dialFromProbePort(relayAddr, options)
        const { transport } = this.#c
        await transport.listen(formatCircuitAddress({ relay: relay.remotePeer, target: transport.peerId, relayAddr }), options)
      } catch {
        failed.push(relayAddr)
      }
    }
    return failed
  }

  async probe(options: AbortOptions = {}): Promise<void> {
    await this.#probeAll(this.#init.reflectors ?? [], options)
  }

  /** Asks each reflector once; returns the addresses that did not answer. */
  async #probeAll(reflectors: readonly string[], options: AbortOptions): Promise<string[]> {
    const failed: string[] = []
    for (const addr of reflectors) {
      try {
        const connection = await this.#dialFromProbePort(addr, options)
        const observed = await queryReflector(connection, { ...options, ...(this.#c.backend === undefined ? {} : { backend: this.#c.backend }) })
        const localPort = localPortOf(connection)
        const via = parseHostPort(addr, 'tcp')
        if (localPort === undefined) continue
        const out: ReflexiveOutput[] = []
        this.#core.handle({ type: 'observed', observation: { reflector: connection.remotePeer.toHex(), via, localPort, observed } }, Date.now(), out)
        this.#counts.answered++
        for (const o of out) {
          const reflexiveAddr = o.event.reflexive === undefined ? undefined : mappingAddr(o.event.reflexive.host, o.event.reflexive.port)
          this.dispatchEvent(new CustomEvent('nat:changed', { detail: { reflexiveAddr, nat: o.event.nat } }))
        }
      } catch (error) {
        failed.push(addr)
        this.#counts.probeFailed++
        this.#lastProbeError = `${addr}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`
      }
    }
    return failed
  }

  #endpoint(): { localPort: number; addrs: string[] } | undefined {
    const reflexive = this.#core.state.reflexive
    if (reflexive === undefined) return undefined
    return { localPort: reflexive.localPort, addrs: [mappingAddr(reflexive.host, reflexive.port)] }
  }

  /** DCUtR: the side that accepted the relayed connection starts the punch. */
  #maybePunch(connection: Connection): void {
    if (!connection.remoteAddr.startsWith('circuit://') || connection.direction !== 'inbound' || this.#endpoint() === undefined) return
    void this.punch(connection.remotePeer).catch(() => {})
  }

  async punch(peer: PeerId, options: AbortOptions = {}): Promise<Connection> {
    const puncher = this.#puncher
    if (!this.#running || puncher === undefined) throw new NotStartedError('nat: not running or punching disabled')
    const relayed = this.#c.transport.connections().find((c) => c.remotePeer.equals(peer) && c.remoteAddr.startsWith('circuit://'))
    if (relayed === undefined) throw new InvalidParametersError(`punch: no relayed connection to ${peer.toShortString()}`)
    try {
      const result = await puncher.punch(relayed, options)
      this.#counts.succeeded++
      this.dispatchEvent(new CustomEvent('punch', { detail: { peer, outcome: 'punched', attempts: result.attempts } }))
      // Migrate: the direct connection carries everything from now on; the circuit frees its relay slot.
      await relayed.close()
      return result.connection
    } catch (error) {
      this.#counts.failed++
      this.dispatchEvent(new CustomEvent('punch', { detail: { peer, outcome: 'failed', attempts: this.#punchConfig.maxAttempts } }))
      throw error
    }
  }

  addresses(): string[] {
    const reflexive = this.#core.state.reflexive
    const relayed = this.#c.circuit?.listening() ?? []
    if (reflexive === undefined) return relayed
    // Seen at one of our own interface addresses: no NAT in between, so our listeners are reachable
    // there (the public address of a node bound to 0.0.0.0); behind a NAT, the probe port's mapping.
    if (isLocalAddress(reflexive.host)) return [...relayed, ...this.#tcpListenPorts().map((port) => mappingAddr(reflexive.host, port))]
    return [...relayed, mappingAddr(reflexive.host, reflexive.port)]
  }

  #tcpListenPorts(): number[] {
    const ports: number[] = []
    for (const addr of this.#c.transport.listenAddrs()) {
      try { ports.push(parseHostPort(addr, 'tcp').port) } catch { /* not a tcp listener */ }
    }
    return ports
  }

  status(): NatStatus {
    const state = this.#core.state
    const newest = new Map<string, Connection>()
    for (const c of this.#c.transport.connections()) newest.set(c.remotePeer.toHex(), c)
    const peers = [...newest.entries()].map(([peerId, c]) => ({
      peerId, addr: c.remoteAddr,
      path: (c.remoteAddr.startsWith('circuit://') ? 'relayed' : this.#puncher?.isPunched(c) === true ? 'punched' : 'direct') as PeerPath,
    }))
    const relay = this.#relay
    return {
      roles: [...(this.#init.roles ?? [])],
      ...(state.reflexive === undefined ? {} : {
        reflexiveAddr: mappingAddr(state.reflexive.host, state.reflexive.port), behindNat: !isLocalAddress(state.reflexive.host),
      }),
      nat: state.nat,
      relayedAddrs: this.#c.circuit?.listening() ?? [],
      peers,
      punches: { succeeded: this.#counts.succeeded, failed: this.#counts.failed },
      probes: {
        answered: this.#counts.answered, failed: this.#counts.probeFailed,
        ...(this.#lastProbeError === undefined ? {} : { lastError: this.#lastProbeError }),
      },
      ...(relay === undefined ? {} : {
        relay: {
          ...relay.stats(), bytesForwarded: relay.counters.bytesForwarded, refused: relay.counters.refused,
          closedOverBytes: relay.counters.closedOverBytes, closedOverTime: relay.counters.closedOverTime,
        },
      }),
    }
  }

  stop(): void {
    if (!this.#running) return
    this.#running = false
    clearTimeout(this.#probeTimer)
    this.#c.transport.removeEventListener('connection:open', this.#onOpen)
    this.#puncher?.stop()
    this.#relay?.stop()
    this.#stopReflector?.()
    this.#puncher = undefined
    this.#relay = undefined
    this.#stopReflector = undefined
    // Reservations end with us: the relay learns it when our connections close.
    void this.#c.circuit?.close()
  }
}

function isLocalAddress(host: string): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === host) === true)
}

/** A port the kernel considers free now: bound on port 0, read back, released. */
function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host: '0.0.0.0', exclusive: true }, () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function localPortOf(connection: Connection): number | undefined {
  try {
    return parseHostPort(connection.localAddr, 'tcp').port
  } catch {
    return undefined
  }
}

/** Creates NAT traversal for `components.transport`; `start()` serves the roles and probes. */
export function createNatTraversal(init: NatTraversalInit, components: NatTraversalComponents): NatTraversal {
  return new Traversal(init, components)
}
