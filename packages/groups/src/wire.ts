/**
 * The wire layer without MLS, for the CLI, tools and the simulator (`@saorsa-gossip/groups/wire`):
 * the codec of SPEC.md 10.5, its caps and the named errors. Importing it loads no ts-mls, so a CLI
 * command that only checks arguments starts as fast as one of any other layer.
 */
export {
  decodeGroupsRpc, decodeGroupTopicPayload, encodeGroupsRpc, encodeGroupTopicPayload, MAX_COMMIT_ANSWER_BYTES,
  MAX_COMMIT_BYTES, MAX_COMMITS_PER_ANSWER, MAX_GROUP_ID_BYTES, MAX_GROUP_PLAINTEXT_BYTES, MAX_INLINE_COMMIT_BYTES,
  MAX_KEY_PACKAGE_BYTES, MAX_RPC_BYTES, MAX_TOPIC_PAYLOAD_BYTES, MAX_TREE_BYTES, MAX_WELCOME_BYTES,
  type GroupsRpcMessage, type GroupTopicPayload, type ServedCommit,
} from './codec.ts'
export {
  GroupError, GroupMessageError, GroupStateCorruptError, FutureEpochError, InvalidCommitError, InvalidKeyPackageError,
  InvalidWelcomeError, NotMemberError, StaleEpochError, UnknownGroupError,
} from './errors.ts'
export { KEY_PACKAGE_NAME_PREFIX, keyPackageRendezvousName } from './key-package-name.ts'
