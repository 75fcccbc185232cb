/**
 * `saorsa-gossip group ...`: MLS groups on the running node through the `groups.*` control methods
 * (SPEC.md section 10.9). A group is given by a local name (group-names.ts), its id, or 8+ hex
 * digits of it; a peer by its 64-digit PeerId. Membership commands return once the epoch that
 * applies them has settled.
 */
import { readFile } from 'node:fs/promises'
import { MAX_GROUP_PLAINTEXT_BYTES, MAX_KEY_PACKAGE_BYTES } from '@saorsa-gossip/groups/wire'
import { controlRequest, controlStream } from '../../control/client.ts'
import type { GroupJson, GroupMessageJson, MemberJson } from '../../control/methods/groups.ts'
import { NoNodeRunningError } from '../../errors.ts'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'
import { checkGroupName, namesById, resolveGroupArg, setGroupName } from '../group-names.ts'

const short = (hex: string) => hex.slice(0, 16)
const MAX_MESSAGE_BYTES = MAX_GROUP_PLAINTEXT_BYTES

function peerArg(value: string | undefined): string {
  if (value === undefined || !/^[0-9a-f]{64}$/.test(value)) throw new UsageError(`peer must be a PeerId of 64 lower-case hex digits, got '${value ?? ''}'`)
  return value
}

function waitOption(values: Record<string, unknown>): Record<string, number> {
  if (values.wait === undefined) return {}
  const seconds = Number(values.wait)
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 600) throw new UsageError('--wait must be 0..600 seconds')
  return { waitMs: Math.round(seconds * 1000) }
}

const waitSpec = { wait: { type: 'string' as const, description: 'seconds to wait for the change to settle (default 30)', valueName: 's' } }

function renderText(payload: Uint8Array): string {
  const text = Buffer.from(payload).toString('utf8')
  return /^[\P{Cc}\n\t]*$/u.test(text) && !text.includes('\uFFFD') ? text : `base64:${Buffer.from(payload).toString('base64')}`
}

