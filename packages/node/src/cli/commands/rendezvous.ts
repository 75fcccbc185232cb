/**
 * `saorsa-gossip rendezvous provide|withdraw|seek|providing|status`: the running node's rendezvous
 * service (SPEC.md section 11) through its control socket (`rendezvous.*`, section 11.7). A target
 * is a name (hashed) or 64 hex digits; arguments are checked here so a mistake is a usage error even
 * when no node is running.
 */
import { CAPABILITIES } from '@saorsa-gossip/rendezvous'
import { PeerId } from '@saorsa-gossip/types'
import { controlRequest, controlStream } from '../../control/client.ts'
import type { ProviderJson } from '../../control/methods/rendezvous.ts'
import { UsageError, type CommandSpec } from '../args.ts'
import type { CliContext } from '../context.ts'
import { EXIT } from '../exit-codes.ts'
import type { NodeRendezvousOptions } from '../../rendezvous.ts'

const short = (hex: string) => hex.slice(0, 16)
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [])

/** The target, given as the argument or as `--target` (not both). */
function targetArg(positionals: readonly string[], values: Record<string, unknown> = {}): string {
  const flag = values.target as string | undefined
  if (flag !== undefined && positionals[0] !== undefined) throw new UsageError('give the target once: as <target> or as --target')
  const target = flag ?? positionals[0] ?? ''
  if (target.length === 0 || target.length > 1_024) throw new UsageError('<target> must be a name of 1..1024 characters or 64 hex digits')
  return target
}

const targetFlag = { target: { type: 'string' as const, short: 't', description: 'the target, instead of the <target> argument', valueName: 'name|hex' } }

function capabilities(values: Record<string, unknown>): string[] | undefined {
  const caps = list(values.capability).map((c) => c.toUpperCase())
  if (caps.length === 0) return undefined
  const bad = caps.find((c) => !(CAPABILITIES as readonly string[]).includes(c))
  if (bad !== undefined || new Set(caps).size !== caps.length) throw new UsageError(`--capability must be distinct values of ${CAPABILITIES.join(', ')}`)
  return caps
}

