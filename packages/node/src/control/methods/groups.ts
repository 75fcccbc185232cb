/**
 * Control methods of the groups layer (SPEC.md section 10.9): `groups.create`, `key-package`, `invite`,
 * `remove`, `leave`, `list`, `members`, `metrics`, `send`, `publish` and the streams `groups.listen` and
 * `groups.subscribe`, over `node.groups` (`publish`/`subscribe` speak the shapes of the plain pubsub methods).
 * A group is named by its id in hex or a unique prefix of it; membership changes wait for the epoch
 * that carries them, so the CLI reports a finished invitation, not a proposal.
 */
import type { Groups, GroupsEvents } from '@saorsa-gossip/groups'
import { MAX_GROUP_ID_BYTES, MAX_GROUP_PLAINTEXT_BYTES, MAX_KEY_PACKAGE_BYTES, UnknownGroupError } from '@saorsa-gossip/groups/wire'
import { PeerId, TimeoutError, toHex } from '@saorsa-gossip/types'
import type { SaorsaNode } from '../../node.ts'
import { BadRequestError } from '../protocol.ts'
import { bytesParam, exactKeys, hexParam, intParam } from './params.ts'
import type { ControlMethodsFactory, MethodParams } from './types.ts'

/** 8 hex digits (32 bits) keep an accidental prefix match unlikely among a node's few groups. */
const MIN_GROUP_PREFIX = 8
/**
 * How long invite/remove/leave wait for the epoch that applies them: a commit settles in at most a
 * WAN settle window (1.5 s) plus a catch-up retry (5 s); 30 s leaves room for a busy machine.
 */
const DEFAULT_WAIT_MS = 30_000
const MAX_WAIT_MS = 600_000
/** Buffered `groups.listen` events before the oldest is dropped, so a stalled reader cannot grow the daemon. */
const LISTEN_BUFFER = 1024

export interface GroupJson { groupId: string; epoch: number; members: number }
export interface MemberJson { peerId: string; leafIndex: number; self: boolean }
export interface GroupMessageJson { groupId: string; from: string; payload: string; epoch: number }
/** `pubsub publish --group`: the plain publish result (status.ts PublishResultJson) plus the group and the sealing epoch. */
export interface GroupPublishJson { topic: string; id: string; sentTo: number; group: string; epoch: number }
/** `pubsub subscribe --group`: the plain message event (status.ts MessageJson), decrypted, plus the group and the sealing epoch. */
export interface GroupTopicMessageJson {
  topic: string; id: string; origin: string; from: string; hops: number; seq: number; timestampMs: number; payload: string; group: string; epoch: number
}

function groupParam(params: MethodParams, id: number): string {
  const v = params.group
  if (typeof v !== 'string' || v.length < MIN_GROUP_PREFIX || v.length > 2 * MAX_GROUP_ID_BYTES || !/^[0-9a-f]+$/.test(v)) {
    throw new BadRequestError(`params.group must be ${MIN_GROUP_PREFIX}..${2 * MAX_GROUP_ID_BYTES} lower-case hex digits (a group id or a prefix of one)`, id)
  }
  return v
}

/** The one group whose id starts with `prefix`. */
function resolveGroup(groups: Groups, prefix: string): Uint8Array {
  const matches = groups.list().filter((g) => toHex(g).startsWith(prefix))
  if (matches.length === 1) return matches[0]!
  throw new UnknownGroupError(matches.length === 0 ? `no group ${prefix} on this node` : `${matches.length} groups start with ${prefix}; give more digits`)
}

function groupJson(groups: Groups, groupId: Uint8Array): GroupJson {
  return { groupId: toHex(groupId), epoch: groups.epoch(groupId), members: groups.members(groupId).length }
}

/** Resolves once `done()` holds after a `group:*` event, or throws TimeoutError after `waitMs`. */
async function waitFor(groups: Groups, done: () => boolean, waitMs: number, what: string, signal: AbortSignal): Promise<void> {
  if (done()) return
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!done()) return
      finish()
      resolve()
    }
    const timer = setTimeout(() => {
      finish()
      reject(new TimeoutError(`${what}: not applied within ${waitMs} ms (the commit may still settle; check 'group members')`))
    }, waitMs)
    const onAbort = () => {
      finish()
      reject(new TimeoutError(`${what}: the caller went away`))
    }
    const finish = () => {
      clearTimeout(timer)
      groups.removeEventListener('group:epoch', check)
      groups.removeEventListener('group:removed', check)
      signal.removeEventListener('abort', onAbort)
    }
    groups.addEventListener('group:epoch', check)
    groups.addEventListener('group:removed', check)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