async function readMessage(ctx: CliContext, text: string | undefined): Promise<Uint8Array> {
  if (text !== undefined) return new Uint8Array(Buffer.from(text, 'utf8'))
  if ((ctx.io.stdin as { isTTY?: boolean }).isTTY === true) throw new UsageError('no message: give it as an argument or pipe it on stdin')
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of ctx.io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    total += b.length
    if (total > MAX_MESSAGE_BYTES) throw new UsageError(`message over ${MAX_MESSAGE_BYTES} bytes`)
    chunks.push(b)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

const call = (ctx: CliContext, method: string, params: Record<string, unknown> = {}) =>
  controlRequest(ctx.layout.controlSocket, method, params, { signal: ctx.io.interrupt })

const describe = (g: GroupJson, name: string | undefined) =>
  `${name === undefined ? '' : `${name}  `}${g.groupId}  epoch ${g.epoch}, ${g.members} member${g.members === 1 ? '' : 's'}`

export const groupCommands: CommandSpec<CliContext>[] = [
  {
    path: ['group', 'create'],
    summary: 'Create an MLS group with this node as its only member',
    positionals: ['name?'],
    details: 'The name is local to this machine (<home>/group-names.json); other members see the group id.',
    async run(ctx, { positionals }) {
      const name = positionals[0] === undefined ? undefined : checkGroupName(positionals[0])
      const g = (await call(ctx, 'groups.create')) as GroupJson
      if (name !== undefined) await setGroupName(ctx.layout.groupNamesFile, name, g.groupId)
      ctx.out.result(`Created group ${describe(g, name)}`, { ...g, ...(name === undefined ? {} : { name }) })
      return EXIT.ok
    },
  },
  {
    path: ['group', 'name'],
    summary: 'Give a group a local name (for example one you were invited to)',
    positionals: ['group', 'name'],
    async run(ctx, { positionals }) {
      const name = checkGroupName(positionals[1]!)
      const prefix = await resolveGroupArg(ctx.layout.groupNamesFile, positionals[0]!)
      const g = ((await call(ctx, 'groups.list')) as GroupJson[]).filter((x) => x.groupId.startsWith(prefix))
      if (g.length !== 1) throw new UsageError(g.length === 0 ? `no group ${prefix} on this node` : `${g.length} groups start with ${prefix}`)
      await setGroupName(ctx.layout.groupNamesFile, name, g[0]!.groupId)
      ctx.out.result(`Named ${short(g[0]!.groupId)} '${name}'`, { ...g[0]!, name })
      return EXIT.ok
    },
  },
  {
    path: ['group', 'key-package'],
    summary: "Print a fresh key package of this node, for an inviter that cannot reach it (invite --key-package)",
    async run(ctx) {
      const r = (await call(ctx, 'groups.key-package')) as { peerId: string; keyPackage: string }
      ctx.out.result(r.keyPackage, r)
      return EXIT.ok
    },
  },
  {
    path: ['group', 'invite'],
    summary: "Add a peer: fetch its key package, commit, and send it the Welcome",
    details: 'The key package is asked of the peer; a peer this node has no address for is found\n' +
      'through its key-package record on rendezvous (SPEC.md 10.3). --key-package skips asking.',
    positionals: ['group', 'peer'],
    options: {
      'key-package': { type: 'string', description: "the peer's key package (base64, from its 'group key-package'), or @file", valueName: 'kp' },
      ...waitSpec,
    },
    async run(ctx, { positionals, values }) {
      const group = await resolveGroupArg(ctx.layout.groupNamesFile, positionals[0]!)
      const peer = peerArg(positionals[1])
      const kpValue = values['key-package'] as string | undefined
      let keyPackage: string | undefined
      if (kpValue !== undefined) {
        const raw = kpValue.startsWith('@') ? (await readFile(kpValue.slice(1), 'utf8').catch((err: Error) => { throw new UsageError(`--key-package: ${err.message}`) })) : kpValue
        keyPackage = raw.trim()
        if (keyPackage.length === 0 || keyPackage.length > Math.ceil(MAX_KEY_PACKAGE_BYTES / 3) * 4 || !/^[A-Za-z0-9+/]+={0,2}$/.test(keyPackage)) {
          throw new UsageError('--key-package must be the base64 that `group key-package` prints')
        }
      }
      const g = (await call(ctx, 'groups.invite', { group, peer, ...(keyPackage === undefined ? {} : { keyPackage }), ...waitOption(values) })) as GroupJson
      ctx.out.result(`Added ${short(peer)}: ${describe(g, undefined)}`, { ...g, peer })
      return EXIT.ok
    },
  },
  {
    path: ['group', 'remove'],
    summary: 'Remove a member; it cannot read anything sent after the removal',
    positionals: ['group', 'peer'],
    options: waitSpec,
    async run(ctx, { positionals, values }) {
      const group = await resolveGroupArg(ctx.layout.groupNamesFile, positionals[0]!)
      const peer = peerArg(positionals[1])
      const g = (await call(ctx, 'groups.remove', { group, peer, ...waitOption(values) })) as GroupJson
      ctx.out.result(`Removed ${short(peer)}: ${describe(g, undefined)}`, { ...g, peer })
      return EXIT.ok
    },
  },
  {
    path: ['group', 'leave'],
    summary: 'Leave a group (another member commits the departure) and delete its state',
    positionals: ['group'],
    options: waitSpec,
    async run(ctx, { positionals, values }) {
      const group = await resolveGroupArg(ctx.layout.groupNamesFile, positionals[0]!)
      const r = (await call(ctx, 'groups.leave', { group, ...waitOption(values) })) as { groupId: string; left: boolean }
      ctx.out.result(`Left ${short(r.groupId)}`, r)
      return EXIT.ok
    },
  },
  {
    path: ['group', 'list'],
    summary: 'List the groups this node is a member of',
    async run(ctx) {
      const groups = (await call(ctx, 'groups.list')) as GroupJson[]
      const names = await namesById(ctx.layout.groupNamesFile)
      const rows = groups.map((g) => ({ ...g, ...(names.has(g.groupId) ? { name: names.get(g.groupId)! } : {}) }))
      ctx.out.result(rows.length === 0 ? 'No groups' : rows.map((g) => describe(g, g.name)).join('\n'), rows)
      return EXIT.ok
    },
  },
  {
    path: ['group', 'stats'],
    summary: 'Show group counters: messages read, epochs applied, and drops by reason',
    async run(ctx) {
      const m = (await call(ctx, 'groups.metrics')) as { messages: number; epochs: number; dropped: Record<string, number> }
      const drops = Object.entries(m.dropped).map(([reason, n]) => `${reason} ${n}`).join(', ')
      ctx.out.result(`${m.messages} messages read, ${m.epochs} epochs applied; dropped: ${drops === '' ? 'none' : drops}`, m)
      return EXIT.ok
    },
  },
  {
    path: ['group', 'members'],
    summary: 'List the members of a group (PeerIds, this node marked)',
    positionals: ['group'],
    async run(ctx, { positionals }) {
      const group = await resolveGroupArg(ctx.layout.groupNamesFile, positionals[0]!)
      const members = (await call(ctx, 'groups.members', { group })) as MemberJson[]
      ctx.out.result(members.map((m) => `${m.peerId}${m.self ? '  (this node)' : ''}`).join('\n'), members)
      return EXIT.ok
    },
  },
  {
    path: ['group', 'send'],
    summary: 'Send a message only members can read (text argument, or stdin)',
    positionals: ['group', 'text?'],
    async run(ctx, { positionals }) {
      const group = await resolveGroupArg(ctx.layout.groupNamesFile, positionals[0]!)
      const payload = await readMessage(ctx, positionals[1])
      if (payload.length === 0) throw new UsageError('empty message; nothing sent')
      if (payload.length > MAX_MESSAGE_BYTES) throw new UsageError(`message over ${MAX_MESSAGE_BYTES} bytes`)
      const r = (await call(ctx, 'groups.send', { group, payload })) as { groupId: string; bytes: number; epoch: number }
      ctx.out.result(`Sent ${r.bytes} bytes to ${short(r.groupId)} (epoch ${r.epoch})`, r)
      return EXIT.ok
    },
  },
  {
    path: ['group', 'listen'],
    summary: "Print a group's messages as they arrive, until interrupted or removed",
    positionals: ['group'],
    options: { count: { type: 'string', short: 'n', description: 'exit after this many messages', valueName: 'n' } },
    async run(ctx, { positionals, values }) {
      const group = await resolveGroupArg(ctx.layout.groupNamesFile, positionals[0]!)
      const count = values.count === undefined ? Infinity : Number(values.count)
      if (!(count === Infinity || (Number.isSafeInteger(count) && count > 0))) throw new UsageError('--count must be a positive integer')
      ctx.out.progress(`listening to group ${positionals[0]!} (Ctrl-C to stop)`)
      let received = 0
      const stop = new AbortController()
      const onInterrupt = () => stop.abort()
      ctx.io.interrupt.addEventListener('abort', onInterrupt, { once: true })
      try {
        for await (const raw of controlStream(ctx.layout.controlSocket, 'groups.listen', { group }, { signal: stop.signal })) {
          const m = raw as GroupMessageJson
          ctx.out.event(`${short(m.from)}: ${renderText(new Uint8Array(Buffer.from(m.payload, 'base64')))}`, m)
          received++
          if (received >= count) stop.abort()
        }
      } finally {
        ctx.io.interrupt.removeEventListener('abort', onInterrupt)
      }
      if (ctx.io.interrupt.aborted && received < count) return EXIT.interrupted
      if (!stop.signal.aborted) throw new NoNodeRunningError(`the stream ended after ${received} message${received === 1 ? '' : 's'}: this node left the group or stopped`)
      return EXIT.ok
    },
  },
]
