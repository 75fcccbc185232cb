/**
 * The thin driver between a sans-IO membership core and the Transport's 'mship' stream class
 * (docs/architecture.md section 2, after iroh-gossip's `net.rs`). The shared `CoreRuntime` queues inputs
 * and keeps the timers; this file turns connection open/close into inputs, encodes and sends `send`
 * outputs (dialling the peer first when needed), closes the connection on `disconnect`, and counts
 * every bad input as a drop with a reason.
 */
import type { Clock, CoreInput, PeerId, ProtocolCore } from '@saorsa-gossip/types'
import { CoreRuntime } from '@saorsa-gossip/types/runtime'
import type { Connection, ConnectionEventDetail, Transport } from '@saorsa-gossip/transport'
import { MEMBERSHIP_PROTOCOL } from './protocol.ts'

/** How the driver speaks to one particular core. */
export interface CoreBinding<Msg, Timer, Command, Event> {
  readonly core: ProtocolCore<Msg, Timer, Command, Event>
  encode(msg: Msg): Uint8Array
  /** Throws `DecodeError` for bytes that are not a valid message for this core. */
  decode(bytes: Uint8Array): Msg
  /** Inputs for a connection that just opened (either direction). */
  connectionOpened(peer: PeerId): Array<CoreInput<Msg, Timer, Command>>
  /** Inputs for a connection that closed or a dial that failed. */
  connectionClosed(peer: PeerId): Array<CoreInput<Msg, Timer, Command>>
  /** Called for each event the core emits, in order, from inside the input loop. */
  onEvent(event: Event): void
  /**
   * False for a message only worth sending over a connection that is open or being opened, which
   * the driver then drops as 'no-connection' instead of dialling (default: every message dials).
   */
  worthDialling?(msg: Msg): boolean
  /** Reports dialable addresses carried in a decoded message (HyParView PeerInfo). */
  addressesIn?(from: PeerId, msg: Msg, remember: (peer: PeerId, addrs: readonly string[]) => void): void
}

export type DropReason = 'decode' | 'encode' | 'no-address' | 'no-connection' | 'dial-failed' | 'send-failed' | 'core-error'

export interface DriverMetrics {
  readonly messagesReceived: number
  readonly messagesSent: number
  readonly bytesReceived: number
  readonly bytesSent: number
  readonly dials: number
  readonly timersFired: number
  readonly dropped: Readonly<Record<DropReason, number>>
}

const MAX_ADDRESSES_REMEMBERED = 4096

