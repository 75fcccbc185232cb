/**
 * Closes idle connections to peers outside the active view. Membership dials non-neighbours for short
 * exchanges (SWIM indirect pings, shuffle replies, NEIGHBOR requests, joins and contact redials) and
 * nothing else ends those connections, so without this the open connections per node grow well past
 * the active view. A connection is in use while its peer is a neighbour, while records move on it,
 * or while it carries a pending request, a running handler or an open stream; idle for `idleMs`
 * otherwise, it is closed (orderly, after its queued frames). Any layer that needs the peer again dials.
 */
import type { Connection, Transport } from '@saorsa-gossip/transport'
import type { Clock, PeerId } from '@saorsa-gossip/types'

export interface IdleConnectionConfig {
  /** A connection not in use for this long is closed; 0 keeps every connection. */
  readonly idleMs: number
  /** How often connections are checked: a connection closes between `idleMs` and `idleMs + sweepMs` after its last use. */
  readonly sweepMs: number
}

/**
 * LAN and loopback. 15 s: three times the longest membership exchange with a non-neighbour (the 5 s
 * WAN join timeout; NEIGHBOR requests time out within 2 s, an indirect ping within one 1 s period),
 * longer than the 10 s default direct request timeout and one HyParView maintenance round (a passive
 * peer that refused a NEIGHBOR request is asked again over the same connection), shorter than the
 * 30 s shuffle period: one handshake per shuffle costs less than holding its connection open.
 */
export const IDLE_CONNECTIONS_LAN: IdleConnectionConfig = Object.freeze({
  idleMs: 15_000,
  sweepMs: 3_750, // a quarter of idleMs: closes within 25% past it, one cheap pass over the connections
})

/** WAN: a handshake costs several round trips there, so an idle connection is kept twice as long. */
export const IDLE_CONNECTIONS_WAN: IdleConnectionConfig = Object.freeze({
  idleMs: 30_000, // six 5 s WAN probe periods; half the 60 s WAN shuffle period
  sweepMs: 7_500, // a quarter of idleMs, as on the LAN
})

/** Throws a RangeError naming the first out-of-range field. */
export function validateIdleConnectionConfig(config: IdleConnectionConfig): IdleConnectionConfig {
  for (const name of ['idleMs', 'sweepMs'] as const) {
    const value = config[name]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`idleConnections.${name} must be a non-negative integer, got ${String(value)}`)
    }
  }
  if (config.idleMs > 0 && config.sweepMs < 1) throw new RangeError('idleConnections.sweepMs must be at least 1 when idleMs is set')
  return config
}

interface Seen {
  records: number
  lastUsedMs: number
}

/** Connections by why they stay open (for metrics, tests and the benchmark). */
export interface ConnectionCensus {
  readonly neighbor: number
  /** Records moved since the last check, or a request, handler or stream is open. */
  readonly busy: number
  /** Not in use, not yet idle for `idleMs`. */
  readonly idle: number
}

export class IdleConnectionReaper {
  readonly #transport: Transport
  readonly #config: IdleConnectionConfig
  readonly #clock: Clock
  readonly #isNeighbor: (peer: PeerId) => boolean
  readonly #seen = new Map<string, Seen>()
  #timer: ReturnType<typeof setTimeout> | undefined
  /** Connections this node closed for idleness since start. */
  closed = 0

  constructor(transport: Transport, config: IdleConnectionConfig, clock: Clock, isNeighbor: (peer: PeerId) => boolean) {
    this.#transport = transport
    this.#config = validateIdleConnectionConfig(config)
    this.#clock = clock
    this.#isNeighbor = isNeighbor
  }

  start(): void {
    if (this.#timer !== undefined || this.#config.idleMs === 0) return
    this.#arm()
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.sweep()
      this.#arm()
    }, this.#config.sweepMs)
    // The sweep never keeps a process alive on its own.
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#seen.clear()
  }

  /** One pass: closes every connection idle for `idleMs`, returns how the rest stay open. */
  sweep(): ConnectionCensus {
    const nowMs = this.#clock.now()
    const census = { neighbor: 0, busy: 0, idle: 0 }
    const open = new Set<string>()
    for (const connection of this.#transport.connections()) {
      open.add(connection.id)
      const verdict = this.#judge(connection, nowMs)
      if (verdict === 'close') {
        this.#seen.delete(connection.id)
        this.closed++
        void connection.close()
      } else census[verdict]++
    }
    for (const id of this.#seen.keys()) if (!open.has(id)) this.#seen.delete(id)
    return census
  }

  #judge(connection: Connection, nowMs: number): keyof ConnectionCensus | 'close' {
    const stats = connection.stats()
    const records = stats.recordsSent + stats.recordsReceived
    const neighbor = this.#isNeighbor(connection.remotePeer)
    const busy = stats.pendingRequests > 0 || stats.pendingHandlers > 0 ||
      stats.openStreams.inbound > 0 || stats.openStreams.outbound > 0
    const seen = this.#seen.get(connection.id)
    // A neighbour's connection counts as used until it leaves the active view, so the idle period starts there.
    if (seen === undefined || seen.records !== records || busy || neighbor) {
      this.#seen.set(connection.id, { records, lastUsedMs: nowMs })
      return neighbor ? 'neighbor' : 'busy'
    }
    return nowMs - seen.lastUsedMs >= this.#config.idleMs ? 'close' : 'idle'
  }
}
