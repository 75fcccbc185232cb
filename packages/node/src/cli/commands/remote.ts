/**
 * CLI commands that talk to the running node through its control socket: `network status|peers|
 * leave` and `pubsub subscribe|publish|list`. None of them starts a node; without one they fail with
 * "no node is running" (exit code 3). `pubsub subscribe|publish --group` use the group's encrypted
 * topic through the `groups.subscribe`/`groups.publish` methods (SPEC.md 10.9).
 */
import { MAX_GROUP_PLAINTEXT_BYTES } from '@saorsa-gossip/groups/wire'
import { controlRequest, controlStream } from '../../control/client.ts'
import type { GroupPublishJson, GroupTopicMessageJson } from '../../control/methods/groups.ts'
import type { MessageJson, NodeStatus, PeerInfo, PublishResultJson } from '../../status.ts'
import { LIMITS } from '@saorsa-gossip/types'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'
import { NoNodeRunningError } from '../../errors.ts'
import { resolveGroupArg } from '../group-names.ts'

const short = (hex: string) => hex.slice(0, 16)

function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
}

async function readStdin(ctx: CliContext): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of ctx.io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    total += b.length
    if (total > LIMITS.maxPayloadBytes) throw new UsageError(`message over ${LIMITS.maxPayloadBytes} bytes`)
    chunks.push(b)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

/** The --topic value, checked here so a bad name is a usage error even when no node is running. */
function topicOption(values: Record<string, unknown>): string {
  const topic = values.topic
  if (typeof topic !== 'string') throw new UsageError('--topic is required')
  const bytes = Buffer.byteLength(topic, 'utf8')
  if (bytes === 0 || bytes > LIMITS.maxTopicNameBytes) throw new UsageError(`--topic must be 1..${LIMITS.maxTopicNameBytes} bytes of UTF-8, got ${bytes}`)
  return topic
}

/**
 * Where `pubsub subscribe|publish` go: a plain topic (--topic) or a group's one encrypted topic
 * (--group: a local group name, a group id or 8+ hex digits of one). The two exclude each other.
 */
async function targetOption(ctx: CliContext, values: Record<string, unknown>): Promise<{ topic: string } | { group: string }> {
  if (values.group === undefined) return { topic: topicOption(values) }
  if (values.topic !== undefined) throw new UsageError('--topic and --group exclude each other: a group has one encrypted topic, which --group selects')
  if (typeof values.group !== 'string') throw new UsageError('--group needs a group name or id')
  return { group: await resolveGroupArg(ctx.layout.groupNamesFile, values.group) }
}

const GROUP_DETAILS = "With --group the messages are those of the group's one encrypted topic\n" +
  '(saorsa-gossip/group/v1/<group id>, SPEC.md 10.4), sealed under the group\'s epoch keys: only members\n' +
  "can publish or read them. --group takes a local group name ('group name'), a group id or 8+ hex\n" +
  'digits of one, and excludes --topic; --json adds the group id and the epoch the message was sealed in.'

const reachOf = (sentTo: number): string => sentTo > 0
  ? `sent to ${sentTo} neighbour${sentTo === 1 ? '' : 's'}`
  : 'no neighbour subscribes to it yet; kept for anti-entropy, which offers it to subscribers that appear'

function renderPayload(payload: Uint8Array): string {
  const text = Buffer.from(payload).toString('utf8')
  // Printable UTF-8 is shown as text; anything else as base64 so a terminal never gets raw bytes.
  return /^[\P{Cc}\n\t]*$/u.test(text) && !text.includes('\uFFFD') ? text : `base64:${Buffer.from(payload).toString('base64')}`
}

/** NAT traversal in `network status`: class, reflexive and relayed addresses, how peers are reached. */
function natLines(s: NodeStatus): string[] {
  if (s.nat === undefined) return []
  const paths = { direct: 0, punched: 0, relayed: 0 }
  for (const p of s.nat.peers) paths[p.path]++
  return [
    `NAT:         ${s.nat.nat}, reflexive address ${s.nat.reflexiveAddr ?? '(unknown)'}${s.nat.behindNat === undefined ? '' : s.nat.behindNat ? ' (behind a NAT)' : ' (no NAT)'}` +
      `${s.nat.roles.length > 0 ? `, serving ${s.nat.roles.join(', ')}` : ''}`,
    `Relayed at:  ${s.nat.relayedAddrs.join(', ') || '(none)'}`,
    `Peers:       ${paths.direct} direct, ${paths.punched} punched, ${paths.relayed} relayed`,
  ]
}