export class MembershipDriver<Msg, Timer, Command, Event> {
  readonly #transport: Transport
  readonly #binding: CoreBinding<Msg, Timer, Command, Event>
  readonly #runtime: CoreRuntime<Msg, Timer, Command, Event>
  readonly #addresses = new Map<string, readonly string[]>()
  readonly #dialing = new Map<string, Uint8Array[]>()
  readonly #dropped: Record<DropReason, number> = {
    decode: 0, encode: 0, 'no-address': 0, 'no-connection': 0, 'dial-failed': 0, 'send-failed': 0, 'core-error': 0,
  }
  #counters = { messagesReceived: 0, messagesSent: 0, bytesReceived: 0, bytesSent: 0, dials: 0 }
  readonly #onOpen = (e: Event | CustomEvent<{ connection: Connection }>): void => {
    const { connection } = (e as CustomEvent<{ connection: Connection }>).detail
    if (connection.direction === 'outbound') this.rememberAddresses(connection.remotePeer, [connection.remoteAddr])
    this.#enqueue(this.#binding.connectionOpened(connection.remotePeer))
  }
  readonly #onClose = (e: Event | CustomEvent<ConnectionEventDetail>): void => {
    const { connection } = (e as CustomEvent<ConnectionEventDetail>).detail
    // Another connection to the same peer may still be open (simultaneous dials).
    if (this.#transport.connectionTo(connection.remotePeer) !== undefined) return
    this.#enqueue(this.#binding.connectionClosed(connection.remotePeer))
  }

  constructor(transport: Transport, binding: CoreBinding<Msg, Timer, Command, Event>, clock: Clock) {
    this.#transport = transport
    this.#binding = binding
    this.#runtime = new CoreRuntime({
      core: binding.core,
      clock,
      send: (to, msg) => this.#send(to, msg),
      emit: (event) => binding.onEvent(event),
      disconnect: (peer) => void transport.connectionTo(peer)?.close(),
      // A core bug must not take the node down; the input is dropped and counted.
      onCoreError: () => this.#drop('core-error'),
    })
  }

  get running(): boolean {
    return this.#runtime.running
  }

  start(): void {
    if (this.#runtime.running) return
    this.#runtime.start()
    this.#transport.handle(MEMBERSHIP_PROTOCOL, (bytes, connection) => this.#receive(bytes, connection))
    this.#transport.addEventListener('connection:open', this.#onOpen as never)
    this.#transport.addEventListener('connection:close', this.#onClose as never)
    for (const connection of this.#transport.connections()) {
      this.#enqueue(this.#binding.connectionOpened(connection.remotePeer))
    }
  }

  stop(): void {
    if (!this.#runtime.running) return
    this.#runtime.stop()
    this.#transport.unhandle(MEMBERSHIP_PROTOCOL)
    this.#transport.removeEventListener('connection:open', this.#onOpen as never)
    this.#transport.removeEventListener('connection:close', this.#onClose as never)
    this.#dialing.clear()
  }

  /** Feeds one input (a command, usually) through the queue. */
  input(input: CoreInput<Msg, Timer, Command>): void {
    this.#enqueue([input])
  }

  /** Records addresses at which `peer` can be dialled (most recent first, capped). */
  rememberAddresses(peer: PeerId, addrs: readonly string[]): void {
    if (addrs.length === 0) return
    const key = peer.toHex()
    const merged = [...new Set([...addrs, ...(this.#addresses.get(key) ?? [])])].slice(0, 8)
    this.#addresses.delete(key)
    this.#addresses.set(key, merged)
    if (this.#addresses.size > MAX_ADDRESSES_REMEMBERED) {
      const oldest = this.#addresses.keys().next().value
      if (oldest !== undefined) this.#addresses.delete(oldest)
    }
  }

  metrics(): DriverMetrics {
    return { ...this.#counters, timersFired: this.#runtime.metrics().timersFired, dropped: { ...this.#dropped } }
  }

  #drop(reason: DropReason, count = 1): void {
    this.#dropped[reason] += count
  }

  #receive(bytes: Uint8Array, connection: Connection): void {
    if (!this.#runtime.running) return
    this.#counters.messagesReceived++
    this.#counters.bytesReceived += bytes.length
    let msg: Msg
    try {
      msg = this.#binding.decode(bytes)
    } catch {
      // Decoders throw only DecodeError; anything else is counted the same way rather than thrown at the
      // transport. It costs the sender score there: repeated garbage ends in disconnect and graylist.
      this.#drop('decode')
      connection.reportInvalid()
      return
    }
    const from = connection.remotePeer
    this.#binding.addressesIn?.(from, msg, (peer, addrs) => this.rememberAddresses(peer, addrs))
    this.#enqueue([{ type: 'recv', from, msg }])
  }

  #enqueue(inputs: Array<CoreInput<Msg, Timer, Command>>): void {
    this.#runtime.input(...inputs)
  }

  #send(to: PeerId, msg: Msg): void {
    let bytes: Uint8Array
    try {
      bytes = this.#binding.encode(msg)
    } catch {
      this.#drop('encode')
      return
    }
    const connection = this.#transport.connectionTo(to)
    if (connection !== undefined) {
      this.#write(connection, bytes)
      return
    }
    const key = to.toHex()
    const waiting = this.#dialing.get(key)
    if (waiting !== undefined) {
      waiting.push(bytes)
      return
    }
    if (this.#binding.worthDialling?.(msg) === false) {
      this.#drop('no-connection')
      return
    }
    const addrs = this.#addresses.get(key) ?? []
    if (addrs.length === 0) {
      this.#drop('no-address')
      return
    }
    const queued = [bytes]
    this.#dialing.set(key, queued)
    void this.#dial(to, addrs).then((conn) => {
      if (this.#dialing.get(key) !== queued) return
      this.#dialing.delete(key)
      if (conn === undefined) {
        this.#drop('dial-failed', queued.length)
        this.#enqueue(this.#binding.connectionClosed(to))
        return
      }
      for (const b of queued) this.#write(conn, b)
    })
  }

  async #dial(peer: PeerId, addrs: readonly string[]): Promise<Connection | undefined> {
    for (const addr of addrs) {
      if (!this.#runtime.running) return undefined
      this.#counters.dials++
      try {
        return await this.#transport.dial(addr, { expectedPeer: peer })
      } catch {
        // Try the next address.
      }
    }
    return undefined
  }

  /** The driver's only write to the transport. */
  #write(connection: Connection, bytes: Uint8Array): void {
    this.#counters.messagesSent++
    this.#counters.bytesSent += bytes.length
    connection.send(MEMBERSHIP_PROTOCOL, bytes).catch(() => this.#drop('send-failed'))
  }
}
