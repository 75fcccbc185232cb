/**
 * Defaults of the network edge (SPEC.md section 5.7): what an inbound connection may cost this node
 * before and after it authenticates. Every number states its reason; a test host that runs many nodes
 * behind one address, or a benchmark, raises them through `TransportInit.edge`.
 */

export interface EdgeLimits {
  /** Deadline for the whole first handshake message (M1) after a pipe is accepted, in ms. */
  readonly firstMessageTimeoutMs: number
  /** Inbound pipes that have cost no handshake crypto yet (awaiting M1 or a handshake token). */
  readonly maxPendingHandshakes: number
  /** The share of those one source (an IPv4 address or an IPv6 /64) may hold. */
  readonly maxPendingHandshakesPerSource: number
  /** Responder handshakes (one X-Wing encapsulation and one ML-DSA-65 signature each) per second, per source. */
  readonly handshakesPerSecondPerSource: number
  readonly handshakeBurstPerSource: number
  /** Responder handshakes per second over all sources. */
  readonly handshakesPerSecond: number
  readonly handshakeBurst: number
  /** Authenticated inbound connections from one source. */
  readonly maxConnectionsPerSource: number
  /** Authenticated connections to one PeerId (either direction); a newer one replaces the oldest. */
  readonly maxConnectionsPerPeer: number
  /** Invalid-message score at which a peer is disconnected and graylisted. */
  readonly maxInvalidScore: number
  /** What one fatal protocol violation (a FrameError or RecordAuthError ending the connection) adds. */
  readonly fatalViolationScore: number
  /** Half-life of the invalid-message score in ms. */
  readonly invalidScoreHalfLifeMs: number
  /** How long a graylisted PeerId (and source) is refused, in ms. */
  readonly graylistMs: number
  /** Graylisted PeerIds from one source after which the source itself is graylisted. */
  readonly graylistSourceAfterPeers: number
}

export const EDGE_DEFAULTS: EdgeLimits = Object.freeze({
  /** An honest initiator writes its 1.3 KB M1 as soon as the carrier connects: 3 s covers a slow WAN
   * round trip, and a silent socket gives its slot back 3x sooner than the 10 s handshake deadline. */
  firstMessageTimeoutMs: 3_000,
  /** Pre-crypto pipes cost a socket and a few KB each; 64 is ample for honest bursts (a restarted
   * node's whole HyParView view reconnecting at once), and the oldest is evicted for a newcomer. */
  maxPendingHandshakes: 64,
  /** A host running a dozen nodes that start together (the demo runs 10 on loopback), or a NAT'd site,
   * opens that many at once; 16 of 64 means filling the table takes 4 addresses, and even then
   * eviction lets each new pipe in. */
  maxPendingHandshakesPerSource: 16,
  /** An honest peer needs one handshake per connection and reconnects after seconds; 4/s sustained
   * with a burst of 16 lets a dozen nodes on one host join together. */
  handshakesPerSecondPerSource: 4,
  handshakeBurstPerSource: 16,
  /** A responder handshake costs about 25-30 ms of one core in pure JS (X-Wing encapsulation plus an
   * ML-DSA-65 signature, measured in docs/benchmarks.md): 16/s keeps a flood under half a core, far
   * above the rate at which an overlay node gains new neighbours. */
  handshakesPerSecond: 16,
  handshakeBurst: 32,
  /** A NAT'd site or a host running many nodes; 32 means filling the default 1,024 connections takes
   * 32 addresses, while one address cannot lock everyone out. */
  maxConnectionsPerSource: 32,
  /** A simultaneous dial holds two connections until deduplication; more buy an identity nothing, and
   * a reconnecting peer (whose old connection we have not yet seen die) replaces its oldest. */
  maxConnectionsPerPeer: 2,
  /** Honest peers almost never send a message that fails to decode (version skew is named, not
   * malformed); 16 leaves room for a bug without letting a peer make us parse garbage for long. */
  maxInvalidScore: 16,
  /** A fatal violation already ends its connection; 12 (with the 60 s half-life) means a peer that
   * reconnects and does it again within about 90 s is graylisted on the second time. */
  fatalViolationScore: 12,
  /** An honest peer's rare slip is forgotten within minutes. */
  invalidScoreHalfLifeMs: 60_000,
  /** Ten minutes (as long as a GossipSub prune backoff is commonly set): long enough that coming back
   * costs the attacker a fresh identity, short enough to forgive a peer that was fixed. */
  graylistMs: 10 * 60_000,
  /** One misbehaving peer behind a NAT must not cut off its neighbours; two identities graylisted
   * from one address are an identity-churning attacker. */
  graylistSourceAfterPeers: 2,
})

/** Validates overrides; returns the merged limits or throws with the offending name. */
export function edgeLimits(overrides: Partial<EdgeLimits> | undefined, fail: (message: string) => Error): EdgeLimits {
  const merged: Record<string, number> = { ...EDGE_DEFAULTS }
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (!(name in EDGE_DEFAULTS)) throw fail(`edge.${name} is not an edge limit`)
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw fail(`edge.${name} must be a positive number, got ${String(value)}`)
    merged[name] = value
  }
  return merged as unknown as EdgeLimits
}
