/**
 * The shard function and the shard's topic and servers (SPEC.md section 11.1). A target maps to
 * one of 65,536 shards: the first two bytes of BLAKE3("saorsa-rendezvous" || target), read
 * little-endian as the Rust reference does (`u32_LE(h[0..4]) & 0xFFFF`); the golden vector in
 * SPEC.md is the contract, since the reference's notes disagree. Servers of a shard are chosen by rendezvous
 * hashing (Thaler and Ravishankar, "Using name-based mappings to increase hit rates", 1998).
 */
import { blake3, compareBytes, concatBytes, PeerId, utf8 } from '@saorsa-gossip/types'

export const SHARD_BITS = 16
export const SHARD_COUNT = 1 << SHARD_BITS
const SHARD_DOMAIN = utf8('saorsa-rendezvous')
const SERVER_DOMAIN = utf8('saorsa-rendezvous/server')

/** The shard (0 to 65,535) of a 32-byte target. */
export function shardOf(target: Uint8Array): number {
  const h = blake3(concatBytes(SHARD_DOMAIN, target))
  return h[0]! | (h[1]! << 8)
}

/** The pubsub topic name of a shard: `saorsa/rendezvous/` and four lower-case hex digits. */
export function shardTopicName(shard: number): string {
  return `saorsa/rendezvous/${shard.toString(16).padStart(4, '0')}`
}

/**
 * The `count` peers with the highest BLAKE3(domain || u16be(shard) || peer) among `peers`: every
 * node that knows the same rendezvous-role peers picks the same servers, and a server leaving
 * moves only its own shards.
 */
export function shardServers(shard: number, peers: Iterable<PeerId>, count: number): PeerId[] {
  const prefix = concatBytes(SERVER_DOMAIN, new Uint8Array([shard >>> 8, shard & 0xff]))
  const scored: Array<{ peer: PeerId; weight: Uint8Array }> = []
  for (const peer of peers) scored.push({ peer, weight: blake3(concatBytes(prefix, peer.bytes)) })
  scored.sort((a, b) => compareBytes(b.weight, a.weight))
  return scored.slice(0, count).map((s) => s.peer)
}
