/**
 * FIND_USER (SPEC.md section 13.6): a coordinator FOAF query with a user target whose payload
 * carries a one-time ML-KEM-768 key; a node that has heard the user's beacons answers with the
 * user's address hints sealed to that key, so forwarders learn nothing. When no friend of a friend
 * answers, the user's rendezvous shard is asked. The coordinator and rendezvous are components
 * described here structurally.
 */
import { bytesEqual, DecodeError, throwIfAborted, type AbortOptions, type PeerId, type Rng } from '@saorsa-gossip/types'
import { decodeFindUserAnswer, decodeFindUserQuery, decodeFindUserReply, encodeFindUserAnswer, encodeFindUserQuery, encodeFindUserReply, QUERY_ID_BYTES } from './codec.ts'
import type { FindUserConfig } from './config.ts'
import { UserNotFoundError } from './errors.ts'
import type { PresenceStatus } from './proto/messages.ts'
import { findUserKeys, openAnswer, sealAnswer } from './proto/seal.ts'
import type { FoundUser } from './proto/types.ts'

/**
 * The part of the coordinator FIND_USER needs: FOAF queries with a user target over `/saorsa/foaf/1`
 * (`@saorsa-gossip/coordinator`'s CoordinatorService fits). Fanout is the coordinator's (3 by default).
 */
export interface FoafRouter {
  /**
   * Floods a user query carrying `payload` under the requester's signature; resolves with the reply
   * records that came back in time, or earlier once `settle` returns true for the records so far.
   */
  queryUser(
    target: PeerId, payload: Uint8Array,
    options: { ttl: number; timeoutMs: number; settle?: (records: readonly Uint8Array[]) => boolean } & AbortOptions,
  ): Promise<readonly Uint8Array[]>
  /**
   * Installs (undefined: removes) the answerer for user queries reaching this node: a reply ends the
   * query's walk here, undefined lets it travel on.
   */
  answerUserQueries(answer: ((query: { readonly requester: PeerId; readonly target: PeerId; readonly payload: Uint8Array }) => Uint8Array | undefined) | undefined): void
}

/** The part of rendezvous FIND_USER falls back to: the addresses a user published on its shard. */
export interface UserShardLookup {
  findUser(target: PeerId, options?: AbortOptions): Promise<readonly string[] | undefined>
}

export interface FindUserResult {
  readonly target: PeerId
  readonly via: 'foaf' | 'rendezvous'
  readonly addrs: readonly string[]
  /** Known when a friend of a friend answered. */
  readonly status?: PresenceStatus
  readonly seenAt?: number
}

/** Asks friends of friends, then the rendezvous shard. */
export async function findUser(
  target: PeerId, router: FoafRouter | undefined, shard: UserShardLookup | undefined, config: FindUserConfig, rng: Rng, options: AbortOptions,
): Promise<FindUserResult> {
  throwIfAborted(options.signal)
  if (router !== undefined) {
    const keys = findUserKeys(rng)
    const qid = rng.fill(new Uint8Array(QUERY_ID_BYTES))
    const payload = encodeFindUserQuery({ qid, target, kem: keys.publicKey })
    let best: FoundUser | undefined
    let opened = 0
    const openFrom = (records: readonly Uint8Array[]): void => {
      for (; opened < records.length; opened++) {
        const answer = openReply(records[opened]!, keys.secretKey, qid, target)
        if (answer !== undefined && answer.status !== 'offline' && (best === undefined || answer.seenAt > best.seenAt)) best = answer
      }
    }
    // The first answer that opens ends the wait: every answerer speaks from an unexpired beacon.
    const settle = (records: readonly Uint8Array[]): boolean => {
      openFrom(records)
      return best !== undefined
    }
    openFrom(await router.queryUser(target, payload, { ttl: config.ttl, timeoutMs: config.timeoutMs, settle, ...options }))
    if (best !== undefined) return { target, via: 'foaf', addrs: best.addrs, status: best.status, seenAt: best.seenAt }
  }
  throwIfAborted(options.signal)
  const addrs = await shard?.findUser(target, options)
  if (addrs !== undefined && addrs.length > 0) return { target, via: 'rendezvous', addrs }
  throw new UserNotFoundError(`no address known for ${target.toShortString()}`)
}

/** The sealed answer of one reply, or undefined for a reply that is malformed or not for us. */
function openReply(bytes: Uint8Array, secretKey: Uint8Array, qid: Uint8Array, target: PeerId): FoundUser | undefined {
  try {
    const reply = decodeFindUserReply(bytes)
    if (!bytesEqual(reply.qid, qid)) return undefined
    const plain = openAnswer(secretKey, qid, target, reply)
    if (plain === undefined) return undefined
    const answer = decodeFindUserAnswer(plain)
    return answer.target.equals(target) ? answer : undefined
  } catch (err) {
    if (err instanceof DecodeError) return undefined
    throw err
  }
}

/**
 * The responder: decodes the query, asks `lookup` (the core's rate-limited answer), seals what it
 * knows to the requester's key. Undefined when the query is malformed or there is nothing to say.
 */
export function answerQuery(
  query: { requester: PeerId; target: PeerId; payload: Uint8Array }, lookup: (requester: PeerId, target: PeerId) => FoundUser | undefined, rng: Rng,
): Uint8Array | undefined {
  let decoded
  try {
    decoded = decodeFindUserQuery(query.payload)
  } catch (err) {
    if (err instanceof DecodeError) return undefined
    throw err
  }
  if (!decoded.target.equals(query.target)) return undefined
  const found = lookup(query.requester, decoded.target)
  if (found === undefined) return undefined
  const answer = encodeFindUserAnswer({ target: found.target, status: found.status, addrs: found.addrs, seenAt: found.seenAt })
  const sealed = sealAnswer(decoded.kem, decoded.qid, decoded.target, answer, rng)
  return encodeFindUserReply({ qid: decoded.qid, ...sealed })
}
