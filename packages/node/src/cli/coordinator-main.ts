/**
 * The `saorsa-coordinator` command: a node (the same one `saorsa-gossip network join` runs, same
 * home, identity, flags and control socket) that publishes a signed coordinator advert every publish
 * interval (SPEC.md section 9) with the roles of `--roles`, and answers FOAF queries from its cache.
 */
import { COORDINATOR_LAN, COORDINATOR_LOCAL, COORDINATOR_WAN, NAT_CLASSES, ROLES, type NatClass, type Role } from '@saorsa-gossip/coordinator'
import { UsageError, type CommandSpec } from './args.ts'
import { joinCommand } from './commands/join.ts'
import type { CliContext, CliIO } from './context.ts'
import { main } from './main.ts'

export const COORDINATOR_BIN = 'saorsa-coordinator'

const PRESETS = { local: COORDINATOR_LOCAL, lan: COORDINATOR_LAN, wan: COORDINATOR_WAN } as const
/** Roles this build advertises without serving them itself: the NAT traversal services come separately. */
const NAT_ROLES: readonly Role[] = ['reflector', 'relay']

/** `--roles a,b`: known roles, each once, at least one. */
export function parseRoles(value: string): Role[] {
  const roles = value.split(',').map((r) => r.trim())
  const seen = new Set<Role>()
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--roles: unknown role '${role}' (known: ${ROLES.join(', ')})`)
    if (seen.has(role as Role)) throw new UsageError(`--roles: '${role}' given twice`)
    seen.add(role as Role)
  }
  return [...seen]
}

/** `--publish-interval <secs>`: whole seconds, below the advert's one-hour validity so adverts never lapse. */
export function parsePublishInterval(value: string): number {
  const secs = /^[0-9]{1,6}$/.test(value) ? Number(value) : NaN
  const maxSecs = COORDINATOR_LAN.advertValidityMs / 1000 - 1
  if (!(secs >= 1 && secs <= maxSecs)) throw new UsageError(`--publish-interval must be whole seconds in 1..${maxSecs}, got '${value}'`)
  return secs * 1000
}

export const coordinatorRunCommand: CommandSpec<CliContext> = {
  path: ['run'],
  summary: 'Run a coordinator: a node that publishes signed coordinator adverts and answers FOAF queries',
  options: {
    ...joinCommand.options,
    // Replaces join's --roles (NAT roles only): a coordinator advertises and serves every role it names.
    roles: { type: 'string', description: `roles to advertise and serve, comma-separated (default coordinator): ${ROLES.join(',')}`, valueName: 'list' },
    'publish-interval': { type: 'string', description: 'seconds between adverts (default 300; 10 with --preset local)', valueName: 'secs' },
    nat: { type: 'string', description: `NAT class the advert states: ${NAT_CLASSES.join(', ')} (default: what --reflector measures, else unknown)`, valueName: 'class' },
  },
  details: 'The advert carries the announced addresses (--announce, else the bound ones): when binding\n' +
    '0.0.0.0, announce the address peers should dial.\n' +
    'Flags shared with `saorsa-gossip network join` mean the same; `saorsa-gossip network coordinators`\n' +
    'on any node lists the adverts it verified. With the rendezvous role the node also serves provider\n' +
    'summaries; with reflector and relay it answers address reflection and relays circuits (SPEC 5.10),\n' +
    'and with --reflector it states the NAT class it measured in its advert.',
  async run(ctx, args) {
    const { values } = args
    const roles = parseRoles((values.roles as string | undefined) ?? 'coordinator')
    const nat = values.nat as string | undefined
    if (nat !== undefined && !(NAT_CLASSES as readonly string[]).includes(nat)) throw new UsageError(`--nat must be one of ${NAT_CLASSES.join(', ')}, got '${nat}'`)
    const publishIntervalMs = values['publish-interval'] === undefined ? undefined : parsePublishInterval(values['publish-interval'] as string)
    const natRoles = roles.filter((r) => NAT_ROLES.includes(r))
    const { out } = ctx
    // join reads --roles as the node's NAT roles: hand it those of ours.
    const joinArgs = { ...args, values: { ...values, roles: natRoles.length === 0 ? undefined : [natRoles.join(',')] } }
    return joinCommand.run(ctx, joinArgs, {
      init: (preset) => ({
        coordinator: {
          roles, ...(nat === undefined ? {} : { nat: nat as NatClass }),
          ...(publishIntervalMs === undefined ? {} : { config: { ...PRESETS[preset], publishIntervalMs } }),
        },
        ...(roles.includes('rendezvous') ? { rendezvous: { serve: true } } : {}),
      }),
      onStarted: (node) => {
        const published = (bytes: number) => out.json
          ? out.event('', { event: 'advert:published', bytes, roles })
          : out.progress(`Published coordinator advert (${bytes} bytes)`)
        if (out.json) out.event('', { event: 'identity', peerId: node.peerId.toHex(), roles, nat: nat ?? node.nat.status().nat })
        else out.progress(`Loaded identity: ${node.peerId.toHex()}\nroles: ${roles.join(', ')}`)
        if (node.coordinator.publishedAdvertBytes > 0) published(node.coordinator.publishedAdvertBytes)
        node.coordinator.addEventListener('advert:published', (e) => published((e as CustomEvent<{ bytes: number }>).detail.bytes))
      },
    })
  },
}

/** Runs `saorsa-coordinator <argv>`; `run` is implied when no command word is given. */
export function coordinatorMain(argv: readonly string[], io: CliIO): Promise<number> {
  const words = argv[0] === 'run' || argv[0] === 'help' ? argv : ['run', ...argv]
  return main(words, io, [coordinatorRunCommand], COORDINATOR_BIN)
}
