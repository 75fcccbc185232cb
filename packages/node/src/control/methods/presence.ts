/**
 * Control methods of the presence layer (SPEC.md sections 8.1.1 and 13.8): start and stop announcing
 * in a group, who is online, a stream of who is online now and then of arrivals, status changes and
 * departures, and FIND_USER.
 * A group's secret comes from the node's group source, or from `secret` (64 hex digits) for a
 * group whose secret was shared out of band.
 */
import { sharedSecretGroup, UserNotFoundError, type OnlineMember, type PresenceStatus } from '@saorsa-gossip/presence'
import { fromHex, PeerId } from '@saorsa-gossip/types'
import type { SaorsaNode } from '../../node.ts'
import { BadRequestError } from '../protocol.ts'
import { exactKeys, hexParam, intParam, stringParam } from './params.ts'
import type { ControlMethodsFactory, MethodParams } from './types.ts'

/** Group names are local labels: short enough for a terminal column, long enough for an MLS group id in hex. */
export const MAX_GROUP_NAME_BYTES = 128
/** FIND_USER waits at most a minute: the FOAF query lifetime is 30 s at every preset. */
const MAX_FIND_TIMEOUT_MS = 60_000
/** FOAF (2-10 s by preset) and the rendezvous fallback fit with margin. */
const DEFAULT_FIND_TIMEOUT_MS = 15_000

export interface OnlineMemberJson {
  readonly peerId: string
  readonly status: PresenceStatus
  readonly addrs: readonly string[]
  readonly lastSeen: number
  readonly since: number
  readonly expires: number
}

export type PresenceEventJson =
  | { readonly event: 'online'; readonly group: string; readonly peerId: string; readonly status: PresenceStatus; readonly addrs: readonly string[] }
  | { readonly event: 'status'; readonly group: string; readonly peerId: string; readonly status: PresenceStatus; readonly previous: PresenceStatus }
  | { readonly event: 'offline'; readonly group: string; readonly peerId: string; readonly reason: string }

const memberJson = (m: OnlineMember): OnlineMemberJson =>
  ({ peerId: m.peer.toHex(), status: m.status, addrs: [...m.addrs], lastSeen: m.lastSeen, since: m.since, expires: m.expires })

function groupParam(params: MethodParams, id: number, optional = false): string | undefined {
  return stringParam(params, 'group', id, MAX_GROUP_NAME_BYTES, optional)
}

function statusParam(params: MethodParams, id: number): 'online' | 'away' {
  const status = params.status ?? 'online'
  if (status !== 'online' && status !== 'away') throw new BadRequestError("params.status must be 'online' or 'away'", id)
  return status
}

/** Detail of the layer's member events, as the layer dispatches them. */
interface MemberEventDetail { group: string; member: PeerId; status?: PresenceStatus; previous?: PresenceStatus; addrs?: readonly string[]; reason?: string }

function eventJson(type: string, d: MemberEventDetail): PresenceEventJson {
  const base = { group: d.group, peerId: d.member.toHex() }
  if (type === 'member:online') return { event: 'online', ...base, status: d.status!, addrs: [...(d.addrs ?? [])] }
  if (type === 'member:status') return { event: 'status', ...base, status: d.status!, previous: d.previous! }
  return { event: 'offline', ...base, reason: d.reason ?? 'expired' }
}

