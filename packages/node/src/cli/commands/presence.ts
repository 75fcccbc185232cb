/**
 * `saorsa-gossip presence start|stop|online|watch|find`: who is online in a group and FIND_USER on
 * the running node, through the `presence.*` control methods (SPEC.md section 13.8). A group is keyed
 * by the node's group of that name, or by `--secret-file`: 32 random bytes as 64 hex digits shared
 * out of band with the other members (`openssl rand -hex 32 > team.key`).
 */
import { open } from 'node:fs/promises'
import { controlRequest, controlStream } from '../../control/client.ts'
import { MAX_GROUP_NAME_BYTES, type OnlineMemberJson, type PresenceEventJson } from '../../control/methods/presence.ts'
import { NoNodeRunningError } from '../../errors.ts'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'
import { readGroupNames } from '../group-names.ts'

const short = (hex: string): string => hex.slice(0, 16)
/** A secret file holds 64 hex digits and a newline; anything much larger is not one. */
const MAX_SECRET_FILE_BYTES = 256

/**
 * The --group value: a name given to one of this node's MLS groups (`group create <name>`) stands for
 * that group's id, so presence is keyed by its exporter; any other name labels a shared-secret group.
 */
async function groupOption(ctx: CliContext, values: Record<string, unknown>, required: boolean): Promise<string | undefined> {
  const group = values.group
  if (group === undefined && !required) return undefined
  if (typeof group !== 'string') throw new UsageError('--group is required')
  const bytes = Buffer.byteLength(group, 'utf8')
  if (bytes === 0 || bytes > MAX_GROUP_NAME_BYTES) throw new UsageError(`--group must be 1..${MAX_GROUP_NAME_BYTES} bytes, got ${bytes}`)
  return (await readGroupNames(ctx.layout.groupNamesFile)).get(group) ?? group
}