function positiveInt(values: Record<string, unknown>, name: string, max: number): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be an integer in 1..${max}`)
  return n
}

/**
 * The rendezvous part of `network join`: `--serve-rendezvous` and the servers of
 * `--rendezvous-server` (until coordinator adverts name them).
 */
export function rendezvousOptions(serve: boolean, servers: readonly string[]): NodeRendezvousOptions {
  const peers = servers.map((hex) => {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError(`--rendezvous-server must be a PeerId of 64 hex digits, got '${hex}'`)
    return PeerId.fromHex(hex.toLowerCase())
  })
  return { serve, ...(peers.length === 0 ? {} : { servers: { rendezvousPeers: () => peers } }) }
}

const describe = (p: ProviderJson): string =>
  `${short(p.provider)}  ${p.capabilities.join(',').padEnd(10)} ${p.addressHints.join(' ') || '(no address)'}  until ${new Date(p.expiresAtMs).toISOString()}` +
  (p.reached === undefined ? '' : 'error' in p.reached ? `\n  not reached: ${p.reached.error}` : `\n  reached ${short(p.provider)} at ${p.reached.addr} (round trip ${p.reached.rttMs} ms)`)

export const rendezvousCommands: CommandSpec<CliContext>[] = [
  {
    path: ['rendezvous', 'provide'],
    summary: 'Announce that the running node provides a target (republished until withdrawn)',
    positionals: ['target?'],
    options: {
      ...targetFlag,
      capability: { type: 'string', multiple: true, description: `what is provided: ${CAPABILITIES.join(', ')} (default SITE)`, valueName: 'cap' },
      addr: { type: 'string', multiple: true, description: 'address seekers should dial (default: the bound addresses)', valueName: 'addr' },
      lifetime: { type: 'string', description: 'validity of each summary in seconds (default 3600, at most 259200)', valueName: 's' },
    },
    details: 'The summary is signed, published on the target\'s shard topic, registered with the shard\'s\n' +
      'rendezvous servers and republished at 80 % of its lifetime until `rendezvous withdraw` or exit.',
    async run(ctx, { values, positionals }) {
      const target = targetArg(positionals, values)
      const caps = capabilities(values)
      const addrs = list(values.addr)
      const lifetime = positiveInt(values, 'lifetime', 259_200)
      const params = {
        target, ...(caps === undefined ? {} : { capabilities: caps }), ...(addrs.length === 0 ? {} : { addrs }),
        ...(lifetime === undefined ? {} : { lifetimeMs: lifetime * 1_000 }),
      }
      const r = (await controlRequest(ctx.layout.controlSocket, 'rendezvous.provide', params, { signal: ctx.io.interrupt })) as ProviderJson & { shard: number }
      ctx.out.result(`Providing ${target} (target ${short(r.target)}, shard ${r.shard}) as ${r.capabilities.join(', ')} at ${r.addressHints.join(' ') || '(no address)'} until ${new Date(r.expiresAtMs).toISOString()}`, r)
      return EXIT.ok
    },
  },
  {
    path: ['rendezvous', 'withdraw'],
    summary: 'Stop providing a target (a signed withdrawal replaces the summary)',
    positionals: ['target?'],
    options: targetFlag,
    async run(ctx, { positionals, values }) {
      const target = targetArg(positionals, values)
      const r = (await controlRequest(ctx.layout.controlSocket, 'rendezvous.withdraw', { target }, { signal: ctx.io.interrupt })) as { target: string; withdrawn: boolean }
      ctx.out.result(r.withdrawn ? `Withdrew ${target}` : `Not providing ${target}; nothing withdrawn`, r)
      return r.withdrawn ? EXIT.ok : EXIT.notFound
    },
  },
  {
    path: ['rendezvous', 'seek'],
    summary: 'Find verified providers of a target, best first (exit 4 when there are none)',
    positionals: ['target?'],
    options: {
      ...targetFlag,
      capability: { type: 'string', description: `only providers of this capability (${CAPABILITIES.join(', ')})`, valueName: 'cap' },
      limit: { type: 'string', short: 'n', description: 'stop after this many providers (default 20, at most 1000)', valueName: 'n' },
      follow: { type: 'boolean', short: 'f', description: 'keep printing providers that announce themselves later, until Ctrl-C' },
      connect: { type: 'boolean', description: 'dial each provider at its hinted addresses and check it answers with the signed PeerId' },
    },
    details: 'Prints providers as they arrive (with --json, one object per line) and ends when the\n' +
      'shard\'s rendezvous servers have answered (with --follow, at Ctrl-C or --limit).',
    async run(ctx, { values, positionals }) {
      const target = targetArg(positionals, values)
      const capability = capabilities(values)?.[0]
      const limit = positiveInt(values, 'limit', 1_000)
      const params = {
        target, ...(capability === undefined ? {} : { capability }), ...(limit === undefined ? {} : { limit }),
        ...(values.follow === true ? { follow: true } : {}),
        ...(values.connect === true ? { connect: true } : {}),
      }
      let found = 0
      for await (const raw of controlStream(ctx.layout.controlSocket, 'rendezvous.seek', params, { signal: ctx.io.interrupt })) {
        ctx.out.event(describe(raw as ProviderJson), raw)
        found++
      }
      if (ctx.io.interrupt.aborted) return EXIT.interrupted
      if (found === 0) ctx.out.progress(`No providers of ${target} found`)
      return found === 0 ? EXIT.notFound : EXIT.ok
    },
  },
  {
    path: ['rendezvous', 'providing'],
    summary: 'List the targets the running node provides',
    async run(ctx) {
      const r = (await controlRequest(ctx.layout.controlSocket, 'rendezvous.providing', {}, { signal: ctx.io.interrupt })) as Array<{ target: string; name?: string; shard: number }>
      ctx.out.result(r.length === 0 ? 'Not providing anything' : r.map((t) => `${t.target}  shard ${String(t.shard).padStart(5)}  ${t.name ?? ''}`.trimEnd()).join('\n'), r)
      return EXIT.ok
    },
  },
  {
    path: ['rendezvous', 'status'],
    summary: 'Show the running node\'s rendezvous counters (stored summaries, refusals, drops)',
    async run(ctx) {
      const r = (await controlRequest(ctx.layout.controlSocket, 'rendezvous.status', {}, { signal: ctx.io.interrupt })) as {
        providing: number; stored: number; drops: Record<string, number>; driverDrops: Record<string, number>; reported: Record<string, number>
      }
      const counts = (o: Record<string, number>) => Object.entries(o).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'
      ctx.out.result([
        `Providing:   ${r.providing} target${r.providing === 1 ? '' : 's'}`,
        `Stored:      ${r.stored} ${r.stored === 1 ? 'summary' : 'summaries'}`,
        `Dropped:     ${counts(r.drops)}`,
        `Driver:      ${counts(r.driverDrops)}`,
        `Reported:    ${counts(r.reported)}`,
      ].join('\n'), r)
      return EXIT.ok
    },
  },
]

/** The names the issue tracker and the reference use: `publish` for `provide`, `list` for `providing`. */
for (const [alias, of] of [['publish', 'provide'], ['list', 'providing']] as const) {
  const spec = rendezvousCommands.find((c) => c.path[1] === of)!
  rendezvousCommands.push({ ...spec, path: ['rendezvous', alias], summary: `${spec.summary} (same as 'rendezvous ${of}')` })
}