export const remoteCommands: CommandSpec<CliContext>[] = [
  {
    path: ['network', 'status'],
    summary: 'Show the running node: PeerId, addresses, neighbours, topics',
    async run(ctx) {
      const s = (await controlRequest(ctx.layout.controlSocket, 'status', {}, { signal: ctx.io.interrupt })) as NodeStatus
      ctx.out.result([
        `PeerId:      ${s.peerId}`,
        `State:       ${s.state} for ${formatDuration(s.uptimeMs)}`,
        `Listening:   ${s.listenAddrs.join(', ') || '(none)'}`,
        `Neighbours:  ${s.activePeers} active, ${s.passivePeers} passive, ${s.connections} connections`,
        `Topics:      ${s.topics.join(', ') || '(none)'}`,
        `Messages:    ${s.published} published, ${s.delivered} delivered, ${s.duplicates} duplicate copies, ${s.signatureChecks} signature checks`,
        ...natLines(s),
      ].join('\n'), s)
      return EXIT.ok
    },
  },
  {
    path: ['network', 'peers'],
    summary: 'List the peers the running node knows (active and passive views)',
    async run(ctx) {
      const peers = (await controlRequest(ctx.layout.controlSocket, 'peers', {}, { signal: ctx.io.interrupt })) as PeerInfo[]
      const lines = peers.length === 0
        ? ['No peers']
        : peers.map((p) => `${short(p.peerId)}  ${p.view.padEnd(9)} ${(p.health ?? '').padEnd(7)} ${p.addrs.join(' ')}`)
      ctx.out.result(lines.join('\n'), peers)
      return EXIT.ok
    },
  },
  {
    path: ['network', 'leave'],
    summary: 'Make the running node leave the network and exit',
    async run(ctx) {
      await controlRequest(ctx.layout.controlSocket, 'leave', {}, { signal: ctx.io.interrupt })
      ctx.out.result('Node is leaving the network', { leaving: true })
      return EXIT.ok
    },
  },
  {
    path: ['pubsub', 'subscribe'],
    summary: 'Print messages of a topic (or a group\'s encrypted topic) as they arrive, until interrupted',
    details: GROUP_DETAILS,
    options: {
      topic: { type: 'string', short: 't', description: 'topic name', valueName: 'name' },
      group: { type: 'string', short: 'g', description: "a group's encrypted topic instead (name or id)", valueName: 'group' },
      count: { type: 'string', short: 'n', description: 'exit after this many messages', valueName: 'n' },
    },
    async run(ctx, { values }) {
      const target = await targetOption(ctx, values)
      const count = values.count === undefined ? Infinity : Number(values.count)
      if (!(count === Infinity || (Number.isSafeInteger(count) && count > 0))) throw new UsageError('--count must be a positive integer')
      ctx.out.progress(`subscribed to ${'topic' in target ? `'${target.topic}'` : `group ${values.group as string}`}; waiting for messages (Ctrl-C to stop)`)
      let received = 0
      const stop = new AbortController()
      const onInterrupt = () => stop.abort()
      ctx.io.interrupt.addEventListener('abort', onInterrupt, { once: true })
      const method = 'topic' in target ? 'subscribe' : 'groups.subscribe'
      try {
        for await (const raw of controlStream(ctx.layout.controlSocket, method, target, { signal: stop.signal })) {
          const m = raw as MessageJson | GroupTopicMessageJson
          const label = 'group' in m ? `group ${short(m.group)}, epoch ${m.epoch}` : m.topic
          const payload = new Uint8Array(Buffer.from(m.payload, 'base64'))
          ctx.out.event(`[${label}] ${short(m.origin)} (${m.hops} hop${m.hops === 1 ? '' : 's'} via ${short(m.from)}): ${renderPayload(payload)}`, m)
          received++
          if (received >= count) stop.abort()
        }
      } finally {
        ctx.io.interrupt.removeEventListener('abort', onInterrupt)
      }
      if (ctx.io.interrupt.aborted && received < count) return EXIT.interrupted
      // The stream ended without Ctrl-C or --count: the daemon went away, which a script must notice.
      if (!stop.signal.aborted) throw new NoNodeRunningError(`the node stopped (it left the network or exited) after ${received} message${received === 1 ? '' : 's'}`)
      return EXIT.ok
    },
  },
  {
    path: ['pubsub', 'publish'],
    summary: 'Publish a message to a topic (or a group\'s encrypted topic) through the running node',
    details: GROUP_DETAILS,
    options: {
      topic: { type: 'string', short: 't', description: 'topic name', valueName: 'name' },
      group: { type: 'string', short: 'g', description: "a group's encrypted topic instead (name or id)", valueName: 'group' },
      message: { type: 'string', short: 'm', description: 'message text (default: read stdin)', valueName: 'text' },
    },
    async run(ctx, { values }) {
      const target = await targetOption(ctx, values)
      if (values.message === undefined && (ctx.io.stdin as { isTTY?: boolean }).isTTY === true) {
        throw new UsageError('no message: pass --message or pipe the message on stdin')
      }
      const payload = typeof values.message === 'string' ? new Uint8Array(Buffer.from(values.message, 'utf8')) : await readStdin(ctx)
      if (payload.length === 0) throw new UsageError(values.message === undefined ? 'empty message on stdin; nothing published' : 'empty --message; nothing published')
      // A sealed group message carries a nonce, a tag and its envelope inside the pubsub payload cap.
      const cap = 'topic' in target ? LIMITS.maxPayloadBytes : MAX_GROUP_PLAINTEXT_BYTES
      if (payload.length > cap) throw new UsageError(`message over ${cap} bytes${'topic' in target ? '' : ' (a group message)'}`)
      const signal = ctx.io.interrupt
      if ('group' in target) {
        const r = (await controlRequest(ctx.layout.controlSocket, 'groups.publish', { group: target.group, payload }, { signal })) as GroupPublishJson
        ctx.out.result(`Published ${payload.length} bytes to group ${short(r.group)}, epoch ${r.epoch} (id ${short(r.id)}, ${reachOf(r.sentTo)})`, r)
      } else {
        const r = (await controlRequest(ctx.layout.controlSocket, 'publish', { topic: target.topic, payload }, { signal })) as PublishResultJson
        ctx.out.result(`Published ${payload.length} bytes to '${target.topic}' (id ${short(r.id)}, ${reachOf(r.sentTo)})`, r)
      }
      return EXIT.ok
    },
  },
  {
    path: ['pubsub', 'list'],
    summary: 'List the topics the running node is subscribed to',
    async run(ctx) {
      const topics = (await controlRequest(ctx.layout.controlSocket, 'topics', {}, { signal: ctx.io.interrupt })) as string[]
      ctx.out.result(topics.length === 0 ? 'No topics' : topics.join('\n'), topics)
      return EXIT.ok
    },
  },
]
