/**
 * @packageDocumentation
 * Presence for Saorsa Gossip groups: members broadcast beacons encrypted for their MLS group on
 * topics that rotate every slice, under per-member tags derived from the group's exporter secret,
 * so only members learn who is online and outsiders cannot link a member's beacons across slices.
 * FIND_USER asks friends of friends (the coordinator's FOAF query) for a user's current addresses,
 * sealed to the requester with ML-KEM-768, and falls back to the user's rendezvous shard.
 *
 * @example
 * ```ts
 * import { createPresence, PRESENCE_DEFAULT } from '@saorsa-gossip/presence'
 *
 * // js-libp2p shape: options, then the components it runs on (pubsub, a FOAF router for FIND_USER).
 * const presence = createPresence({ config: PRESENCE_DEFAULT, addrs: ['tcp://203.0.113.7:4001'] }, { peerId, pubsub, foaf })   // foaf: a FoafRouter over the coordinator
 * presence.start()
 * await presence.addGroup('friends', group)          // group: { epoch, exportSecret(label, length), members() }
 * presence.announce('friends')                      // a beacon now, then every 5 min
 * presence.addEventListener('member:online', (e) => console.log(e.detail.member.toShortString(), e.detail.status))
 * presence.online('friends')                        // [{ peer, status, addrs, lastSeen, since, expires }]
 * const found = await presence.find(someone, { signal: AbortSignal.timeout(15_000) })
 * await presence.stop()                             // sends a clean 'offline' beacon first
 * ```
 */
import { PresenceService, type PresenceComponents, type PresenceInit } from './service.ts'

export type Presence = PresenceService

/** Creates the presence service; call `start()` before adding groups. */
export function createPresence(init: PresenceInit, components: PresenceComponents): Presence {
  return new PresenceService(init, components)
}

export { PresenceService } from './service.ts'
export type {
  MemberDetail, PresenceComponents, PresenceEvents, PresenceGroup, PresenceGroupSource, PresenceInit, PresenceMetrics, PresencePubSub,
} from './service.ts'
export { SHARED_SECRET_BYTES, sharedSecretGroup } from './shared-secret.ts'
export { FIND_USER_DEFAULT, PRESENCE_DEFAULT, PRESENCE_LOCAL, type FindUserConfig } from './config.ts'
export { FindUnavailableError, UnknownGroupError, UserNotFoundError } from './errors.ts'
export { answerQuery as answerFindUserQuery, findUser, type FindUserResult, type FoafRouter, type UserShardLookup } from './find-user.ts'
export { DEFAULT_PRESENCE_CONFIG, type PresenceConfig } from './proto/config.ts'
export { PRESENCE_EXPORTER_LABEL, PRESENCE_SECRET_BYTES } from './proto/derive.ts'
export { MAX_OPEN_GROUP_MEMBERS } from './proto/presence.ts'
export type { OfflineReason, OnlineMember, PresenceDropReason, Verdict } from './proto/types.ts'
export type { PresenceStatus } from './proto/messages.ts'
