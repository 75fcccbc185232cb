/**
 * TCP hole punching coordinated over a relayed connection (SPEC.md section 5.10.3), on the model of
 * DCUtR: the initiator sends CONNECT with its observed addresses and times the answer (the round
 * trip), sends SYNC and dials after half of it, while the other side dials as SYNC arrives; both
 * dial from the port their NAT mapping belongs to, so the SYNs cross (TCP simultaneous open,
 * RFC 9293 section 3.5). As in DCUtR, the peer that dialled through the relay runs the handshake as
 * initiator, so the direct connection has the relayed one's direction at both ends.
 */
import { throwIfAborted, type AbortOptions } from '@saorsa-gossip/types'
import { formatHostPort, parseHostPort } from '../address.ts'
import type { PunchConfig } from '../proto/nat-config.ts'
import type { Connection, Transport } from '../types.ts'
import { decodePunchMessage, encodePunchMessage, MAX_PUNCH_ADDRS } from './codec.ts'
import { NatError, PunchFailedError } from './errors.ts'
import { PUNCH_PROTOCOL } from './protocols.ts'
import { isRefusal, REDIAL_DEFAULTS, RedialSchedule, validateRedialPolicy, type PunchDialOutcome, type RedialPolicy } from './punch-redial.ts'

/** Where this node can be punched: addresses others observed for `localPort`. */
export interface PunchEndpoint { readonly localPort: number; readonly addrs: readonly string[] }

export interface PunchResult { readonly connection: Connection; readonly attempts: number; readonly rttMs: number }

export interface Puncher {
  /** Punches a direct connection to the peer at the other end of `relayed`; the caller retires `relayed`. */
  punch(relayed: Connection, options?: AbortOptions): Promise<PunchResult>
  /** Direct connections made by punching, for status reporting. */
  isPunched(connection: Connection): boolean
  stop(): void
}

export interface PuncherInit {
  readonly transport: Transport
  /** Re-dials after a refused SYN follow `REDIAL_DEFAULTS` where unset. */
  readonly config: PunchConfig & Partial<RedialPolicy>
  /** The endpoint to offer; undefined while no mapping is known (then CONNECT is refused). */
  readonly endpoint: () => PunchEndpoint | undefined
  /** Called with each direct connection the responder side made by punching. */
  readonly onPunched?: (connection: Connection, relayed: Connection) => void
}

const tcpOnly = (addrs: readonly string[]): string[] => addrs.filter((a) => a.startsWith('tcp://')).slice(0, MAX_PUNCH_ADDRS)

