/**
 * Circuit relay admission and accounting (SPEC.md section 5.10.2), a sans-IO core on the model of
 * libp2p circuit relay v2: a peer reserves a slot; a circuit to it opens only while it holds one;
 * circuits are capped in number, per peer, in lifetime and in bytes per direction. The driver moves
 * the bytes; this core decides what may open and when something must close.
 */
import type { RelayLimits } from './nat-config.ts'

export type RelayRefusal = 'reservation-refused' | 'resource-limit-exceeded' | 'no-reservation' | 'permission-denied'

export type RelayInput =
  /** `peer` (hex) asks for a reservation from source address `source`. */
  | { readonly type: 'reserve'; readonly peer: string; readonly source: string }
  /** `source` asks for a circuit to `target` (both hex); `circuit` is the id the driver drew. */
  | { readonly type: 'connect'; readonly circuit: string; readonly from: string; readonly target: string }
  /** `n` bytes of a circuit passed from `from` (one end's hex) towards the other end. */
  | { readonly type: 'bytes'; readonly circuit: string; readonly from: string; readonly n: number }
  /** The driver closed a circuit (an end went away, the target refused, a stream failed). */
  | { readonly type: 'circuit-closed'; readonly circuit: string }
  /** A peer has no connection left to the relay: its reservation and circuits end. */
  | { readonly type: 'peer-down'; readonly peer: string }
  | { readonly type: 'timer'; readonly timer: RelayTimer }

export type RelayTimer =
  | { readonly kind: 'circuit-expiry'; readonly circuit: string }
  | { readonly kind: 'reservation-expiry'; readonly peer: string; readonly expiresAtMs: number }

export type CircuitCloseReason = 'time-limit' | 'byte-limit' | 'peer-down' | 'reservation-ended'

export type RelayOutput =
  | { readonly type: 'reserved'; readonly peer: string; readonly ttlMs: number }
  | { readonly type: 'refused'; readonly peer: string; readonly request: 'reserve' | 'connect'; readonly status: RelayRefusal; readonly circuit?: string }
  /** The circuit may open: the driver asks the target (stop protocol), then forwards. */
  | { readonly type: 'admitted'; readonly circuit: string; readonly from: string; readonly target: string }
  | { readonly type: 'close'; readonly circuit: string; readonly reason: CircuitCloseReason }
  | { readonly type: 'schedule'; readonly delayMs: number; readonly timer: RelayTimer }

interface Reservation { readonly source: string; expiresAtMs: number }
interface Circuit { readonly from: string; readonly target: string; readonly sent: Map<string, number> }

export interface RelayCounters {
  reservations: number
  circuits: number
  refused: number
  closedOverBytes: number
  closedOverTime: number
  bytesForwarded: number
}

export class RelayCore {
  readonly #limits: RelayLimits
  readonly #reservations = new Map<string, Reservation>()
  readonly #circuits = new Map<string, Circuit>()
  readonly counters: RelayCounters = { reservations: 0, circuits: 0, refused: 0, closedOverBytes: 0, closedOverTime: 0, bytesForwarded: 0 }

  constructor(limits: RelayLimits) {
    this.#limits = limits
  }

