/**
 * The circuit carrier (SPEC.md section 5.10.2): `circuit://` addresses are dialled and listened on
 * like any other. Dialling asks the relay for a circuit (hop CONNECT); listening holds a reservation
 * at the relay (refreshed at half its lifetime) and accepts circuits the relay announces on the stop
 * protocol. Pipes run the normal handshake end to end, so the relay sees ciphertext only.
 */
import { AbortError, InvalidParametersError, NotStartedError, throwIfAborted, toHex } from '@saorsa-gossip/types'
import type { AbortOptions, BytePipe, Carrier, CarrierListener } from '../carrier.ts'
import type { Connection, Transport } from '../types.ts'
import { formatCircuitAddress, parseCircuitAddress, CIRCUIT_SCHEME, type CircuitAddress } from './circuit-address.ts'
import { CircuitPipe, readCircuitHead, type CircuitInbound } from './circuit-pipe.ts'
import { decodeRelayMessage, encodeRelayMessage } from './codec.ts'
import { NatError, RelayRefusedError } from './errors.ts'
import { HOP_DATA_PROTOCOL, HOP_PROTOCOL, STOP_DATA_PROTOCOL, STOP_PROTOCOL } from './protocols.ts'

/** Inbound circuit streams that arrive before their circuit is known wait this long, at most this many. */
const EARLY_STREAM_MS = 5_000
const MAX_EARLY_STREAMS = 16
/** Pause before reserving again after losing the relay connection (a restart or a network blip). */
const RESERVE_AGAIN_MS = 1_000
/** Our own circuits open at once (the relay caps them per peer too; this bounds our table if it does not). */
const MAX_OPEN_CIRCUITS = 64

export interface CircuitCarrier extends Carrier {
  /** Binds the carrier to the transport it serves (registers the stop protocols); once, before use. */
  attach(transport: Transport): void
  /** Reservations held now: the circuit addresses this node listens on. */
  listening(): string[]
}

interface Listening { readonly address: CircuitAddress; readonly onPipe: (pipe: BytePipe) => void; refresh: ReturnType<typeof setTimeout> | undefined; closed: boolean }

class CircuitCarrierImpl implements CircuitCarrier {
  readonly scheme = CIRCUIT_SCHEME
  #transport: Transport | undefined
  readonly #pipes = new Map<string, CircuitPipe>()
  readonly #early = new Map<string, { inbound: CircuitInbound; timer: ReturnType<typeof setTimeout> }>()
  readonly #listening = new Map<string, Listening>()