export function createPuncher(init: PuncherInit): Puncher {
  const { transport } = init
  const config: PunchConfig & RedialPolicy = { ...REDIAL_DEFAULTS, ...init.config }
  validateRedialPolicy(config)
  const punched = new WeakSet<Connection>()
  const lifetime = new AbortController()
  /** The addresses the remote offered in its last CONNECT and when we answered it, by relayed connection. */
  const offered = new WeakMap<Connection, { addrs: readonly string[]; answeredAt: number }>()

  /**
   * Dials `addrs` from `localPort` until one connects or `deadline` passes. A refused dial (the peer's
   * router answered our SYN with a RST before the peer's own SYN opened its mapping) is re-dialled at
   * once or after one timer tick, at random, until a pair of SYNs crosses; see punch-redial.ts.
   */
  const dialUntil = async (relayed: Connection, addrs: readonly string[], localPort: number, rttMs: number, deadline: number, signal: AbortSignal): Promise<Connection | undefined> => {
    const peer = relayed.remotePeer
    const role = relayed.direction === 'outbound' ? 'initiator' : 'responder'
    const schedule = new RedialSchedule(config, config.redialIntervalMs)
    const expiry = AbortSignal.any([signal, AbortSignal.timeout(Math.max(0, deadline - Date.now()))])
    for (let i = 0; !expiry.aborted; i++) {
      const addr = addrs[i % addrs.length]!
      // Both ends may punch at once (each accepted a relayed connection): whichever dial won holds
      // the one 4-tuple, and further dials on it only fail with EADDRNOTAVAIL, so take that connection.
      const won = transport.connections().find((c) => c.remotePeer.equals(peer) && c.remoteAddr === addr && localPortOf(c) === localPort)
      if (won !== undefined) { punched.add(won); return won }
      // Once a RST showed that the peer's router answers, a dial that hangs is a crossing gone wrong
      // (its SYN lost, or a half-open connection whose other end was reset), not a SYN still on its way.
      const stall = schedule.refused ? new AbortController() : undefined
      const stallTimer = stall === undefined ? undefined : setTimeout(() => stall.abort(), schedule.stallMs(rttMs))
      let outcome: PunchDialOutcome = 'failed'
      try {
        // No expectedPeer: dial would return the relayed connection instead of dialling; the peer is checked here.
        const connection = await transport.dial(addr, {
          localPort, handshakeRole: role, signal: stall === undefined ? expiry : AbortSignal.any([expiry, stall.signal]),
        })
        if (connection.remotePeer.equals(peer)) { punched.add(connection); return connection }
        void connection.close()
      } catch (error) {
        if (isRefusal(error)) outcome = 'refused'
        else if (stall?.signal.aborted === true && !expiry.aborted) outcome = 'stalled'
      } finally {
        clearTimeout(stallTimer)
      }
      const gap = schedule.next(outcome, Math.random())
      if (gap === undefined) return undefined
      // A zero gap still yields to I/O (the peer's SYN may be arriving), just without the 1 ms timer floor.
      await new Promise((resolve) => (gap === 0 ? setImmediate(resolve) : setTimeout(resolve, gap)))
    }
    return undefined
  }

  transport.handleDirect(PUNCH_PROTOCOL, async (request, context) => {
    const message = decodePunchMessage(request)
    const relayed = context.connection
    // Only a relayed connection is worth upgrading; elsewhere CONNECT would only make us dial for a stranger.
    if (!relayed.remoteAddr.startsWith('circuit://')) throw new NatError('hole punching runs on relayed connections only')
    if (message.type === 'connect') {
      const endpoint = init.endpoint()
      if (endpoint === undefined) throw new NatError('no observed address to punch')
      offered.set(relayed, { addrs: tcpOnly(message.addrs), answeredAt: performance.now() })
      return encodePunchMessage({ type: 'connect', addrs: tcpOnly(endpoint.addrs) })
    }
    const offer = offered.get(relayed)
    const endpoint = init.endpoint()
    if (offer === undefined || offer.addrs.length === 0 || endpoint === undefined) return undefined
    offered.delete(relayed)
    // SYNC leaves as our answer arrives, so the time from answer to SYNC is the relayed round trip.
    const rttMs = performance.now() - offer.answeredAt
    const signal = AbortSignal.any([context.signal, lifetime.signal])
    void dialUntil(relayed, offer.addrs, endpoint.localPort, rttMs, Date.now() + config.attemptTimeoutMs, signal)
      .then((connection) => { if (connection !== undefined) init.onPunched?.(connection, relayed) })
    return undefined
  })

  return {
    async punch(relayed, options = {}) {
      for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
        throwIfAborted(options.signal)
        const endpoint = init.endpoint()
        if (endpoint === undefined) throw new PunchFailedError('no observed address of our own to offer')
        const started = performance.now()
        const answer = decodePunchMessage(await relayed.request(PUNCH_PROTOCOL, encodePunchMessage({ type: 'connect', addrs: tcpOnly(endpoint.addrs) }), {
          timeoutMs: config.attemptTimeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }),
        }))
        const rttMs = performance.now() - started
        if (answer.type !== 'connect') throw new NatError('peer answered CONNECT with SYNC')
        const addrs = tcpOnly(answer.addrs)
        if (addrs.length === 0) throw new PunchFailedError('peer offered no tcp address')
        await relayed.sendDirect(PUNCH_PROTOCOL, encodePunchMessage({ type: 'sync' }))
        await new Promise((resolve) => setTimeout(resolve, rttMs / 2))
        const signal = options.signal === undefined ? lifetime.signal : AbortSignal.any([options.signal, lifetime.signal])
        const connection = await dialUntil(relayed, addrs, endpoint.localPort, rttMs, Date.now() + config.attemptTimeoutMs, signal)
        if (connection !== undefined) return { connection, attempts: attempt, rttMs }
        if (!relayed.remoteAddr.startsWith('circuit://') || transport.connectionTo(relayed.remotePeer) === undefined) break
      }
      throw new PunchFailedError(`no direct connection to ${relayed.remotePeer.toShortString()} after ${config.maxAttempts} attempts`)
    },
    isPunched: (connection) => punched.has(connection),
    stop: () => {
      lifetime.abort()
      transport.unhandle(PUNCH_PROTOCOL)
    },
  }
}

function localPortOf(connection: Connection): number | undefined {
  try {
    return parseHostPort(connection.localAddr, 'tcp').port
  } catch {
    return undefined
  }
}

/** `tcp://host:port` of an observed mapping. */
export function mappingAddr(host: string, port: number): string {
  return formatHostPort('tcp', host, port)
}