  get reservationCount(): number { return this.#reservations.size }
  get circuitCount(): number { return this.#circuits.size }
  hasReservation(peer: string): boolean { return this.#reservations.has(peer) }
  /** The two ends of an open circuit, or undefined. */
  circuit(id: string): { from: string; target: string } | undefined {
    const c = this.#circuits.get(id)
    return c === undefined ? undefined : { from: c.from, target: c.target }
  }

  handle(input: RelayInput, nowMs: number, out: RelayOutput[]): void {
    switch (input.type) {
      case 'reserve': this.#reserve(input.peer, input.source, nowMs, out); return
      case 'connect': this.#connect(input, out); return
      case 'bytes': this.#bytes(input.circuit, input.from, input.n, out); return
      case 'circuit-closed': this.#circuits.delete(input.circuit); return
      case 'peer-down': this.#peerDown(input.peer, out); return
      case 'timer': this.#timer(input.timer, nowMs, out)
    }
  }

  #reserve(peer: string, source: string, nowMs: number, out: RelayOutput[]): void {
    const existing = this.#reservations.get(peer)
    if (existing === undefined) {
      let fromSource = 0
      for (const r of this.#reservations.values()) if (r.source === source) fromSource++
      if (this.#reservations.size >= this.#limits.maxReservations || fromSource >= this.#limits.maxReservationsPerSource) {
        this.counters.refused++
        out.push({ type: 'refused', peer, request: 'reserve', status: 'reservation-refused' })
        return
      }
    }
    const expiresAtMs = nowMs + this.#limits.reservationTtlMs
    this.#reservations.set(peer, { source: existing?.source ?? source, expiresAtMs })
    this.counters.reservations = this.#reservations.size
    out.push({ type: 'reserved', peer, ttlMs: this.#limits.reservationTtlMs })
    out.push({ type: 'schedule', delayMs: this.#limits.reservationTtlMs, timer: { kind: 'reservation-expiry', peer, expiresAtMs } })
  }

  #connect(input: { circuit: string; from: string; target: string }, out: RelayOutput[]): void {
    const refuse = (status: RelayRefusal): void => {
      this.counters.refused++
      out.push({ type: 'refused', peer: input.from, request: 'connect', status, circuit: input.circuit })
    }
    if (input.from === input.target) { refuse('permission-denied'); return }
    if (!this.#reservations.has(input.target)) { refuse('no-reservation'); return }
    if (this.#circuits.size >= this.#limits.maxCircuits || this.#circuitsOf(input.from) >= this.#limits.maxCircuitsPerPeer
      || this.#circuitsOf(input.target) >= this.#limits.maxCircuitsPerPeer) {
      refuse('resource-limit-exceeded')
      return
    }
    this.#circuits.set(input.circuit, { from: input.from, target: input.target, sent: new Map([[input.from, 0], [input.target, 0]]) })
    this.counters.circuits++
    out.push({ type: 'admitted', circuit: input.circuit, from: input.from, target: input.target })
    out.push({ type: 'schedule', delayMs: this.#limits.circuitDurationMs, timer: { kind: 'circuit-expiry', circuit: input.circuit } })
  }

  #circuitsOf(peer: string): number {
    let n = 0
    for (const c of this.#circuits.values()) if (c.from === peer || c.target === peer) n++
    return n
  }

  #bytes(id: string, from: string, n: number, out: RelayOutput[]): void {
    const circuit = this.#circuits.get(id)
    const sent = circuit?.sent.get(from)
    if (circuit === undefined || sent === undefined) return
    const total = sent + n
    circuit.sent.set(from, total)
    if (total > this.#limits.circuitBytesPerDirection) {
      this.counters.closedOverBytes++
      this.#close(id, 'byte-limit', out)
      return
    }
    this.counters.bytesForwarded += n
  }

  #peerDown(peer: string, out: RelayOutput[]): void {
    this.#reservations.delete(peer)
    this.counters.reservations = this.#reservations.size
    for (const [id, c] of [...this.#circuits]) if (c.from === peer || c.target === peer) this.#close(id, 'peer-down', out)
  }

  #timer(timer: RelayTimer, nowMs: number, out: RelayOutput[]): void {
    if (timer.kind === 'circuit-expiry') {
      if (!this.#circuits.has(timer.circuit)) return
      this.counters.closedOverTime++
      this.#close(timer.circuit, 'time-limit', out)
      return
    }
    const reservation = this.#reservations.get(timer.peer)
    // A refreshed reservation scheduled a later timer of its own; this one is stale.
    if (reservation === undefined || reservation.expiresAtMs !== timer.expiresAtMs) return
    // Early (a host whose timers run before its clock reaches them): wait out the rest, or the
    // reservation would never expire.
    if (nowMs < reservation.expiresAtMs) {
      out.push({ type: 'schedule', delayMs: reservation.expiresAtMs - nowMs, timer })
      return
    }
    this.#reservations.delete(timer.peer)
    this.counters.reservations = this.#reservations.size
    for (const [id, c] of [...this.#circuits]) if (c.target === timer.peer) this.#close(id, 'reservation-ended', out)
  }

  #close(id: string, reason: CircuitCloseReason, out: RelayOutput[]): void {
    if (!this.#circuits.delete(id)) return
    out.push({ type: 'close', circuit: id, reason })
  }
}