  attach(transport: Transport): void {
    if (this.#transport !== undefined) throw new InvalidParametersError('attach: the circuit carrier is already attached')
    this.#transport = transport
    // The relay drops our reservation with our last connection to it: reserve again soon, not at the next refresh.
    transport.addEventListener('connection:close', (e) => {
      const listening = this.#listening.get(e.detail.connection.remotePeer.toHex())
      if (listening === undefined || listening.closed || transport.connectionTo(listening.address.relay) !== undefined) return
      clearTimeout(listening.refresh)
      this.#scheduleRefresh(listening, 2 * RESERVE_AGAIN_MS)
    })
    transport.handleDirect(STOP_PROTOCOL, (request, context) => this.#onStop(request, context.connection))
    transport.handleStream(STOP_DATA_PROTOCOL, (stream) => {
      void readCircuitHead(stream).then((head) => {
        if (head === undefined) return
        const key = toHex(head.id)
        const pipe = this.#pipes.get(key)
        if (pipe !== undefined) { pipe.attach(head.inbound); return }
        if (this.#early.size >= MAX_EARLY_STREAMS) { void head.inbound.iterator.return?.(); return }
        const timer = setTimeout(() => { this.#early.delete(key); void head.inbound.iterator.return?.() }, EARLY_STREAM_MS)
        timer.unref?.()
        this.#early.set(key, { inbound: head.inbound, timer })
      }, () => {})
    })
  }

  listening(): string[] {
    return [...this.#listening.values()].filter((l) => !l.closed).map((l) => formatCircuitAddress(l.address))
  }

  #attached(): Transport {
    if (this.#transport === undefined) throw new NotStartedError('circuit carrier: attach(transport) first')
    return this.#transport
  }

  async #relayConnection(address: CircuitAddress, options?: AbortOptions): Promise<Connection> {
    const transport = this.#attached()
    return transport.connectionTo(address.relay) ?? transport.dial(address.relayAddr, { ...options, expectedPeer: address.relay })
  }

  #track(id: Uint8Array, localAddr: string, remoteAddr: string, writer: Awaited<ReturnType<Connection['openStream']>>): CircuitPipe {
    const key = toHex(id)
    const pipe = new CircuitPipe({ localAddr, remoteAddr, writer, onGone: () => { if (this.#pipes.get(key) === pipe) this.#pipes.delete(key) } })
    this.#pipes.set(key, pipe)
    const early = this.#early.get(key)
    if (early !== undefined) {
      clearTimeout(early.timer)
      this.#early.delete(key)
      pipe.attach(early.inbound)
    }
    return pipe
  }

  async dial(addr: string, options?: AbortOptions): Promise<BytePipe> {
    throwIfAborted(options?.signal)
    const address = parseCircuitAddress(addr)
    const transport = this.#attached()
    if (this.#pipes.size >= MAX_OPEN_CIRCUITS) throw new NatError(`too many open circuits (${MAX_OPEN_CIRCUITS})`)
    const relay = await this.#relayConnection(address, options)
    const answer = decodeRelayMessage(await relay.request(HOP_PROTOCOL, encodeRelayMessage({ type: 'connect', target: address.target }), {
      ...(options?.signal === undefined ? {} : { signal: options.signal }),
    }))
    if (answer.type !== 'status') throw new NatError(`relay answered ${answer.type} to CONNECT`)
    if (answer.status !== 'ok' || answer.circuit === undefined) throw new RelayRefusedError(answer.status === 'ok' ? 'connection-failed' : answer.status)
    const writer = await relay.openStream(HOP_DATA_PROTOCOL, options)
    const local = formatCircuitAddress({ relay: address.relay, target: transport.peerId, relayAddr: address.relayAddr })
    const pipe = this.#track(answer.circuit, local, addr, writer)
    await writer.write(answer.circuit).catch((error: unknown) => { pipe.close(error instanceof Error ? error : undefined); throw error })
    if (options?.signal?.aborted === true) { pipe.close(); throw new AbortError(undefined, { cause: options.signal.reason }) }
    return pipe
  }

  async #onStop(request: Uint8Array, relay: Connection): Promise<Uint8Array> {
    const message = decodeRelayMessage(request)
    if (message.type !== 'stop') throw new NatError(`unexpected ${message.type} on the stop protocol`)
    const listening = this.#listening.get(relay.remotePeer.toHex())
    if (listening === undefined || listening.closed || this.#pipes.size >= MAX_OPEN_CIRCUITS) {
      return encodeRelayMessage({ type: 'status', status: 'permission-denied' })
    }
    const writer = await relay.openStream(HOP_DATA_PROTOCOL)
    const { address } = listening
    const remote = formatCircuitAddress({ relay: address.relay, target: message.source, relayAddr: address.relayAddr })
    const pipe = this.#track(message.circuit, formatCircuitAddress(address), remote, writer)
    await writer.write(message.circuit).catch(() => pipe.close())
    if (!pipe.closed) listening.onPipe(pipe)
    return encodeRelayMessage({ type: 'status', status: pipe.closed ? 'connection-failed' : 'ok' })
  }

  /** `addr` is our own circuit address at a relay: `circuit://<relay>/<our PeerId>/<relay address>`. */
  async listen(addr: string, onPipe: (pipe: BytePipe) => void, options?: AbortOptions): Promise<CarrierListener> {
    throwIfAborted(options?.signal)
    const address = parseCircuitAddress(addr)
    const transport = this.#attached()
    if (!address.target.equals(transport.peerId)) throw new InvalidParametersError(`listen: ${addr} names another peer as the target`)
    const key = address.relay.toHex()
    if (this.#listening.get(key)?.closed === false) throw new InvalidParametersError(`listen: already listening through relay ${address.relay.toShortString()}`)
    const listening: Listening = { address, onPipe, refresh: undefined, closed: false }
    const ttlMs = await this.#reserve(address, options)
    this.#listening.set(key, listening)
    this.#scheduleRefresh(listening, ttlMs)
    return {
      addr: formatCircuitAddress(address),
      close: async () => {
        listening.closed = true
        clearTimeout(listening.refresh)
        if (this.#listening.get(key) === listening) this.#listening.delete(key)
      },
    }
  }

  async #reserve(address: CircuitAddress, options?: AbortOptions): Promise<number> {
    const relay = await this.#relayConnection(address, options)
    const answer = decodeRelayMessage(await relay.request(HOP_PROTOCOL, encodeRelayMessage({ type: 'reserve' }), {
      ...(options?.signal === undefined ? {} : { signal: options.signal }),
    }))
    if (answer.type !== 'status') throw new NatError(`relay answered ${answer.type} to RESERVE`)
    if (answer.status !== 'ok') throw new RelayRefusedError(answer.status)
    return answer.ttlMs ?? 60_000
  }

  /** Refresh at half the lifetime (libp2p relay v2 clients do the same); a failed refresh retries in 10 s. */
  #scheduleRefresh(listening: Listening, ttlMs: number): void {
    if (listening.closed) return
    listening.refresh = setTimeout(() => {
      this.#reserve(listening.address).then((ttl) => this.#scheduleRefresh(listening, ttl), () => this.#scheduleRefresh(listening, 20_000))
    }, Math.max(RESERVE_AGAIN_MS, Math.floor(ttlMs / 2)))
    listening.refresh.unref?.()
  }

  async close(): Promise<void> {
    for (const l of this.#listening.values()) { l.closed = true; clearTimeout(l.refresh) }
    this.#listening.clear()
    for (const pipe of [...this.#pipes.values()]) pipe.close()
    for (const e of this.#early.values()) { clearTimeout(e.timer); void e.inbound.iterator.return?.() }
    this.#early.clear()
  }
}

/** Creates the circuit carrier; pass it in `carriers` and call `attach(transport)` once the transport exists. */
export function createCircuitCarrier(): CircuitCarrier {
  return new CircuitCarrierImpl()
}