/** The 32-byte secret of `file` as 64 lower-case hex digits. */
async function readSecretFile(file: string): Promise<string> {
  let text: string
  try {
    const handle = await open(file, 'r')
    try {
      const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1)
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
      if (bytesRead > MAX_SECRET_FILE_BYTES) throw new UsageError(`--secret-file ${file}: expected 64 hex digits, the file is larger`)
      text = buffer.subarray(0, bytesRead).toString('utf8').trim()
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (err instanceof UsageError) throw err
    throw new UsageError(`--secret-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new UsageError(`--secret-file ${file}: expected 64 hex digits (32 bytes), e.g. from 'openssl rand -hex 32'`)
  return text.toLowerCase()
}

function memberLine(m: OnlineMemberJson, now: number): string {
  const ago = Math.max(0, Math.round((now - m.lastSeen) / 1000))
  return `  ${short(m.peerId)}  ${m.status.padEnd(7)} seen ${ago}s ago  ${m.addrs.join(' ')}`
}

function eventLine(e: PresenceEventJson): string {
  const who = `[${e.group}] ${short(e.peerId)}`
  if (e.event === 'online') return `${who} is ${e.status} at ${e.addrs.join(' ') || '(no address)'}`
  if (e.event === 'status') return `${who} is ${e.status} (was ${e.previous})`
  return `${who} is offline (${e.reason})`
}

export const presenceCommands: CommandSpec<CliContext>[] = [
  {
    path: ['presence', 'start'],
    summary: 'Announce this node in a group and track who else is online there',
    options: {
      group: { type: 'string', short: 'g', description: 'group name', valueName: 'name' },
      'secret-file': { type: 'string', description: 'file with the group secret: 64 hex digits shared with the members', valueName: 'file' },
      away: { type: 'boolean', description: "announce as 'away' instead of 'online'" },
    },
    details: [
      'Without --secret-file the node keys the group from its own group of that name.',
      'Example: openssl rand -hex 32 > team.key   (share team.key with the members)',
      '         saorsa-gossip presence start --group team --secret-file team.key',
    ].join('\n'),
    async run(ctx, { values }) {
      const group = (await groupOption(ctx, values, true))!
      const file = values['secret-file']
      if (file !== undefined && typeof file !== 'string') throw new UsageError('--secret-file needs a file name')
      const secret = file === undefined ? undefined : await readSecretFile(file)
      const status = values.away === true ? 'away' : 'online'
      const result = await controlRequest(ctx.layout.controlSocket, 'presence.start', {
        group, status, ...(secret === undefined ? {} : { secret }),
      }, { signal: ctx.io.interrupt })
      ctx.out.result(`Announcing as ${status} in '${group}'`, result)
      return EXIT.ok
    },
  },
  {
    path: ['presence', 'stop'],
    summary: "Stop announcing in a group (members see this node offline at once)",
    options: { group: { type: 'string', short: 'g', description: 'group name', valueName: 'name' } },
    async run(ctx, { values }) {
      const group = (await groupOption(ctx, values, true))!
      const result = await controlRequest(ctx.layout.controlSocket, 'presence.stop', { group }, { signal: ctx.io.interrupt })
      ctx.out.result(`Stopped announcing in '${group}'`, result)
      return EXIT.ok
    },
  },
  {
    path: ['presence', 'online'],
    summary: 'List the members online in a group (every started group without --group)',
    options: { group: { type: 'string', short: 'g', description: 'group name', valueName: 'name' } },
    async run(ctx, { values }) {
      const group = await groupOption(ctx, values, false)
      const groups = (await controlRequest(ctx.layout.controlSocket, 'presence.online', group === undefined ? {} : { group }, { signal: ctx.io.interrupt })) as
        Array<{ group: string; members: OnlineMemberJson[] }>
      const now = Date.now()
      const text = groups.length === 0
        ? 'No group started (saorsa-gossip presence start --group <name>)'
        : groups.map((g) => [`${g.group}: ${g.members.length} online`, ...g.members.map((m) => memberLine(m, now))].join('\n')).join('\n')
      ctx.out.result(text, group === undefined ? groups : groups[0])
      return EXIT.ok
    },
  },
  {
    path: ['presence', 'watch'],
    summary: 'Print who is online, then members coming online, changing status and going offline',
    options: {
      group: { type: 'string', short: 'g', description: 'only this group', valueName: 'name' },
      count: { type: 'string', short: 'n', description: 'exit after this many events', valueName: 'n' },
    },
    async run(ctx, { values }) {
      const group = await groupOption(ctx, values, false)
      const count = values.count === undefined ? Infinity : Number(values.count)
      if (!(count === Infinity || (Number.isSafeInteger(count) && count > 0))) throw new UsageError('--count must be a positive integer')
      ctx.out.progress(`watching ${group === undefined ? 'every group' : `'${group}'`} (Ctrl-C to stop)`)
      const stop = new AbortController()
      const onInterrupt = (): void => stop.abort()
      ctx.io.interrupt.addEventListener('abort', onInterrupt, { once: true })
      let seen = 0
      try {
        for await (const raw of controlStream(ctx.layout.controlSocket, 'presence.watch', group === undefined ? {} : { group }, { signal: stop.signal })) {
          ctx.out.event(eventLine(raw as PresenceEventJson), raw)
          if (++seen >= count) stop.abort()
        }
      } finally {
        ctx.io.interrupt.removeEventListener('abort', onInterrupt)
      }
      if (ctx.io.interrupt.aborted && seen < count) return EXIT.interrupted
      if (!stop.signal.aborted) throw new NoNodeRunningError(`the node stopped after ${seen} event${seen === 1 ? '' : 's'}`)
      return EXIT.ok
    },
  },
  {
    path: ['presence', 'find'],
    summary: "Find a user's current addresses through friends of friends (FIND_USER)",
    positionals: ['peerId'],
    options: { timeout: { type: 'string', description: 'give up after this many milliseconds (default 15000)', valueName: 'ms' } },
    async run(ctx, { values, positionals }) {
      const peerId = positionals[0] ?? ''
      if (!/^[0-9a-f]{64}$/.test(peerId)) throw new UsageError('<peerId> must be 64 lower-case hex digits')
      const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout)
      if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= 60_000)) throw new UsageError('--timeout must be 1..60000 ms')
      const found = (await controlRequest(ctx.layout.controlSocket, 'presence.find', { peerId, ...(timeoutMs === undefined ? {} : { timeoutMs }) }, { signal: ctx.io.interrupt })) as
        { peerId: string; via: string; addrs: string[]; status?: string }
      ctx.out.result(`${short(found.peerId)} ${found.status ?? ''} via ${found.via}: ${found.addrs.join(' ') || '(no address)'}`.replace('  ', ' '), found)
      return EXIT.ok
    },
  },
]
