/**
 * @packageDocumentation
 * MLS (RFC 9420) groups for Saorsa Gossip on ts-mls: the post-quantum suite 0xF165 (ML-KEM-768,
 * ML-DSA-65, ChaCha20-Poly1305, SHA-512), members bound to PeerIds, group topics encrypted under
 * exporter-derived keys, commits ordered over gossip by a sans-IO core, and encrypted state files.
 *
 * @example
 * ```ts
 * import { loadMlDsa65Backend } from '@saorsa-gossip/identity'
 * import { COMMIT_LOG_LAN, GroupSession, createKeyPackage, loadSuite, openKeyPackage } from '@saorsa-gossip/groups'
 *
 * await loadMlDsa65Backend()
 * const suite = await loadSuite('saorsa')
 * const group = await GroupSession.create(me, suite, { commitLog: COMMIT_LOG_LAN }, Date.now())
 * const { keyPackage } = await openKeyPackage(fetchedBytes, suite, Date.now(), friend.peerId)
 * const outputs = await group.propose({ add: [keyPackage] }, Date.now()) // publish, settle, then Welcome
 * const payload = group.seal(new TextEncoder().encode('hello group'))   // for the group topic
 * const presenceKey = await group.group.exportSecret('presence/v1', 32)
 * ```
 */
export {
  GroupError, GroupMessageError, GroupStateCorruptError, FutureEpochError, InvalidCommitError, InvalidKeyPackageError,
  InvalidWelcomeError, NotMemberError, StaleEpochError, UnknownGroupError,
} from './errors.ts'
export {
  loadSuite, MLS_SIGNATURE_DOMAIN, SAORSA_SUITE_ID, SAORSA_SUITE_NAME, STANDARD_SUITE, suiteChoiceOf, suiteChoiceOfName,
  type GroupSuite, type SuiteChoice,
} from './suite.ts'
export { CREDENTIAL_BINDING_DOMAIN, credentialPeerId, makeCredential, peerIdAuthService } from './credential.ts'
export {
  capabilitiesFor, createKeyPackage, KEY_PACKAGE_LIFETIME_MS, KEY_PACKAGE_SKEW_MS, openKeyPackage, type KeyPackageBundle,
} from './key-package.ts'
export { MlsGroup, type CommitChanges, type EpochChange, type GroupMember, type PendingCommit } from './group.ts'
export {
  decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc, encodeGroupTopicPayload, MAX_COMMIT_ANSWER_BYTES,
  MAX_COMMIT_BYTES, MAX_COMMITS_PER_ANSWER, MAX_GROUP_ID_BYTES, MAX_GROUP_PLAINTEXT_BYTES, MAX_INLINE_COMMIT_BYTES,
  MAX_KEY_PACKAGE_BYTES, MAX_RPC_BYTES, MAX_TOPIC_PAYLOAD_BYTES, MAX_TREE_BYTES, MAX_WELCOME_BYTES,
  type GroupsRpcMessage, type GroupTopicPayload, type ServedCommit,
} from './codec.ts'
export { DEFAULT_KEY_RING, EpochKeyRing, GROUP_TOPIC_EXPORTER_LABEL, type EpochKey, type KeyRingOptions } from './topic-crypto.ts'
export { epochId, epochIdOf, groupTopic, GroupSession, type SessionOptions, type SessionOutput, type SessionSnapshot, type SessionTimer } from './session.ts'
export {
  createGroupStore, deriveStateKey, MAX_STATE_FILE_BYTES, MAX_STORED_KEY_PACKAGES, openGroupState, sealGroupState, STATE_MAGIC, STATE_VERSION,
  type GroupStore, type GroupStoreInit, type StoredGroup,
} from './store.ts'
export { CommitLog } from './proto/commit-log.ts'
export type {
  CommitAnnouncement, CommitDropReason, CommitLogCommand, CommitLogEvent, CommitLogInput, CommitLogOutput, CommitLogTimer,
} from './proto/commit-log.ts'
export { fallbackCommitter, removalCommitter } from './proto/committer.ts'
export { COMMIT_LOG_LAN, COMMIT_LOG_LOCAL, COMMIT_LOG_WAN, type CommitLogConfig } from './proto/config.ts'
export { createGroups, GroupsService } from './service.ts'
export {
  COMMITS_PROTOCOL, GROUPS_PROTOCOL, MAX_DIRECT_ANSWER_BYTES, WELCOME_PROTOCOL,
  type AbortOptions, type GroupDelivery, type GroupPublished, type Groups, type GroupsComponents, type GroupsEvents, type GroupSent,
  type GroupsMetrics, type GroupsInit, type GroupsPubSub, type GroupsTransport, type InviteOptions,
} from './service-api.ts'
export { KeyPackagePool } from './key-package-pool.ts'
export { KEY_PACKAGE_NAME_PREFIX, keyPackageRendezvousName } from './key-package-name.ts'
export { groupsPubSub, type PubSubDeliveryLike, type PubSubLike } from './pubsub-adapter.ts'
export { groupsTransport, type ConnectionLike, type TransportLike } from './transport-adapter.ts'