const isMember = (groups: Groups, groupId: Uint8Array, peer: PeerId): boolean => {
  try {
    return groups.members(groupId).some((m) => m.peerId.equals(peer))
  } catch {
    return false
  }
}

/** A group's topic name (SPEC.md 10.4): what `pubsub subscribe|publish --group` report as `topic`. */
export const groupTopicName = (groupId: Uint8Array): string => `saorsa-gossip/group/v1/${toHex(groupId)}`

type GroupMessageDetail = GroupsEvents['group:message']['detail']

/**
 * The group's delivered messages, each mapped by `toJson` (undefined skips it), until the node leaves
 * the group, stops or the caller goes away. At most LISTEN_BUFFER wait; the oldest is dropped first.
 */
async function* groupMessages<T>(node: SaorsaNode, groupId: Uint8Array, signal: AbortSignal, toJson: (m: GroupMessageDetail) => T | undefined): AsyncGenerator<T> {
  const groups = node.groups
  const hex = toHex(groupId)
  const queue: T[] = []
  let wake: (() => void) | undefined
  let ended = false
  const onMessage = (e: CustomEvent<GroupMessageDetail>) => {
    if (toHex(e.detail.groupId) !== hex) return
    const json = toJson(e.detail)
    if (json === undefined) return
    if (queue.length >= LISTEN_BUFFER) queue.shift()
    queue.push(json)
    wake?.()
  }
  // Removal from the group or a stopping node ends the stream: nothing more can arrive on it.
  const onEnd = (e?: CustomEvent<{ groupId: Uint8Array }>) => {
    if (e !== undefined && toHex(e.detail.groupId) !== hex) return
    ended = true
    wake?.()
  }
  const onStop = () => onEnd()
  groups.addEventListener('group:message', onMessage)
  groups.addEventListener('group:removed', onEnd)
  node.addEventListener('stop', onStop)
  signal.addEventListener('abort', onStop, { once: true })
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!
      if (ended || signal.aborted) return
      await new Promise<void>((resolve) => { wake = resolve })
      wake = undefined
    }
  } finally {
    groups.removeEventListener('group:message', onMessage)
    groups.removeEventListener('group:removed', onEnd)
    node.removeEventListener('stop', onStop)
    signal.removeEventListener('abort', onStop)
  }
}

