/**
 * The relay role (SPEC.md section 5.10.2): answers reservations and circuit requests on the hop
 * protocol, asks the target on the stop protocol, and forwards each direction of a circuit from the
 * inbound stream of one end to an outbound stream to the other, under the admission and accounting
 * of proto/relay.ts. It never looks inside: the ends' secure channel runs through it.
 */
import { toHex, type PeerId } from '@saorsa-gossip/types'
import { sourceOf } from '../edge/source.ts'
import { RelayCore, type RelayCounters, type RelayInput, type RelayOutput, type RelayTimer } from '../proto/relay.ts'
import { RELAY_DEFAULTS, type RelayLimits } from '../proto/nat-config.ts'
import type { StreamWriter } from '../streams/outbound.ts'
import type { Connection, Transport } from '../types.ts'
import { CIRCUIT_ID_BYTES, decodeRelayMessage, encodeRelayMessage, type RelayMessage, type RelayStatus } from './codec.ts'
import { readCircuitHead, type CircuitInbound } from './circuit-pipe.ts'
import { NatError } from './errors.ts'
import { HOP_DATA_PROTOCOL, HOP_PROTOCOL, STOP_DATA_PROTOCOL, STOP_PROTOCOL } from './protocols.ts'

/** How long the target may take to accept a circuit on the stop protocol. */
const STOP_TIMEOUT_MS = 5_000

export interface RelayService {
  /** `unknownCircuitStreams`: data streams refused (no such circuit, not one of its ends, or a second stream of one end). */
  readonly counters: Readonly<RelayCounters> & { readonly unknownCircuitStreams: number }
  /** Reservations and circuits held now, and the forwarding streams open. */
  stats(): { reservations: number; circuits: number; forwardingStreams: number }
  stop(): void
}

interface Forwarding {
  readonly writers: Set<StreamWriter>
  readonly iterators: Set<AsyncIterator<Uint8Array>>
  /** The ends whose stream arrived: one per end, so an end cannot multiply the relay's streams. */
  readonly fed: Set<string>
  ended: number
}

