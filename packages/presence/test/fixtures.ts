/**
 * Fixed inputs of the presence golden vectors (SPEC.md section 13.7): a group secret, two members,
 * a slice, a nonce, and one example of each message, so the derivations and encodings printed in
 * the specification can be recomputed by any implementation.
 */
import { PeerId, utf8 } from '@saorsa-gossip/types'
import { blake3 } from '@noble/hashes/blake3.js'
import type { BeaconBody, FindUserAnswer, FindUserQuery, FindUserReply } from '../src/proto/index.ts'

/** secret = BLAKE3("saorsa-gossip/test/presence-secret"), standing in for an MLS exporter output. */
export const SECRET = blake3(utf8('saorsa-gossip/test/presence-secret'))
export const ALICE = PeerId.fromPublicKey(utf8('alice'))
export const BOB = PeerId.fromPublicKey(utf8('bob'))
/** 2026-03-22T07:00:00Z in hourly slices (1,774,162,800,000 ms / 3,600,000). */
export const SLICE = 492_823
export const NONCE = Uint8Array.from({ length: 12 }, (_, i) => i)

const bytesOf = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

export const BODY: BeaconBody = {
  sender: ALICE, status: 'online', addrs: ['tcp://203.0.113.7:4001'],
  since: 1_774_162_800_000, expires: 1_774_163_700_000, seq: 1_774_162_800_000,
}
export const QUERY: FindUserQuery = { qid: bytesOf(16, 0x11), target: BOB, kem: bytesOf(1184, 0x22) }
export const REPLY: FindUserReply = { qid: bytesOf(16, 0x11), kemCt: bytesOf(1088, 0x33), nonce: NONCE, ct: bytesOf(40, 0x44) }
export const ANSWER: FindUserAnswer = { target: BOB, status: 'away', addrs: ['tcp://198.51.100.2:4001'], seenAt: 1_774_163_000_000 }