export const groupsControlMethods: ControlMethodsFactory = (node: SaorsaNode) => ({
  'groups.create': {
    parse: (p, id) => (exactKeys(p, [], id), {}),
    async run(_params, signal) {
      const groupId = await node.groups.create({ signal })
      return groupJson(node.groups, groupId)
    },
  },
  'groups.key-package': {
    parse: (p, id) => (exactKeys(p, [], id), {}),
    async run(_params, signal) {
      return { peerId: node.peerId.toHex(), keyPackage: Buffer.from(await node.groups.keyPackage({ signal })).toString('base64') }
    },
  },
  'groups.invite': {
    parse(p, id) {
      exactKeys(p, ['group', 'peer', 'keyPackage', 'waitMs'], id)
      return {
        group: groupParam(p, id), peer: hexParam(p, 'peer', id, 32),
        keyPackage: bytesParam(p, 'keyPackage', id, MAX_KEY_PACKAGE_BYTES, true), waitMs: intParam(p, 'waitMs', id, 0, MAX_WAIT_MS, true),
      }
    },
    async run(params, signal) {
      const groups = node.groups
      const groupId = resolveGroup(groups, params.group as string)
      const peer = PeerId.fromHex(params.peer as string)
      const keyPackage = params.keyPackage as Uint8Array | undefined
      await groups.invite(groupId, peer, keyPackage === undefined ? { signal } : { signal, keyPackage })
      await waitFor(groups, () => isMember(groups, groupId, peer), (params.waitMs as number | undefined) ?? DEFAULT_WAIT_MS, 'invite', signal)
      return groupJson(groups, groupId)
    },
  },
  'groups.remove': {
    parse(p, id) {
      exactKeys(p, ['group', 'peer', 'waitMs'], id)
      return { group: groupParam(p, id), peer: hexParam(p, 'peer', id, 32), waitMs: intParam(p, 'waitMs', id, 0, MAX_WAIT_MS, true) }
    },
    async run(params, signal) {
      const groups = node.groups
      const groupId = resolveGroup(groups, params.group as string)
      const peer = PeerId.fromHex(params.peer as string)
      if (!isMember(groups, groupId, peer)) throw new UnknownGroupError(`${peer.toShortString()} is not a member of ${toHex(groupId).slice(0, 8)}`)
      await groups.remove(groupId, peer, { signal })
      await waitFor(groups, () => !isMember(groups, groupId, peer), (params.waitMs as number | undefined) ?? DEFAULT_WAIT_MS, 'remove', signal)
      return groupJson(groups, groupId)
    },
  },
  'groups.leave': {
    parse(p, id) {
      exactKeys(p, ['group', 'waitMs'], id)
      return { group: groupParam(p, id), waitMs: intParam(p, 'waitMs', id, 0, MAX_WAIT_MS, true) }
    },
    async run(params, signal) {
      const groups = node.groups
      const groupId = resolveGroup(groups, params.group as string)
      // MLS has no self-removal commit: the leave proposal waits for another member to commit it.
      await groups.leave(groupId, { signal })
      const gone = () => !groups.list().some((g) => toHex(g) === toHex(groupId))
      await waitFor(groups, gone, (params.waitMs as number | undefined) ?? DEFAULT_WAIT_MS, 'leave', signal)
      return { groupId: toHex(groupId), left: true }
    },
  },
  'groups.list': {
    parse: (p, id) => (exactKeys(p, [], id), {}),
    run: () => node.groups.list().map((g) => groupJson(node.groups, g)),
  },
  'groups.metrics': {
    parse: (p, id) => (exactKeys(p, [], id), {}),
    run: () => node.groups.metrics(),
  },
  'groups.members': {
    parse: (p, id) => (exactKeys(p, ['group'], id), { group: groupParam(p, id) }),
    run(params): MemberJson[] {
      const groupId = resolveGroup(node.groups, params.group as string)
      return node.groups.members(groupId).map((m) => ({ peerId: m.peerId.toHex(), leafIndex: m.leafIndex, self: m.peerId.equals(node.peerId) }))
    },
  },
  'groups.send': {
    parse(p, id) {
      exactKeys(p, ['group', 'payload'], id)
      return { group: groupParam(p, id), payload: bytesParam(p, 'payload', id, MAX_GROUP_PLAINTEXT_BYTES) }
    },
    async run(params, signal) {
      const groupId = resolveGroup(node.groups, params.group as string)
      const payload = params.payload as Uint8Array
      if (payload.length === 0) throw new BadRequestError('params.payload must not be empty')
      const sent = await node.groups.send(groupId, payload, { signal })
      return { groupId: toHex(groupId), bytes: payload.length, epoch: sent.epoch }
    },
  },
  'groups.listen': {
    event: 'message',
    parse: (p, id) => (exactKeys(p, ['group'], id), { group: groupParam(p, id) }),
    stream(params, signal): AsyncIterable<GroupMessageJson> {
      const groupId = resolveGroup(node.groups, params.group as string)
      return groupMessages(node, groupId, signal, (m) => ({
        groupId: toHex(groupId), from: m.from.toHex(), payload: Buffer.from(m.data).toString('base64'), epoch: node.groups.epoch(groupId),
      }))
    },
  },
  'groups.publish': {
    parse(p, id) {
      exactKeys(p, ['group', 'payload'], id)
      return { group: groupParam(p, id), payload: bytesParam(p, 'payload', id, MAX_GROUP_PLAINTEXT_BYTES) }
    },
    async run(params, signal): Promise<GroupPublishJson> {
      const groupId = resolveGroup(node.groups, params.group as string)
      const payload = params.payload as Uint8Array
      if (payload.length === 0) throw new BadRequestError('params.payload must not be empty')
      const sent = await node.groups.send(groupId, payload, { signal })
      // The node's pubsub always reports both; a missing one would be a wiring fault, not a user's.
      if (sent.messageId === undefined || sent.sentTo === undefined) throw new Error('groups.publish: the pubsub reported no message id')
      return { topic: groupTopicName(groupId), id: sent.messageId.toHex(), sentTo: sent.sentTo, group: toHex(groupId), epoch: sent.epoch }
    },
  },
  'groups.subscribe': {
    event: 'message',
    parse: (p, id) => (exactKeys(p, ['group'], id), { group: groupParam(p, id) }),
    stream(params, signal): AsyncIterable<GroupTopicMessageJson> {
      const groupId = resolveGroup(node.groups, params.group as string)
      const topic = groupTopicName(groupId)
      // The node's pubsub reports how every delivery travelled; a message without it has no pubsub shape to show.
      return groupMessages(node, groupId, signal, (m) => m.delivery === undefined ? undefined : ({
        topic, id: m.delivery.messageId.toHex(), origin: m.from.toHex(), from: m.delivery.from.toHex(), hops: m.delivery.hops,
        seq: m.delivery.seq, timestampMs: m.delivery.timestampMs, payload: Buffer.from(m.data).toString('base64'), group: toHex(groupId), epoch: m.epoch,
      }))
    },
  },
})