export const presenceMethods: ControlMethodsFactory = (node: SaorsaNode) => ({
  'presence.start': {
    parse(params, id) {
      exactKeys(params, ['group', 'secret', 'status'], id)
      return { group: groupParam(params, id), secret: hexParam(params, 'secret', id, 32, true), status: statusParam(params, id) }
    },
    async run(params, signal) {
      const group = params.group as string
      const secret = params.secret as string | undefined
      await node.presence.addGroup(group, secret === undefined ? undefined : sharedSecretGroup(fromHex(secret)), { signal })
      node.presence.announce(group, params.status as 'online' | 'away')
      return { group, status: params.status, keyedBy: secret === undefined ? 'group' : 'shared-secret' }
    },
  },
  'presence.stop': {
    parse(params, id) {
      exactKeys(params, ['group'], id)
      return { group: groupParam(params, id) }
    },
    run(params) {
      const group = params.group as string
      // withdraw names an unknown group (UnknownGroupError) before anything changes.
      node.presence.withdraw(group)
      node.presence.removeGroup(group)
      return { group, stopped: true }
    },
  },
  'presence.online': {
    parse(params, id) {
      exactKeys(params, ['group'], id)
      return { group: groupParam(params, id, true) }
    },
    run(params) {
      const named = params.group as string | undefined
      const groups = named === undefined ? node.presence.groups() : [named]
      return groups.map((group) => ({ group, members: node.presence.online(group).map(memberJson) }))
    },
  },
  'presence.watch': {
    event: 'presence',
    parse(params, id) {
      exactKeys(params, ['group'], id)
      return { group: groupParam(params, id, true) }
    },
    async *stream(params, signal) {
      const only = params.group as string | undefined
      if (only !== undefined) node.presence.online(only)  // UnknownGroupError before the stream starts
      const queue: PresenceEventJson[] = []
      let wake: (() => void) | undefined
      const onEvent = (e: Event): void => {
        const detail = (e as CustomEvent<MemberEventDetail>).detail
        if (only !== undefined && detail.group !== only) return
        // A watcher that stops reading must not grow the daemon's memory: the oldest events go first.
        if (queue.length >= MAX_QUEUED_EVENTS) queue.shift()
        queue.push(eventJson(e.type, detail))
        wake?.()
      }
      const types = ['member:online', 'member:status', 'member:offline'] as const
      for (const type of types) node.presence.addEventListener(type, onEvent)
      // Who is online now comes first, so a watcher never misses a member that came online before it asked.
      for (const group of only === undefined ? node.presence.groups() : [only]) {
        for (const m of node.presence.online(group)) queue.push({ event: 'online', group, peerId: m.peer.toHex(), status: m.status, addrs: [...m.addrs] })
      }
      let nodeStopped = false
      const stopped = (): void => wake?.()
      const onNodeStop = (): void => {
        nodeStopped = true
        wake?.()
      }
      signal.addEventListener('abort', stopped, { once: true })
      node.addEventListener('stop', onNodeStop, { once: true })
      try {
        while (!signal.aborted && !nodeStopped) {
          const next = queue.shift()
          if (next !== undefined) {
            yield next
            continue
          }
          await new Promise<void>((resolve) => { wake = resolve })
          wake = undefined
        }
      } finally {
        for (const type of types) node.presence.removeEventListener(type, onEvent)
        signal.removeEventListener('abort', stopped)
        node.removeEventListener('stop', onNodeStop)
      }
    },
  },
  'presence.find': {
    parse(params, id) {
      exactKeys(params, ['peerId', 'timeoutMs'], id)
      return { peerId: hexParam(params, 'peerId', id, 32), timeoutMs: intParam(params, 'timeoutMs', id, 1, MAX_FIND_TIMEOUT_MS, true) }
    },
    async run(params, signal) {
      const timeoutMs = (params.timeoutMs as number | undefined) ?? DEFAULT_FIND_TIMEOUT_MS
      const timeout = AbortSignal.timeout(timeoutMs)
      const found = await node.presence.find(PeerId.fromHex(params.peerId as string), { signal: AbortSignal.any([signal, timeout]) }).catch((err: unknown) => {
        // Our own deadline is an answer ("not found in time"), not an interruption of the caller.
        if (timeout.aborted && !signal.aborted) throw new UserNotFoundError(`no answer within ${timeoutMs} ms`)
        throw err
      })
      return {
        peerId: found.target.toHex(), via: found.via, addrs: [...found.addrs],
        ...(found.status === undefined ? {} : { status: found.status }), ...(found.seenAt === undefined ? {} : { seenAt: found.seenAt }),
      }
    },
  },
})

/** Events a slow watcher may fall behind by before the oldest are dropped. */
const MAX_QUEUED_EVENTS = 1_024
