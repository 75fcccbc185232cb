/**
 * Presets of the NAT traversal roles (SPEC.md section 5.10): the relay's resource limits follow
 * libp2p circuit relay v2 (its resource manager defaults), the reflector and hole punching follow
 * RFC 5780 section 4.3 (mapping behaviour) and DCUtR. Every number states its reason.
 */

/** The NAT mapping behaviour a node measured (RFC 4787 section 4.1), as carried in coordinator adverts. */
export type NatClass = 'eim' | 'edm' | 'symmetric' | 'unknown'
export const NAT_CLASSES: readonly NatClass[] = ['eim', 'edm', 'symmetric', 'unknown']

export interface RelayLimits {
  /** Reservations held at once, by all peers together. */
  readonly maxReservations: number
  /** Reservations held at once by peers behind one source address. */
  readonly maxReservationsPerSource: number
  /** How long a reservation lasts unless refreshed (ms). */
  readonly reservationTtlMs: number
  /** Circuits open at once through this relay. */
  readonly maxCircuits: number
  /** Circuits open at once with one peer at either end. */
  readonly maxCircuitsPerPeer: number
  /** Lifetime of one circuit (ms); then it is closed. */
  readonly circuitDurationMs: number
  /** Bytes one circuit may carry in each direction; then it is closed. */
  readonly circuitBytesPerDirection: number
}

export const RELAY_DEFAULTS: RelayLimits = Object.freeze({
  /** libp2p relay v2 default: a small relay serves a few hundred NATed peers; a reservation costs a table entry only. */
  maxReservations: 128,
  /** libp2p relay v2 MaxReservationsPerIP: one household or CGNAT address cannot take the whole table. */
  maxReservationsPerSource: 8,
  /** libp2p relay v2 ReservationTTL (1 hour); clients refresh at half of it. */
  reservationTtlMs: 3_600_000,
  /** libp2p relay v2 MaxCircuits: a relay is a last resort and a coordination path, not a data plane. */
  maxCircuits: 16,
  /** libp2p relay v2 MaxReservationsPerPeer (4): one peer cannot hold the relay's circuits alone. */
  maxCircuitsPerPeer: 4,
  /** libp2p relay v2 limited-relay duration: long enough for DCUtR and short exchanges; a symmetric-NAT peer re-opens. */
  circuitDurationMs: 120_000,
  /** libp2p relay v2 limited-relay data (128 KiB): a PQ handshake (about 10 KiB), a punch and some gossip fit. */
  circuitBytesPerDirection: 128 * 1024,
})

export interface ReflectConfig {
  /** Distinct reflectors (PeerIds) that must report the same mapping before it is adopted. */
  readonly agreement: number
  /** An observation older than this no longer counts (ms). */
  readonly observationTtlMs: number
  /** Observations kept at once (oldest evicted). */
  readonly maxObservations: number
}

export const REFLECT_DEFAULTS: ReflectConfig = Object.freeze({
  /** Two, like libp2p identify's activation threshold scaled to a handful of coordinators: one liar cannot set our address. */
  agreement: 2,
  /** Linux conntrack keeps an established TCP mapping for days but a closed one 2 minutes; 10 minutes covers re-probing at 5. */
  observationTtlMs: 600_000,
  /** Four reflectors on two addresses each, twice over: far more than any classification needs. */
  maxObservations: 16,
})

export interface PunchConfig {
  /** DCUtR: attempts before the relayed connection is kept for good. */
  readonly maxAttempts: number
  /** How long one attempt's simultaneous dial may take before the next attempt (ms). */
  readonly attemptTimeoutMs: number
  /** A punch dial that failed for any reason but a refusal is re-dialled after this long (ms); refusals follow REDIAL_DEFAULTS (punch-redial.ts). */
  readonly redialIntervalMs: number
}

export const PUNCH_DEFAULTS: PunchConfig = Object.freeze({
  /** DCUtR specification: 3 attempts. */
  maxAttempts: 3,
  /** A SYN retransmits after 1 s; 3 s covers two retransmissions over any terrestrial round trip. */
  attemptTimeoutMs: 3_000,
  /** Sub-round-trip retries catch a peer's SYN inside the window a RST leaves (measured on the lab: 10 ms). */
  redialIntervalMs: 10,
})
