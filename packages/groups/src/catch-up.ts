/**
 * Catch-up for members that missed commits (SPEC.md 10.6): the request a member sends to a peer the
 * commit log names, and the answer a member serves: the commits since an epoch, as many as fit one
 * direct answer, or a first commit too large for one alone on a bulk stream.
 */
import type { PeerId } from '@saorsa-gossip/types'
import { decodeGroupsRpc, encodeGroupsRpc, MAX_COMMITS_PER_ANSWER, type GroupsRpcMessage, type ServedCommit } from './codec.ts'
import type { GroupSession } from './session.ts'
import { COMMITS_PROTOCOL, GROUPS_PROTOCOL, MAX_DIRECT_ANSWER_BYTES, type GroupsTransport } from './service-api.ts'

/** CBOR overhead of a `commits` answer and of each commit in it, so the sum stays under the frame. */
const ANSWER_OVERHEAD_BYTES = 128
const COMMIT_OVERHEAD_BYTES = 96

/**
 * Asks `peer` for the commits of `session`'s group since `sinceEpoch`. Undefined when the peer could
 * not answer (the commit log retries on its timer) or sends them on a bulk stream instead.
 */
export async function requestCommits(
  transport: GroupsTransport, peer: PeerId, session: GroupSession, sinceEpoch: number, hash: Uint8Array | undefined,
): Promise<(GroupsRpcMessage & { type: 'commits' }) | undefined> {
  try {
    const request = encodeGroupsRpc({ type: 'commits-request', groupId: session.groupId, sinceEpoch, hash })
    const answer = decodeGroupsRpc(await transport.request(peer, GROUPS_PROTOCOL, request), MAX_DIRECT_ANSWER_BYTES)
    return answer.type === 'commits' ? answer : undefined
  } catch {
    return undefined
  }
}

/** The answer to a member's `commits-request`; a lone oversized commit goes to it by bulk stream. */
export function serveCommits(
  transport: GroupsTransport, peer: PeerId, session: GroupSession, request: GroupsRpcMessage & { type: 'commits-request' },
): Uint8Array {
  const commits = session.commitsSince(request.sinceEpoch, MAX_COMMITS_PER_ANSWER, request.hash)
  const fitting: ServedCommit[] = []
  let size = ANSWER_OVERHEAD_BYTES
  for (const c of commits) {
    size += c.commit.length + COMMIT_OVERHEAD_BYTES
    if (size > MAX_DIRECT_ANSWER_BYTES) break
    fitting.push(c)
  }
  if (fitting.length === 0 && commits.length > 0) {
    const bulk = encodeGroupsRpc({ type: 'commits', groupId: request.groupId, commits: commits.slice(0, 1) })
    void transport.sendBulk(peer, COMMITS_PROTOCOL, bulk).catch(() => undefined)
    return encodeGroupsRpc({ type: 'ok' })
  }
  return encodeGroupsRpc({ type: 'commits', groupId: request.groupId, commits: fitting })
}