export function serveRelay(transport: Transport, limits: RelayLimits = RELAY_DEFAULTS, clock: () => number = Date.now): RelayService {
  const core = new RelayCore(limits)
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const forwarding = new Map<string, Forwarding>()
  let unknownCircuitStreams = 0
  let stopped = false

  const drive = (input: RelayInput): RelayOutput[] => {
    const out: RelayOutput[] = []
    core.handle(input, clock(), out)
    for (const o of out) {
      if (o.type === 'schedule') schedule(o.timer, o.delayMs)
      else if (o.type === 'close') teardown(o.circuit)
    }
    return out
  }
  const schedule = (timer: RelayTimer, delayMs: number): void => {
    if (stopped) return
    const handle = setTimeout(() => { timers.delete(handle); drive({ type: 'timer', timer }) }, delayMs)
    handle.unref?.()
    timers.add(handle)
  }
  const teardown = (circuit: string): void => {
    const f = forwarding.get(circuit)
    forwarding.delete(circuit)
    if (f === undefined) return
    for (const w of f.writers) w.abort(new NatError('circuit closed by the relay'))
    for (const it of f.iterators) void it.return?.()
  }
  const status = (s: RelayStatus, extra: Partial<Extract<RelayMessage, { type: 'status' }>> = {}): Uint8Array =>
    encodeRelayMessage({ type: 'status', status: s, ...extra })

  const connect = async (from: Connection, target: PeerId): Promise<Uint8Array> => {
    const id = globalThis.crypto.getRandomValues(new Uint8Array(CIRCUIT_ID_BYTES))
    const circuit = toHex(id)
    const out = drive({ type: 'connect', circuit, from: from.remotePeer.toHex(), target: target.toHex() })
    const refused = out.find((o) => o.type === 'refused')
    if (refused?.type === 'refused') return status(refused.status)
    const targetConnection = transport.connectionTo(target)
    const fail = (): Uint8Array => { drive({ type: 'circuit-closed', circuit }); return status('connection-failed') }
    if (targetConnection === undefined) return fail()
    forwarding.set(circuit, { writers: new Set(), iterators: new Set(), fed: new Set(), ended: 0 })
    try {
      const answer = decodeRelayMessage(await targetConnection.request(STOP_PROTOCOL, encodeRelayMessage({
        type: 'stop', source: from.remotePeer, circuit: id, durationMs: limits.circuitDurationMs, bytes: limits.circuitBytesPerDirection,
      }), { timeoutMs: STOP_TIMEOUT_MS }))
      if (answer.type !== 'status' || answer.status !== 'ok') { teardown(circuit); return fail() }
    } catch {
      teardown(circuit)
      return fail()
    }
    return status('ok', { circuit: id, durationMs: limits.circuitDurationMs, bytes: limits.circuitBytesPerDirection })
  }

  transport.handleDirect(HOP_PROTOCOL, async (request, context) => {
    const message = decodeRelayMessage(request)
    if (message.type === 'reserve') {
      const out = drive({ type: 'reserve', peer: context.peer.toHex(), source: sourceOf(context.connection.remoteAddr) })
      const answer = out.find((o) => o.type === 'reserved' || o.type === 'refused')
      return answer?.type === 'reserved' ? status('ok', { ttlMs: answer.ttlMs }) : status('reservation-refused')
    }
    if (message.type === 'connect') return connect(context.connection, message.target)
    throw new NatError(`unexpected ${message.type} on the hop protocol`)
  })

  transport.handleStream(HOP_DATA_PROTOCOL, (stream) => {
    void (async () => {
      const head = await readCircuitHead(stream).catch(() => undefined)
      if (head === undefined) return
      const circuit = toHex(head.id)
      const ends = core.circuit(circuit)
      const f = forwarding.get(circuit)
      const from = stream.remotePeer.toHex()
      // Only the two ends of an admitted circuit may feed it: nobody else's bytes are ever forwarded.
      if (ends === undefined || f === undefined || (from !== ends.from && from !== ends.target) || f.fed.has(from)) {
        unknownCircuitStreams++
        void head.inbound.iterator.return?.()
        return
      }
      f.fed.add(from)
      f.iterators.add(head.inbound.iterator)
      await forward(circuit, from, from === ends.from ? ends.target : ends.from, head.id, head.inbound, f)
    })()
  })

  const forward = async (circuit: string, from: string, to: string, id: Uint8Array, inbound: CircuitInbound, f: Forwarding): Promise<void> => {
    const toConnection = transport.connections().find((c) => c.remotePeer.toHex() === to)
    if (toConnection === undefined) { drive({ type: 'peer-down', peer: to }); return }
    let writer: StreamWriter
    try {
      writer = await toConnection.openStream(STOP_DATA_PROTOCOL)
    } catch {
      teardownAndForget(circuit)
      return
    }
    f.writers.add(writer)
    try {
      await writer.write(id)
      const pass = async (chunk: Uint8Array): Promise<boolean> => {
        drive({ type: 'bytes', circuit, from, n: chunk.length })
        if (!forwarding.has(circuit)) return false
        await writer.write(chunk)
        return true
      }
      let open = inbound.leftover.length === 0 || await pass(inbound.leftover)
      while (open) {
        const next = await inbound.iterator.next()
        if (next.done === true) break
        open = await pass(next.value)
      }
      if (!open) return
      await writer.close()
      f.ended++
      if (f.ended === 2) { forwarding.delete(circuit); drive({ type: 'circuit-closed', circuit }) }
    } catch {
      teardownAndForget(circuit)
    }
  }
  const teardownAndForget = (circuit: string): void => {
    teardown(circuit)
    drive({ type: 'circuit-closed', circuit })
  }

  const onClose = (event: CustomEvent<{ connection: Connection }>): void => {
    const peer = event.detail.connection.remotePeer
    if (transport.connectionTo(peer) === undefined) drive({ type: 'peer-down', peer: peer.toHex() })
  }
  transport.addEventListener('connection:close', onClose)

  return {
    get counters() { return { ...core.counters, unknownCircuitStreams } },
    stats: () => ({
      reservations: core.reservationCount, circuits: core.circuitCount,
      forwardingStreams: [...forwarding.values()].reduce((n, f) => n + f.writers.size, 0),
    }),
    stop: () => {
      stopped = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const circuit of [...forwarding.keys()]) teardown(circuit)
      transport.removeEventListener('connection:close', onClose)
      transport.unhandle(HOP_PROTOCOL)
      transport.unhandle(HOP_DATA_PROTOCOL)
    },
  }
}
