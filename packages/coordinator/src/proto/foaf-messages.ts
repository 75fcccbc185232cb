/**
 * FOAF (friend-of-a-friend) messages, commands, events and timers as the core sees them (SPEC.md
 * section 9.4). One query shape serves three targets: a coordinator (answered from the advert cache),
 * a user and a content id (answered by resolvers that presence and rendezvous register).
 */
import type { PeerId } from '@saorsa-gossip/types'

export const QUERY_ID_BYTES = 16
/** The wire carries a TTL of at most 3: 3 + 9 + 27 = 39 nodes at fanout 3. */
export const MAX_FOAF_TTL = 3
/** Records in one reply (8 adverts of 6 KiB fit one 64 KiB frame). */
export const MAX_REPLY_RECORDS = 8
/**
 * The opaque, signed payload a user or content query may carry for the layer that answers it (FIND_USER
 * puts a one-time ML-KEM-768 key there: 1,184 bytes plus a query id and a PeerId, about 1,260 bytes).
 */
export const MAX_FOAF_PAYLOAD_BYTES = 1_536

export type FoafTarget =
  | { readonly kind: 'coordinator' }
  | { readonly kind: 'user'; readonly id: Uint8Array }
  | { readonly kind: 'content'; readonly id: Uint8Array }

export interface FoafQueryBody {
  readonly version: 1
  /** 16 random bytes chosen by the requester; the dedupe and reverse-path key. */
  readonly queryId: Uint8Array
  readonly target: FoafTarget
  readonly requester: PeerId
  /** The requester's ML-DSA-65 key (BLAKE3 of it is `requester`), so any hop can verify. */
  readonly publicKey: Uint8Array
  /** TTL the requester started with: forwarders may only lower the hop TTL below it. */
  readonly maxTtl: number
  /** Requester wall clock, Unix ms. */
  readonly createdAtMs: number
  /**
   * For the answering layer (user and content targets only), inside the signature so no forwarder
   * can swap it (FIND_USER's reply key travels here).
   */
  readonly payload?: Uint8Array
}

export interface FoafQueryMessage {
  readonly type: 'query'
  /** The signed envelope, forwarded byte for byte. */
  readonly envelope: Uint8Array
  readonly body: FoafQueryBody
  readonly bodyBytes: Uint8Array
  readonly sig: Uint8Array
  /** Hops left, this one included (1..maxTtl); not signed, only ever lowered. */
  readonly ttl: number
}

export interface FoafReplyMessage {
  readonly type: 'reply'
  readonly queryId: Uint8Array
  /** Signed records for the target (coordinator adverts for a coordinator query). */
  readonly records: readonly Uint8Array[]
}

export type FoafMessage = FoafQueryMessage | FoafReplyMessage

export type FoafCommand =
  /** The driver's wall clock, so query timestamps and ages use Unix time while `nowMs` stays monotonic. */
  | { readonly type: 'wall-clock'; readonly wallMs: number }
  /**
   * Starts a query; `ref` comes back on its events. `payload` (user and content targets) travels signed
   * to every answerer; `ttl` may lower the configured TTL and `timeoutMs` replace the configured wait.
   */
  | { readonly type: 'find'; readonly target: FoafTarget; readonly ref: number; readonly payload?: Uint8Array; readonly ttl?: number; readonly timeoutMs?: number }

export type FoafTimer = { readonly type: 'query-deadline'; readonly queryId: string }

export type FoafDropReason =
  | 'rate-limited-peer' | 'rate-limited-requester' | 'duplicate' | 'own-query' | 'bad-ttl' | 'expired' | 'future'
  | 'key-mismatch' | 'bad-signature' | 'unknown-query' | 'unsolicited-reply' | 'too-many-replies' | 'late-reply'

export type FoafEvent =
  | { readonly type: 'query-started'; readonly ref: number; readonly queryId: string; readonly sentTo: number }
  | { readonly type: 'query-failed'; readonly ref: number; readonly reason: 'rate-limited' | 'no-neighbours' }
  /** One reply reached us as the requester. Records are unverified: check each (validateAdvert) before use. */
  | { readonly type: 'answer'; readonly ref: number; readonly queryId: string; readonly from: PeerId; readonly records: readonly Uint8Array[] }
  | { readonly type: 'query-done'; readonly ref: number; readonly queryId: string; readonly replies: number }
  /** We handled someone's query (once per query id): for metrics and the simulator's touch counts. */
  | { readonly type: 'query-handled'; readonly queryId: string; readonly requester: PeerId; readonly ttl: number; readonly answered: number; readonly forwardedTo: number }
